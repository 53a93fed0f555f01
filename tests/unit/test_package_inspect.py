"""`difusor package inspect`: preset, cut, each election's summary line, files; JSON; exit
codes like verify (0 valid, 1 rejected, 2 usage)."""

import json

from package_kit import CUT, make_zip, served_csv

from difusor.cli import main
from difusor.package import generate
from difusor.package.inspect import inspect


def run(argv):
    try:
        return main(argv)
    except SystemExit as exc:
        return exc.code


def test_the_report_of_a_state_package(tmp_path):
    archive = generate(CUT, tmp_path, rows=500, elections=("GUB", "DIP_LOC"))
    report = inspect(archive)
    assert report["valid"] and report["preset"] == "state" and report["cut_id"] == "20240602_2015"
    by_path = {election["path"]: election for election in report["elections"]}
    governor = by_path[served_csv()]
    assert governor["election"] == "GUBERNATURA"
    assert governor["expected"] == 499 and 0 < governor["captured"] <= 499
    assert governor["counted"] <= governor["captured"]
    assert isinstance(governor["participation"], float)
    assert {item["path"] for item in report["files"]} >= {served_csv(), "index.html"}


def test_spanish_text_json_and_exit_codes(tmp_path, capsys):
    archive = generate(CUT, tmp_path, rows=50, layout="ine")
    assert run(["package", "inspect", str(archive)]) == 0
    text = capsys.readouterr().out
    assert "válido" in text and "formato (preset): ine" in text and "actas esperadas" in text
    assert run(["package", "inspect", str(archive), "--lang", "en"]) == 0
    assert "actas expected" in capsys.readouterr().out
    assert run(["package", "inspect", str(archive), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [e["election"] for e in report["elections"]] == [
        "DIPUTACIONES FEDERALES",
        "PRESIDENCIA DE LA REPÚBLICA",
        "SENADURÍAS",
    ]
    assert any(item["path"].endswith(".zip!/PRES_2024.csv") for item in report["files"])


def test_a_rejected_package_exits_1_and_usage_2(tmp_path, capsys):
    bad = make_zip(tmp_path, [("../x", b"x")])
    assert run(["package", "inspect", str(bad), "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["valid"] is False and report["rule"] == "path-traversal"
    assert run(["package", "inspect"]) == 2
