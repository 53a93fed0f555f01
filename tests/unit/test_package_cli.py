"""`difusor package ...`: exit codes 0 (ok), 1 (rejected, reason on stderr), 2 (usage); `ingest`
3 when it rejected a package (journaled) and 1 only when the pass itself failed."""

import os
from pathlib import Path

import pytest
from package_kit import make_tar

from difusor.cli import main
from difusor.package.cli import EXIT_REJECTED

ROOT = Path(__file__).resolve().parents[2]


def run(argv):
    try:
        return main(argv)
    except SystemExit as exc:  # argparse
        return exc.code


def test_generate_then_verify(tmp_path, capsys):
    assert run(["package", "generate", "--cut", "2024-06-02 20:15", "--out", str(tmp_path)]) == 0
    path = capsys.readouterr().out.strip()
    assert path == str(tmp_path / "20240602_2015_PREP_VER.zip")
    assert os.path.exists(path + ".sha256")
    assert run(["package", "verify", path]) == 0
    out = capsys.readouterr().out
    assert "valid, cut 20240602_2015" in out and "synthetic" in out


def test_rejected_package_exits_1_with_file_and_rule(tmp_path, capsys):
    archive = make_tar(tmp_path, [])
    archive.with_name(archive.name + ".sha256").write_text("0" * 64 + "  " + archive.name + "\n")
    assert run(["package", "verify", str(archive)]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert archive.name in err and "sidecar-mismatch" in err


@pytest.mark.parametrize(
    "argv",
    [
        ["package"],
        ["package", "verify"],
        ["package", "frobnicate"],
        ["package", "publish"],
        ["package", "generate", "--cut", "2024-06-31 20:15", "--out", "x"],
        ["package", "generate", "--cut", "2024-06-02 20:15", "--out", "x", "--rows", "0"],
        ["package", "generate", "--cut", "2024-06-02", "--out", "x"],
    ],
)
def test_usage_errors_exit_2(argv):
    assert run(argv) == 2


def test_publish_list_rollback(tmp_path, capsys):
    out, root = tmp_path / "out", tmp_path / "srv"
    accept = tmp_path / "settings.yml"
    accept.write_text("accept_synthetic: true\n")  # the generated packages are synthetic

    def publish(archive, *extra):
        return run(["package", "publish", str(archive), "--root", str(root), *extra,
                    "--settings", str(accept)])  # fmt: skip

    for cut in ("2024-06-02 20:15", "2024-06-02 20:30"):
        assert run(["package", "generate", "--cut", cut, "--out", str(out), "--rows", "5"]) == 0
    first, second = sorted(out.glob("*.zip"))
    assert publish(first) == 0
    assert publish(second) == 0
    capsys.readouterr()
    assert publish(first) == 1
    assert "replayed-cut" in capsys.readouterr().err
    assert run(["package", "list", "--root", str(root)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("20240602_2015") and lines[0].endswith("previous")
    assert lines[1].startswith("20240602_2030") and lines[1].endswith("live")
    assert run(["package", "rollback", "--root", str(root)]) == 0
    assert os.readlink(root / "current") == "releases/20240602_2015"
    assert run(["package", "rollback", "--root", str(root), "--to", "20240602_2030"]) == 0
    assert run(["package", "rollback", "--root", str(root), "--to", "20240602_2100"]) == 1
    assert publish(first, "--force") == 0
    assert os.readlink(root / "current") == "releases/20240602_2015"


def test_settings_file(tmp_path, capsys):
    settings = tmp_path / "settings.yml"
    settings.write_text(
        "publish_from: '2030-01-01 00:00'\nkeep_releases: 2\naccept_synthetic: true\n"
    )
    run(["package", "generate", "--cut", "2024-06-02 20:15", "--out", str(tmp_path), "--rows", "3"])
    archive = capsys.readouterr().out.strip()
    root = tmp_path / "srv"
    argv = ["package", "publish", archive, "--root", str(root), "--settings", str(settings)]
    assert run(argv) == 0
    assert "staged" in capsys.readouterr().out
    assert not (root / "current").is_symlink()
    assert run([*argv, "--drill", "--force"]) == 0
    assert os.readlink(root / "current") == "releases/20240602_2015"
    settings.write_text("no_such_setting: 1\n")
    assert run(argv) == 1
    assert "unknown package settings: no_such_setting" in capsys.readouterr().err


def test_ingest_exits_3_on_a_rejection_and_the_check_changes_nothing(tmp_path, capsys):
    incoming, root = tmp_path / "incoming", tmp_path / "srv"
    root.mkdir()
    for cut in ("2024-06-02 20:15", "2024-06-02 20:30"):
        run(["package", "generate", "--cut", cut, "--out", str(incoming), "--rows", "3"])
    first, second = sorted(incoming.glob("*.zip"))
    second.write_bytes(second.read_bytes()[:-10])
    paths = ["--incoming", str(incoming), "--root", str(root), "--drill"]
    capsys.readouterr()
    assert run(["package", "ingest", "--check", *paths]) == 0
    out = capsys.readouterr().out
    assert f"would-publish {first.name}: cut 20240602_2015" in out
    assert f"would-reject {second.name}" in out
    assert "check: the publisher runs (python 3." in out and "live cut none" in out
    assert sorted(p.name for p in root.iterdir()) == []
    assert run(["package", "ingest", *paths, "--settle", "0"]) == EXIT_REJECTED == 3
    assert os.readlink(root / "current") == "releases/20240602_2015"


def test_the_ingest_unit_counts_a_rejection_as_a_pass_that_worked():
    unit = ROOT / "roles/prep_publisher/templates/difusor-ingest.service.j2"
    assert f"\nSuccessExitStatus={EXIT_REJECTED}\n" in unit.read_text()
