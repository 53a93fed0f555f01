"""II.C.b (public IP) and II.C.c (firewall, intrusion prevention), checked on the host and
probed from outside: from a trusted and an untrusted vantage point (--trusted-vantage,
--untrusted-vantage: a testinfra URL such as local:// or a host of the inventory)."""

import shlex

import pytest

from difusor.compliance import checks, cluster
from difusor.compliance.plugin import quiet_stderr
from difusor.compliance.remote import portal_fetch_command, tcp_probe_command


def _ufw(host, evidence) -> checks.UfwStatus:
    text = evidence.run(host, "ufw status verbose", sudo=True).stdout
    return checks.parse_ufw_status(text)


@pytest.mark.requirement("II.C.c")
def test_firewall_effective_rules(host, evidence, params, facts):
    """ufw active, deny by default; 80/443 from anywhere; 22/873 from trusted sources only (on a
    cluster, the ports of the host's part: docs/cluster.md)."""
    settings = cluster.firewall_params(facts.cluster_part, params("II.C.c"))
    evidence.verdict(checks.check_firewall(_ufw(host, evidence), settings))


@pytest.mark.requirement("II.C.c")
def test_listening_sockets_match_firewall(host, evidence, params, facts):
    """Every socket reachable through the firewall is one of the ports the call names (on a
    cluster, of the host's part)."""
    status = _ufw(host, evidence)
    listening = evidence.run(host, "ss -tlnH", sudo=True).stdout
    settings = cluster.firewall_params(facts.cluster_part, params("II.C.c"))
    evidence.verdict(checks.check_exposure(checks.parse_ss_listening(listening), status, settings))


@pytest.mark.requirement("II.C.c")
def test_intrusion_prevention(host, evidence):
    """fail2ban runs with an SSH jail (detects and bans brute force)."""
    active = evidence.run(host, "systemctl is-active fail2ban").stdout.strip()
    jail = evidence.run(host, "fail2ban-client status sshd", sudo=True)
    ok = active == "active" and jail.rc == 0
    evidence.verdict(
        checks.Check(
            checks.PASS if ok else checks.FAIL,
            checks.msg("fail2ban", state=active, jail=jail.rc == 0),
            {"fail2ban": active, "sshd_jail": jail.rc == 0},
        )
    )


@pytest.mark.environment
@pytest.mark.requirement("II.C.b")
def test_public_ip(host, evidence):
    """An interface holds a public (globally routable) address."""
    text = evidence.run(host, "ip -j addr show").stdout
    evidence.verdict(checks.check_public_ip(checks.parse_ip_addresses(text)))


FAMILIES = ["IPv4", "IPv6"]


def _probed_address(family, vantage, target_address, target_address6, evidence) -> str:
    """The target's address of the family; IPv6 is probed where the target has a global IPv6
    address and the vantage point a route to it."""
    if family == "IPv4":
        return target_address
    if not target_address6:
        pytest.skip("the target has no global IPv6 address: not probed over IPv6")
    if evidence.run(vantage, f"ip -6 route get {shlex.quote(target_address6)}").rc != 0:
        pytest.skip("the vantage point has no IPv6 route to the target: not probed over IPv6")
    return target_address6


def _probe_verdict(evidence, vantage, side, address, port, expected, timeout_s) -> None:
    """Connect from the vantage point; PASS when the port is as open as expected."""
    opened = evidence.run(vantage, tcp_probe_command(address, port, timeout_s)).rc == 0
    evidence.verdict(
        checks.Check(
            checks.PASS if opened == expected else checks.FAIL,
            checks.msg(
                "probe",
                address=f"[{address}]" if ":" in address else address,
                port=port,
                side=checks.msg(side),
                seen=checks.msg("word_open" if opened else "word_closed"),
                expected=checks.msg("word_open" if expected else "word_closed"),
            ),
            {
                "address": address,
                "port": port,
                "open": opened,
                "expected": "open" if expected else "closed",
            },
        )
    )


@pytest.mark.requirement("II.C.c")
@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("port", [22, 873, 80, 443])
def test_ports_from_trusted_vantage(
    port, family, trusted_vantage, target_address, target_address6, evidence, params, facts
):
    """From a trusted source every port of the call answers, over IPv4 and IPv6 (on a cluster,
    those of the host's part)."""
    if trusted_vantage is None:
        pytest.skip("no --trusted-vantage given: probe not run")
    expected = cluster.probe_expectation(facts.cluster_part, port, True, params("II.C.c"))
    if isinstance(expected, checks.Check):
        evidence.verdict(expected)
    address = _probed_address(family, trusted_vantage, target_address, target_address6, evidence)
    timeout_s = params("II.C.c")["probe_timeout_s"]
    _probe_verdict(evidence, trusted_vantage, "side_trusted", address, port, expected, timeout_s)


@pytest.mark.requirement("II.C.c")
@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("port", [22, 873, 80, 443])
def test_ports_from_untrusted_vantage(
    port, family, untrusted_vantage, target_address, target_address6, evidence, params, facts
):
    """From an untrusted source 80/443 answer and 22/873 do not, over IPv4 and IPv6 (on a
    cluster, only the balancer's 80/443 answer)."""
    if untrusted_vantage is None:
        pytest.skip("no --untrusted-vantage given: probe not run")
    address = _probed_address(family, untrusted_vantage, target_address, target_address6, evidence)
    settings = params("II.C.c")
    expected = cluster.probe_expectation(facts.cluster_part, port, False, settings)
    vantage, timeout_s = untrusted_vantage, settings["probe_timeout_s"]
    _probe_verdict(evidence, vantage, "side_untrusted", address, port, expected, timeout_s)


@pytest.mark.parts(*cluster.PORTAL)
@pytest.mark.environment
@pytest.mark.requirement("II.C.d")
def test_portal_certificate(
    pytestconfig, untrusted_vantage, trusted_vantage, target_address, evidence, params
):
    """The portal URL is defined and its HTTPS certificate is valid for it (seen from outside),
    by the vantage host's trust store or the CA file given with --portal-ca-file."""
    url = pytestconfig.getoption("portal_url")
    if not url:
        evidence.verdict(checks.Check(checks.FAIL, checks.msg("portal_no_url"), {}))
    vantage = untrusted_vantage or trusted_vantage
    if vantage is None:
        pytest.skip("no vantage point given: certificate not probed")
    from urllib.parse import urlsplit

    name = urlsplit(url).hostname or ""
    days = int(params("II.C.d")["min_days_valid"])
    ca_file = pytestconfig.getoption("portal_ca_file")
    fetch = evidence.run(vantage, portal_fetch_command(url, name, target_address, ca_file))
    expiry = evidence.run(
        vantage,
        f"echo | openssl s_client -connect {target_address}:443 -servername {name} 2>/dev/null "
        f"| openssl x509 -noout -subject -issuer -enddate -checkend {days * 86400}",
    )
    ok = fetch.rc == 0 and "verify=0" in fetch.stdout and expiry.rc == 0
    evidence.verdict(
        checks.Check(
            checks.PASS if ok else checks.FAIL,
            checks.msg(
                "portal_cert",
                url=url,
                address=target_address,
                rc=fetch.rc,
                out=fetch.stdout.strip(),
                err=" ".join(quiet_stderr(fetch).split())[:160],
                days=days,
                valid=expiry.rc == 0,
            ),
            {
                "url": url,
                "curl_rc": fetch.rc,
                "certificate": expiry.stdout.strip(),
                "ca_file": ca_file or "",
            },
        )
    )
