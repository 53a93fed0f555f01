"""II.B.b: the Docker platform installed and running."""

import pytest

from difusor.compliance import checks, cluster

# On a cluster, Docker runs the web container of the web nodes only.
pytestmark = pytest.mark.parts(*cluster.SITE)


@pytest.mark.requirement("II.B.b")
def test_docker_running(host, evidence):
    """The Docker service is active and the engine answers."""
    active = evidence.run(host, "systemctl is-active docker").stdout.strip()
    info = evidence.run(
        host, "docker info --format '{{.ServerVersion}} {{.Driver}} {{.CgroupVersion}}'", sudo=True
    )
    ok = active == "active" and info.rc == 0
    evidence.verdict(
        checks.Check(
            checks.PASS if ok else checks.FAIL,
            checks.msg("docker", state=active, engine=info.stdout.strip() or "-"),
            {"service": active, "engine": info.stdout.strip()},
        )
    )
