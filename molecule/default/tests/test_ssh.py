"""II.B.c and II.B.e: the operator logs in by key, by certificate and, where enabled and only
from trusted sources, by password; the operator has root privileges; root as configured."""

import io
import tarfile
from pathlib import Path

import pytest
import ssh_audit as ssh_audit_module
from conftest import KEYS, address_of, put_file

PASSWORD = "prep-drill-2024"  # fixture, see host_vars/target-ubuntu2204.yml
SSH = "ssh -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=5"


@pytest.fixture(scope="session")
def trusted_keys(trusted):
    for name in ("operator", "operator_cert", "operator_cert-cert.pub"):
        put_file(trusted, f"/root/{name}", (KEYS / name).read_text())
    return "/root"


def password_enabled(target) -> bool:
    return "password" in target.ansible.get_variables().get("ssh_auth_methods", [])


def test_operator_logs_in_with_a_key_and_has_root_privileges(
    facts, trusted, trusted_keys, target_address
):
    login = (
        f"{SSH} -o BatchMode=yes -i {trusted_keys}/operator {facts.operator_user}@{target_address}"
    )
    result = trusted.run(f"{login} sudo -n id -u")
    assert result.rc == 0, result.stderr
    assert result.stdout.strip() == "0"


def test_operator_logs_in_with_a_certificate(facts, trusted, trusted_keys, target_address):
    with_cert = trusted.run(
        f"{SSH} -o BatchMode=yes -o IdentitiesOnly=yes -i {trusted_keys}/operator_cert "
        f"-o CertificateFile={trusted_keys}/operator_cert-cert.pub "
        f"{facts.operator_user}@{target_address} true"
    )
    assert with_cert.rc == 0, with_cert.stderr
    # The same key without its certificate is not enough: the certificate is what lets it in.
    without_cert = trusted.run(
        f"{SSH} -o BatchMode=yes -o IdentitiesOnly=yes -i {trusted_keys}/operator_cert "
        f"-o CertificateFile=/dev/null {facts.operator_user}@{target_address} true"
    )
    assert without_cert.rc != 0


def test_password_login_only_where_enabled(target, facts, trusted, target_address):
    result = trusted.run(
        f"sshpass -p {PASSWORD} {SSH} -o PreferredAuthentications=password "
        f"-o PubkeyAuthentication=no {facts.operator_user}@{target_address} true"
    )
    if password_enabled(target):
        assert result.rc == 0, result.stderr
    else:
        assert result.rc != 0


def test_passwords_only_from_trusted_sources(target, facts, trusted, untrusted):
    """sshd's effective configuration for a connection from each side (sshd -T -C)."""

    def effective(address):
        spec = f"user={facts.operator_user},addr={address},host=client"
        return target.check_output(f"sshd -T -C {spec} | grep -i '^passwordauthentication'")

    assert effective(address_of(untrusted)).endswith(" no")
    expected = " yes" if password_enabled(target) else " no"
    assert effective(address_of(trusted)).endswith(expected)


def test_root_login_refused_as_configured(facts, trusted, trusted_keys, target_address):
    """prepare.yml gave root the operator's key: only PermitRootLogin no keeps root out. The same
    key lets the operator in, so the refusal is for root, not for the key or the network."""
    key = f"{SSH} -o BatchMode=yes -o IdentitiesOnly=yes -i {trusted_keys}/operator"
    root = trusted.run(f"{key} root@{target_address} true")
    assert root.rc == 255, (root.rc, root.stderr)  # ssh's own failure, not the command's
    assert f"root@{target_address}: Permission denied (" in root.stderr, root.stderr
    operator = trusted.run(f"{key} {facts.operator_user}@{target_address} true")
    assert operator.rc == 0, operator.stderr


def test_sshd_config_is_what_sshd_runs(target):
    assert target.check_output("sshd -T | grep -i '^permitrootlogin'").endswith(" no")
    assert target.service("ssh").is_running


@pytest.fixture(scope="session")
def ssh_audit(trusted) -> str:
    """ssh-audit (the project's pinned version, requirements/dev.txt) put on the trusted client:
    the command that runs it there. Debian 12's own (2.5) predates strict key exchange and
    post-quantum key exchange."""
    package = Path(ssh_audit_module.__file__).parent
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w:gz") as tar:
        tar.add(
            package,
            arcname="ssh_audit",
            filter=lambda info: None if "__pycache__" in info.name else info,
        )
    put_file(trusted, "/root/ssh-audit.tgz", archive.getvalue())
    trusted.check_output(
        "rm -rf /root/ssh-audit && mkdir /root/ssh-audit && "
        "tar -C /root/ssh-audit -xzf /root/ssh-audit.tgz"
    )
    return "PYTHONPATH=/root/ssh-audit python3 -m ssh_audit"


def test_ssh_audit_finds_nothing_to_fail_or_warn(ssh_audit, trusted, target_address):
    """ssh-audit from the trusted client: no algorithm, key or version it fails or warns about
    (exit 0). Its connection-rate test is skipped: sshd's PerSourceMaxStartups 1 is the
    protection its own message names, and that test reads it as a false positive."""
    result = trusted.run(f"{ssh_audit} --skip-rate-test -l warn {target_address}")
    print(result.stdout)
    assert result.rc == 0, result.stdout
    assert "cannot connect" not in result.stdout


def test_host_keys_are_ed25519_and_rsa_of_3072_bits_or_more(target):
    keys = target.check_output("ls /etc/ssh/ | grep -E '^ssh_host_.*_key$' | sort").split()
    assert keys == ["ssh_host_ed25519_key", "ssh_host_rsa_key"]
    bits = int(target.check_output("ssh-keygen -l -f /etc/ssh/ssh_host_rsa_key.pub").split()[0])
    assert bits >= 3072
    offered = target.check_output("sshd -T | grep -E '^(kexalgorithms|ciphers|macs) '")
    assert "nistp" not in offered and "sha1" not in offered and "cbc" not in offered, offered
