"""II.B.a (Ubuntu LTS) and II.B.e (a user with root privileges)."""

import pytest

from difusor.compliance import checks


@pytest.mark.environment
@pytest.mark.requirement("II.B.a")
def test_ubuntu_lts(host, evidence, params):
    """Linux Ubuntu, a stable LTS release; 22.04 recommended."""
    text = evidence.run(host, "cat /etc/os-release").stdout
    evidence.verdict(checks.check_os(checks.parse_os_release(text), params("II.B.a")))


@pytest.mark.requirement("II.B.e")
def test_operator_has_root_privileges(host, evidence, facts):
    """The operator may run any command as root through sudo."""
    user = facts.operator_user
    evidence.run(host, f"id {user}")
    listing = evidence.run(host, f"sudo -n -l -U {user}", sudo=True)
    evidence.verdict(checks.check_sudo(listing.stdout, user))
