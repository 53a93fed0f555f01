"""A cluster (docs/cluster.md): one cut everywhere (I.H). On the balancer, HAProxy sends readers
only to web nodes that are up, in service and serving the cluster's cut; on the receiving node,
every web node serves the receiver's live cut. N/A on a single server and on the other parts."""

import shlex

import pytest

from difusor.compliance import cluster

AGENT = "python3 -m difusor.cli cluster"
HAPROXY_CONFIG = "/etc/haproxy/haproxy.cfg"
BALANCER_USER = "difusor-balancer"  # role prep_cluster's prep_cluster_balancer_user


def _as(user: str, lib_dir, command: str) -> str:
    return (
        f"sudo -n -u {shlex.quote(user)} env PYTHONPATH={shlex.quote(str(lib_dir))} "
        f"PYTHONDONTWRITEBYTECODE=1 {command}"
    )


@pytest.mark.parts(*cluster.BALANCING)
@pytest.mark.requirement("I.H")
def test_balancer_sends_readers_to_nodes_serving_the_cut(host, evidence, facts):
    """HAProxy is active; every web node of backend prep_web is up and not in maintenance; the
    health checks require the cluster's cut (/healthz?min= from the cut map, which holds one).
    Evidence: the balancer agent's `status`, run as its control account."""
    state = evidence.run(host, "systemctl is-active haproxy").stdout.strip()
    config = evidence.run(host, f"grep -nE 'healthz|difusor-cut.map' {HAPROXY_CONFIG}", sudo=True)
    status = evidence.run(
        host,
        _as(
            BALANCER_USER, facts.lib_dir, f"env SSH_ORIGINAL_COMMAND=status {AGENT} balancer-agent"
        ),
        sudo=True,
    )
    evidence.verdict(cluster.check_balancer(state, status.stdout, config.stdout))


@pytest.mark.parts(*cluster.DISTRIBUTION)
@pytest.mark.requirement("I.H")
def test_every_web_node_serves_the_receivers_cut(host, evidence, facts):
    """Every web node's live cut is the receiving node's (`difusor cluster status`: each node's
    agent asked `status` with the receiving node's key, as the publisher's account)."""
    status = evidence.run(
        host, _as(facts.publisher_user, facts.lib_dir, f"{AGENT} status"), sudo=True
    )
    evidence.verdict(cluster.check_nodes_serve_live_cut(status.stdout))
