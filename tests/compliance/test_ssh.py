"""II.B.c: SSH access for configuration, from sshd's effective configuration (sshd -T)."""

import pytest

from difusor.compliance import checks


@pytest.mark.requirement("II.B.c")
def test_sshd_effective_configuration(host, evidence, params):
    """sshd listens on 22 and accepts a key, a certificate or a password."""
    evidence.run(host, "systemctl is-active ssh sshd 2>/dev/null || true")
    text = evidence.run(host, "sshd -T 2>&1 || /usr/sbin/sshd -T 2>&1", sudo=True).stdout
    evidence.verdict(checks.check_sshd(checks.parse_sshd_t(text), params("II.B.c")))


@pytest.mark.requirement("II.B.c")
def test_operator_account_can_log_in(host, evidence, facts):
    """The operator account exists with a login shell and a way in (keys or a password)."""
    user = facts.operator_user
    account = host.user(user)
    keys = evidence.run(host, f"test -s ~{user}/.ssh/authorized_keys && echo keys", sudo=True)
    shadow = evidence.run(host, f"getent shadow {user} | cut -d: -f2 | cut -c1-3", sudo=True)
    has_password = shadow.stdout.strip() not in ("", "!", "*", "!*", "!!")
    ok = account.exists and account.shell.endswith("sh") and (keys.rc == 0 or has_password)
    evidence.verdict(
        checks.Check(
            checks.PASS if ok else checks.FAIL,
            checks.msg(
                "operator",
                user=user,
                exists=account.exists,
                shell=account.shell if account.exists else "-",
                keys=keys.rc == 0,
                password=has_password,
            ),
            {"user": user, "keys": keys.rc == 0, "password": has_password},
        )
    )
