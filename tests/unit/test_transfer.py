"""difusor.transfer: the rsync client of the drill and the simulator (rsync itself is faked)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from difusor.errors import DifusorError
from difusor.transfer import Target, push_files, read_password

TARGET = Target("10.0.0.2")


def test_the_url_names_user_host_module_and_a_port_other_than_873() -> None:
    assert TARGET.url() == "rsync://ople@10.0.0.2/paquetes/"
    assert Target("h", "cortes", "ine", 8873).url() == "rsync://ine@h:8873/cortes/"


def test_rsync_pushes_one_file_per_call_to_the_daemon_module(tmp_path: Path) -> None:
    calls: list[tuple[list[str], str]] = []

    def fake_run(argv: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        calls.append((argv, kwargs["env"]["RSYNC_PASSWORD"]))  # type: ignore[index]
        return subprocess.CompletedProcess(argv, 0, "", "")

    files = [tmp_path / "a.zip", tmp_path / "a.zip.sha256"]
    ok, detail = push_files(files, TARGET, "s3cret", run=fake_run)
    assert ok and detail == ""
    assert [argv[-2] for argv, _ in calls] == [str(f) for f in files]  # archive, then sidecar
    assert {argv[-1] for argv, _ in calls} == {"rsync://ople@10.0.0.2/paquetes/"}
    assert {password for _, password in calls} == {"s3cret"}


def test_a_failed_transfer_stops_before_the_sidecar(tmp_path: Path) -> None:
    calls: list[list[str]] = []

    def refused(argv: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        calls.append(argv)
        return subprocess.CompletedProcess(argv, 5, "", "@ERROR: auth failed on module paquetes\n")

    ok, detail = push_files([tmp_path / "a.zip", tmp_path / "a.sha256"], TARGET, "x", run=refused)
    assert not ok and "auth failed" in detail and "exit 5" in detail
    assert len(calls) == 1


def test_password_from_file_or_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = tmp_path / "pw"
    secret.write_text("from-file\n")
    assert read_password(secret) == "from-file"
    monkeypatch.setenv("RSYNC_PASSWORD", "from-env")
    assert read_password(secret) == "from-file"  # the file wins
    assert read_password(None) == "from-env"
    monkeypatch.delenv("RSYNC_PASSWORD")
    assert read_password(None) is None
    with pytest.raises(DifusorError, match="cannot read the password file"):
        read_password(tmp_path / "absent")
