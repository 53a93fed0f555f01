"""`difusor stats` from the command line: formats, output paths, salt, errors."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from stats_kit import SAMPLE, write

from difusor.cli import main as difusor_main


def main(argv: list[str]) -> int:
    return difusor_main(["stats", *argv])


@pytest.fixture
def log(tmp_path: Path) -> Path:
    return write(tmp_path / "access.log", SAMPLE)


def test_json_to_stdout(log: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(log)]) == 0
    out, err = capsys.readouterr()
    figures = json.loads(out)
    for key in ("visitors", "page_views", "hits", "bots", "malformed_lines", "pages", "by_day"):
        assert key in figures
    assert figures["time_on_site"]["visits"] == 4
    assert "3 malformed lines counted and skipped" in err


def test_csv_rows_per_day_and_total(log: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(log), "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [row["date"] for row in rows] == ["2024-06-02", "2024-06-03", "total"]
    assert rows[-1]["hits"] == "16"
    assert rows[0]["page_views"] == "5"


def test_markdown_in_spanish_and_english(log: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main([str(log), "--format", "md", "--from", "2024-06-02", "--to", "2024-06-09"])
    spanish = capsys.readouterr().out
    assert "Páginas consultadas" in spanish and "| /gubernatura.html | 2 |" in spanish
    assert "del 2024-06-02 al 2024-06-09" in spanish
    main([str(log), "--format", "md", "--lang", "en"])
    assert "Page views" in capsys.readouterr().out


def test_every_format_into_a_directory(log: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    salt = tmp_path / "salt"
    salt.write_text("a secret salt of enough length\n")
    assert main([str(log), "--format", "json,csv,html,md", "-o", str(out), "--salt-file",
                 str(salt)]) == 0  # fmt: skip
    names = sorted(path.name for path in out.iterdir())
    for fmt in ("json", "csv", "html", "md"):
        assert f"estadisticas.{fmt}" in names
    html = (out / "estadisticas.html").read_text()
    assert "<svg" in html  # charts inline
    assert (out / "estadisticas_visitas_por_hora.png").read_bytes()[:4] == b"\x89PNG"
    for path in out.iterdir():
        assert b"192.0.2.1" not in path.read_bytes()


def test_single_file_output(log: Path, tmp_path: Path) -> None:
    target = tmp_path / "sub" / "figures.json"
    assert main([str(log), "-o", str(target)]) == 0
    assert json.loads(target.read_text())["hits"] == 16


def test_empty_range(log: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(log), "--from", "2024-07-01", "--format", "md"]) == 0
    out, err = capsys.readouterr()
    assert "No hay solicitudes en el periodo indicado." in out
    assert "no requests in the range" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--from", "2024-06-09", "--to", "2024-06-02"], "is after --to"),
        (["--format", "json,md"], "several formats need -o DIR"),
        (["--salt-file", "/nonexistent/salt"], "cannot read the salt file"),
    ],
)
def test_user_errors(
    log: Path, argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([str(log), *argv]) == 1
    assert message in capsys.readouterr().err


def test_missing_log(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path / "nope.log")]) == 1
    assert "cannot read the access log" in capsys.readouterr().err


def test_bad_format_is_a_usage_error(log: Path) -> None:
    with pytest.raises(SystemExit):
        main([str(log), "--format", "xml"])
