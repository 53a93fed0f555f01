"""The programs the controller's commands run (difusor.tools): one table, installed by `make
setup`, and a missing one is told in one line with its package, never a traceback."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from difusor import system, tools
from difusor.cli import main

SRC = Path(__file__).resolve().parents[2] / "src" / "difusor"
# Programs of every Debian or Ubuntu system: not in the table.
BASE_SYSTEM = {"sh", "bash", "env", "tar", "apt-get", "apt-config", "systemctl"}
RSYNC_LINE = "difusor: rsync is not installed; install the package rsync (apt-get install rsync)"


def run_cli(args: list[str], path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """The CLI in a subprocess whose PATH holds only `path` (no rsync there)."""
    return subprocess.run(
        [sys.executable, "-m", "difusor.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": str(path), **env},
        timeout=120,
        check=False,
    )


def program_literals() -> dict[str, set[str]]:
    """Programs that src/difusor runs: the first word of the list literals given to run(),
    Popen() or a runner, or returned as a command line."""
    found: dict[str, set[str]] = {}
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            argv = None
            if isinstance(node, ast.Call) and node.args:
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name in {"run", "_run", "Popen", "check_output", "check_call", "call"}:
                    argv = node.args[0]
            elif isinstance(node, ast.Return):
                argv = node.value
            if isinstance(argv, ast.List) and argv.elts:
                first = argv.elts[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    found.setdefault(first.value, set()).add(str(path.relative_to(SRC)))
    return found


def test_every_program_the_code_runs_is_in_the_table():
    found = program_literals()
    assert {"rsync", "ssh", "docker", "debootstrap"} <= set(found), found
    unlisted = {name: where for name, where in found.items() if name not in tools.PROGRAMS}
    assert set(unlisted) <= BASE_SYSTEM, f"add these to difusor.tools.PROGRAMS: {unlisted}"


def test_the_message_names_the_package_in_one_line():
    assert tools.missing_message(["rsync"]) == RSYNC_LINE.removeprefix("difusor: ")
    both = tools.missing_message(["ssh", "rsync", "ssh-keygen"])
    assert both == (
        "rsync, ssh and ssh-keygen are not installed; install the packages openssh-client rsync "
        "(apt-get install openssh-client rsync)"
    )
    assert "\n" not in both


def test_the_drill_without_rsync_says_which_package_and_exits_2(tmp_path):
    result = run_cli(["drill", "-i", str(tmp_path / "hosts.yml")], tmp_path)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("difusor: rsync and ssh are not installed; install the packages")
    assert "apt-get install openssh-client rsync" in lines[0]


def test_simulate_push_without_rsync_says_which_package_and_exits_2(tmp_path):
    result = run_cli(
        ["simulate", "push", "--target", "192.0.2.1", "--count", "1"],
        tmp_path,
        RSYNC_PASSWORD="x",
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == RSYNC_LINE
    assert result.stdout == ""


def test_a_program_run_without_a_check_is_caught_by_main(tmp_path, monkeypatch, capsys):
    """The backstop: subprocess's FileNotFoundError of a known program becomes the same line."""
    monkeypatch.setattr(tools, "require", lambda *names: None)  # skip the check before the push
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("RSYNC_PASSWORD", "x")
    code = main(["simulate", "push", "--target", "192.0.2.1", "--count", "1", "--rows", "5"])
    assert code == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == RSYNC_LINE


def test_system_run_of_a_missing_program_names_its_package(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(tools.MissingProgram) as exc:
        system.run(["debootstrap", "--version"])
    assert str(exc.value).endswith("(apt-get install debootstrap)")


def test_other_file_errors_are_not_hidden(monkeypatch):
    def broken(args):
        raise FileNotFoundError(2, "No such file or directory", "/nowhere/results.zip")

    monkeypatch.setattr("difusor.engine.cmd_engine", broken)
    with pytest.raises(FileNotFoundError):
        main(["engine"])


def test_ensure_commands_without_root_raises_the_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(system, "is_root", lambda: False)
    monkeypatch.setattr(system, "run", lambda *a, **k: pytest.fail("ran something"))
    with pytest.raises(tools.MissingProgram) as exc:
        system.ensure_commands({"ssh-keygen": "openssh-client", "frobnicate": "frob"}, "test")
    assert str(exc.value) == (
        "frobnicate and ssh-keygen are not installed; install the packages frob openssh-client "
        "(apt-get install frob openssh-client)"
    )


def test_ensure_commands_as_root_installs_the_packages_of_the_table(tmp_path, monkeypatch):
    installed: list[list[str]] = []
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "apt-get").write_text("#!/bin/sh\n")
    (bin_dir / "apt-get").chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.setattr(system, "is_root", lambda: True)

    def fake_run(args, **kwargs):
        installed.append(list(args))
        if "install" in args:  # the packages arrive
            for name in ("rsync", "sshpass"):
                (bin_dir / name).write_text("#!/bin/sh\n")
                (bin_dir / name).chmod(0o755)
        return subprocess.CompletedProcess(args, 0, "", "")

    monkeypatch.setattr(system, "run", fake_run)
    system.ensure_commands(["rsync", "sshpass"], "make setup")
    assert installed[-1][-2:] == ["rsync", "sshpass"]
    assert installed[-1][:4] == ["env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install"]


def test_tools_check_lists_every_program_and_exits_2_when_one_is_missing(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.setattr(tools.shutil, "which", lambda name: None if name == "rsync" else "/x")
    assert main(["tools", "check"]) == 2
    captured = capsys.readouterr()
    listed = [line.split()[0] for line in captured.out.splitlines()]
    assert listed == list(tools.PROGRAMS)
    assert captured.err.strip() == RSYNC_LINE


def test_tools_install_installs_what_is_missing(monkeypatch, capsys):
    asked: list[list[str]] = []
    monkeypatch.setattr(tools.shutil, "which", lambda name: None if name == "rsync" else "/x")
    monkeypatch.setattr(system, "ensure_commands", lambda names, why: asked.append(list(names)))
    assert main(["tools", "install"]) == 0
    assert asked == [["rsync"]]
    assert "installing rsync" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["-i", "hosts.yml"], ["ssh"]),
        (["-i", "hosts.yml", "--trusted-vantage", "local://"], ["ssh"]),
        (
            ["-i", "h.yml", "--trusted-vantage", "local://", "--portal-url", "https://x/"],
            ["ssh", "curl", "openssl"],
        ),
        (["--hosts", "docker://web1"], []),
    ],
)
def test_the_audit_checks_what_it_will_run_here(argv, expected):
    from difusor.cli import build_parser
    from difusor.compliance.cli import needed_programs

    args = build_parser().parse_args(["audit", *argv])
    assert needed_programs(args) == expected
