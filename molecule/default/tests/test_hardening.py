"""Host hardening of role base (issue 16): the measures Lynis grades are in place, and none of
them stops a key login by expiry. Each test reads files and a few sysctl values: seconds in all."""

import pytest
from conftest import facts_of

PROTOCOLS = ("dccp", "sctp", "rds", "tipc")
STORAGE = ("usb-storage", "firewire-core")


def test_core_dumps_are_off(target):
    limits = target.file("/etc/security/limits.d/10-difusor-core.conf").content_string.split("\n")
    assert "*    hard    core    0" in limits
    assert (
        "DefaultLimitCORE=0"
        in target.file("/etc/systemd/system.conf.d/10-difusor-core.conf").content_string
    )
    # A login shell gets a core size limit of 0 (limits.d through PAM, or profile.d).
    assert target.run("bash -lc 'ulimit -c'").stdout.strip() == "0"


@pytest.mark.parametrize("module", PROTOCOLS + STORAGE)
def test_unused_modules_never_load(target, module):
    # Read from the files: a minimal image has no modprobe.
    conf = target.check_output("cat /etc/modprobe.d/difusor-*.conf").splitlines()
    assert f"install {module} /bin/true" in conf
    assert f"blacklist {module}" in conf


def test_login_defs(target):
    values = {}
    for line in target.file("/etc/login.defs").content_string.splitlines():
        parts = line.split()
        if len(parts) == 2 and not line.startswith("#"):
            values[parts[0]] = parts[1]
    assert values["UMASK"] == "027"
    assert values["PASS_MAX_DAYS"] != "99999"
    assert int(values["SHA_CRYPT_MIN_ROUNDS"]) >= 5000


def test_accounts_that_log_in_by_key_never_expire(target):
    # An expired password stops key logins too: the operator and the SSH push account are exempt.
    operator = facts_of(target).operator_user
    max_days = target.check_output(f"getent shadow {operator} | cut -d: -f5")
    assert max_days in ("", "-1"), f"{operator}: PASS_MAX_DAYS {max_days}"


def test_network_sysctl_keys(target):
    for key, value in (
        ("net.ipv4.conf.all.log_martians", "1"),
        ("net.ipv4.conf.all.send_redirects", "0"),
        ("net.ipv4.conf.default.accept_redirects", "0"),
    ):
        assert target.check_output(f"sysctl -n {key}") == value, key
    # Docker needs forwarding: the hardening leaves it on.
    assert target.check_output("sysctl -n net.ipv4.conf.all.forwarding") == "1"


def test_needrestart_lists_and_never_restarts(target):
    conf = target.file("/etc/needrestart/conf.d/50-difusor.conf").content_string
    assert "$nrconf{restart} = 'l';" in conf
    assert target.package("needrestart").is_installed


def test_session_tools_and_banner(target):
    assert "pam_tmpdir.so" in target.file("/etc/pam.d/common-session").content_string
    assert "pam_pwquality.so" in target.file("/etc/pam.d/common-password").content_string
    assert "readonly TMOUT" in target.file("/etc/profile.d/difusor-timeout.sh").content_string
    assert "autorizado" in target.file("/etc/issue.net").content_string
    assert "[sshd]" in target.file("/etc/fail2ban/jail.local").content_string.splitlines()
