"""II.C.c: 80/443 from anywhere, 22/873 from trusted sources only, published containers too,
over IPv4 and IPv6 (the scenario network is dual-stack), and fail2ban banning a client that
keeps failing SSH logins."""

import pytest
from conftest import address_of, tcp_open, wait_for

FAMILIES = ["inet", "inet6"]


@pytest.fixture(scope="module", params=FAMILIES)
def address(request, target):
    """The target's address of one family, as the clients connect to it."""
    return address_of(target, request.param)


@pytest.mark.parametrize("port", [22, 80, 443, 873])
def test_trusted_client_reaches_every_service(trusted, address, port):
    assert tcp_open(trusted, address, port)


@pytest.mark.parametrize("port", [80, 443])
def test_untrusted_client_reaches_the_portal(untrusted, address, port):
    assert tcp_open(untrusted, address, port)


@pytest.mark.parametrize("port", [22, 873])
def test_untrusted_client_is_kept_from_ssh_and_rsync(untrusted, address, port):
    assert not tcp_open(untrusted, address, port)


def test_ufw_is_active_and_denies_by_default(target):
    status = target.check_output("ufw status verbose")
    assert "Status: active" in status
    assert "deny (incoming)" in status


def test_published_container_port_obeys_the_firewall(
    published_probe, trusted, untrusted, target_address
):
    assert wait_for(lambda: tcp_open(trusted, target_address, published_probe), 20)
    assert not tcp_open(untrusted, target_address, published_probe)


def test_published_container_port_is_closed_over_ipv6(target, published_probe, trusted, untrusted):
    """Docker routes IPv4 to its containers (DOCKER-USER lets the trusted sources in); IPv6 reaches
    them through docker-proxy on the host, so ufw's INPUT policy applies: a port that ufw does
    not open is closed to every client, trusted or not. It listens: the target reaches it."""
    address6 = address_of(target, "inet6")
    listens = f"curl -s -o /dev/null --max-time 3 http://[::1]:{published_probe}/"
    assert wait_for(lambda: target.run(listens).rc == 0, 20), "the probe is not on IPv6"
    assert not tcp_open(trusted, address6, published_probe)
    assert not tcp_open(untrusted, address6, published_probe)


def test_repeated_ssh_failures_get_a_client_banned(target, target_address, trusted, trusted2):
    intruder = address_of(trusted2)
    target.run(f"fail2ban-client set sshd unbanip {intruder}")
    assert tcp_open(trusted2, target_address, 22)
    for attempt in range(5):
        trusted2.run(
            "ssh -o BatchMode=yes -o StrictHostKeyChecking=no -o ConnectTimeout=3 "
            f"nobody-{attempt}@{target_address} true"
        )
    banned = wait_for(
        lambda: intruder in target.run("fail2ban-client status sshd").stdout, timeout_s=30
    )
    try:
        assert banned, target.run("fail2ban-client status sshd").stdout
        # fail2ban lists the ban first, then its ufw action inserts the rule.
        assert wait_for(lambda: not tcp_open(trusted2, target_address, 22), 20)
        assert tcp_open(trusted, target_address, 22), "the other trusted client must keep access"
    finally:
        target.run(f"fail2ban-client set sshd unbanip {intruder}")
