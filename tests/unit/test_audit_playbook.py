"""playbooks/audit.yml judges nothing itself: it runs `difusor audit` once, on the controller,
with the play's inventory and hosts, and fails when the audit does.

ansible-playbook runs for real on the inventory fixture; `difusor audit` is replaced by a script
that records its arguments (no host is contacted: the play gathers no facts and its one
command is delegated to localhost)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOK = ROOT / "playbooks" / "audit.yml"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
HOSTS = FIXTURES / "inventory" / "hosts.yml"
VAULT_PASSWORD = FIXTURES / "vault-password"
ANSIBLE_PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"
FAKE_AUDIT = """
import json, os, sys
with open(os.environ["FAKE_AUDIT_ARGV"], "w") as out:
    json.dump(sys.argv[1:], out)
print("difusor: prep-b: PASS 20", file=sys.stderr)
print("0123abcd  audit-x/informe-auditoria.html")
sys.exit(int(os.environ.get("FAKE_AUDIT_EXIT", "0")))
"""


def play(
    tmp_path: Path, *args: str, exit_code: int = 0
) -> tuple[subprocess.CompletedProcess, list]:
    fake = tmp_path / "fake_audit.py"
    fake.write_text(FAKE_AUDIT)
    argv_file = tmp_path / "argv.json"
    argv_file.unlink(missing_ok=True)
    env = {
        **os.environ,
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        "ANSIBLE_NOCOLOR": "1",
        "FAKE_AUDIT_ARGV": str(argv_file),
        "FAKE_AUDIT_EXIT": str(exit_code),
        "PWD": str(tmp_path),
    }
    result = subprocess.run(
        [
            str(ANSIBLE_PLAYBOOK),
            "-i",
            str(HOSTS),
            "--vault-password-file",
            str(VAULT_PASSWORD),
            str(PLAYBOOK),
            "-e",
            json.dumps({"audit_difusor": [sys.executable, str(fake)]}),
            *args,
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=300,
        check=False,
    )
    recorded = json.loads(argv_file.read_text()) if argv_file.exists() else []
    return result, recorded


def option(argv: list[str], name: str) -> str:
    return argv[argv.index(name) + 1]


def test_the_playbook_parses() -> None:
    result = subprocess.run(
        [str(ANSIBLE_PLAYBOOK), "--syntax-check", "-i", str(HOSTS), str(PLAYBOOK)],
        capture_output=True,
        text=True,
        env={**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg")},
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("limit", "hosts"),
    [((), "prep-b,prep-a,prep-c"), (("--limit", "respaldo"), "prep-a,prep-c")],  # play order
)
def test_difusor_audit_runs_once_on_the_plays_inventory_and_hosts(
    tmp_path: Path, limit: tuple[str, ...], hosts: str
) -> None:
    result, argv = play(tmp_path, *limit, "-e", "audit_lang=en")
    assert result.returncode == 0, result.stdout + result.stderr
    assert argv[0] == "audit" and option(argv, "-i") == str(HOSTS)
    assert option(argv, "--limit") == hosts
    assert (option(argv, "--lang"), option(argv, "--format")) == ("en", "html,json")
    assert "--vault-password-file" not in argv and "-o" not in argv
    assert "prep-b: PASS 20" in result.stdout  # what the audit said is shown


def test_a_failing_audit_fails_the_play(tmp_path: Path) -> None:
    result, argv = play(
        tmp_path,
        "-e",
        f"audit_out=report audit_vault_password_file={VAULT_PASSWORD}",
        exit_code=1,
    )
    assert result.returncode != 0
    assert "difusor audit exit 1: a requirement fails" in result.stdout
    assert option(argv, "-o") == "report"
    assert option(argv, "--vault-password-file") == str(VAULT_PASSWORD)
