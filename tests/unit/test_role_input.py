"""Bad role variables stop the run in validation, before any change, with a message that names
the variable (issue: hardening roles, "Input"). Runs ansible-playbook in check mode against this
machine; no Docker needed."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
PLAYBOOK = ROOT / "tests/unit/playbooks/apply_role.yml"
ANSIBLE_PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"
GOOD = {"difusor_trusted_sources": ["192.0.2.10/32", "2001:db8::/64"]}
ACME = {
    **GOOD,
    "prep_web_tls_mode": "acme",
    "prep_web_server_name": "prep.example.org",
    "prep_web_acme_email": "ops@example.org",
}


def apply(role: str, variables: dict) -> subprocess.CompletedProcess:
    extra = json.dumps({"role_under_test": role, **variables})
    env = {**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1"}
    env.pop("SSH_CONNECTION", None)  # the lockout guards are tested on real hosts
    return subprocess.run(
        [str(ANSIBLE_PLAYBOOK), "-i", "localhost,", "--check", "-e", extra, str(PLAYBOOK)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=False,
        timeout=300,
    )


CASES = [
    ("firewall", {"difusor_trusted_sources": ["192.0.2.300/24"]}, "192.0.2.300/24"),
    ("firewall", {"difusor_trusted_sources": []}, "difusor_trusted_sources must list"),
    (
        "firewall",
        {**GOOD, "firewall_public_tcp_ports": [80, 70000]},
        "firewall_public_tcp_ports: not ports (1-65535): 70000",
    ),
    ("firewall", {**GOOD, "firewall_outgoing_policy": "maybe"}, "firewall_outgoing_policy"),
    ("ssh", {**GOOD, "ssh_auth_methods": ["telepathy"]}, "ssh_auth_methods"),
    (
        "ssh",
        {**GOOD, "ssh_auth_methods": ["key"], "ssh_operator_authorized_keys": []},
        "ssh_operator_authorized_keys is empty",
    ),
    (
        "ssh",
        {**GOOD, "ssh_auth_methods": ["certificate"]},
        "ssh_trusted_user_ca_keys is empty",
    ),
    (
        "ssh",
        {**GOOD, "ssh_auth_methods": ["password"], "ssh_operator_password_hash": ""},
        "ssh_operator_password_hash is empty",
    ),
    ("ntp", {"ntp_servers": [{"options": "iburst"}]}, "ntp_servers"),
    ("ntp", {"ntp_servers": [], "ntp_pools": []}, "give chrony at least one time source"),
    ("docker", {"docker_package_source": "snap"}, "docker_package_source"),
    (
        "monitoring",
        {**GOOD, "monitoring_scrape_sources": ["192.0.2.999/32"]},
        "not addresses: 192.0.2.999/32",
    ),
    ("monitoring", {**GOOD, "monitoring_node_exporter_port": 443}, "must be a free TCP port"),
    (
        "prep_web",
        {**GOOD, "prep_web_tls_mode": "acme", "prep_web_server_name": "prep.example.org"},
        'prep_web_tls_mode=acme needs prep_web_acme_email (an e-mail address, got "")',
    ),
    (
        "prep_web",
        {**ACME, "prep_web_acme_directory": "http://acme.example.org/directory"},
        'prep_web_acme_directory an https:// URL (got "http://acme.example.org/directory")',
    ),
    (
        "prep_web",
        {**ACME, "prep_web_server_name": "192.0.2.5"},
        'prep_web_server_name a DNS name, not an address (got "192.0.2.5")',
    ),
    ("prep_web", {**GOOD, "prep_web_ocsp_resolvers": ["192.0.2.0/24"]}, "prep_web_ocsp_resolvers"),
]


@pytest.mark.parametrize(("role", "variables", "message"), CASES)
def test_bad_input_stops_the_role_before_any_change(role, variables, message):
    result = apply(role, variables)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert message in output
    recap = output.split("PLAY RECAP")[-1]
    assert "changed=0" in recap and "failed=1" in recap, recap
