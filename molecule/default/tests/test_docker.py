"""II.B.b: the Docker engine runs, at boot too, with the hardened daemon settings."""

import json

from conftest import PROBE_IMAGE


def test_engine_runs_and_starts_at_boot(target):
    assert target.service("docker").is_running
    assert target.service("docker").is_enabled


def test_daemon_settings_are_in_force(target):
    info = json.loads(target.check_output("docker info --format '{{json .}}'"))
    assert info["LoggingDriver"] == "json-file"
    assert info["LiveRestoreEnabled"] is True


def test_containers_get_no_new_privileges(target, published_probe):
    status = target.check_output(
        f"docker run --rm {PROBE_IMAGE} /bin/busybox cat /proc/self/status"
    )
    assert "NoNewPrivs:\t1" in status
