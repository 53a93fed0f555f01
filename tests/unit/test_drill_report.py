import json

from difusor.drill import evaluate, report
from difusor.drill.evaluate import Fact
from difusor.drill.web import Page

VALUES = {
    "first": "20261128_1020",
    "second": "20261128_1035",
    "corrupt": "20261128_1050",
    "replayed": "20261128_1020",
    "stale": "20261128_0930",
    "fresh": "20261128_1105",
    "timeout": 60,
}
LIVE = Page(200, b'data-corte="20261128_1020"')


def host_report(*steps, cleanup=()):
    return report.HostReport(
        "prep-sandbox", "192.0.2.10", "2026-11-28T10:20:42-06:00", {}, steps, cleanup
    )


def test_spanish_table_with_verdicts_and_recovery_times():
    ok = evaluate.went_live(1, "first_cut", "20261128_1020", "", LIVE, 2.26, 60, VALUES)
    bad = evaluate.failed(5, "crash", "'kill -9 7' exit 1: no such process", VALUES)
    text = report.render(host_report(ok, bad, cleanup=(Fact("notice_turned_off"),)))
    header = text.splitlines()[2]
    assert "paso" in header and "tiempo de recuperación" in header and "veredicto" in header
    assert "PASA" in text and "FALLA" in text
    assert "envío→servido 2.3 s" in text
    assert "Resultado: 1 de 2 pasos PASAN: simulacro NO aprobado" in text
    assert "Al terminar: modo aviso desactivado" in text
    assert "20261128_1020" in text


def test_english_on_request():
    ok = evaluate.went_live(1, "first_cut", "20261128_1020", "", LIVE, 2.0, 60, VALUES)
    text = report.render(host_report(ok), "en")
    assert "PASS" in text and "push→served 2.0 s" in text
    assert "Result: 1 of 1 steps PASS: drill PASSED" in text


def test_every_line_of_the_table_has_the_same_width():
    ok = evaluate.went_live(1, "first_cut", "20261128_1020", "", LIVE, 2.0, 60, VALUES)
    lines = report.table([report.HEADERS["es"], report.step_cells(ok, "es")]).splitlines()
    assert len({len(line) for line in lines}) == 1
    assert len(lines) > 4  # long cells wrapped onto more lines


def test_every_message_exists_in_both_languages_with_the_same_fields():
    for table in (report.ACTIONS, report.EXPECTED, report.FACTS, report.TIMINGS):
        assert set(table["es"]) == set(table["en"])
    for key in report.FACTS["es"]:
        assert report.FACTS["es"][key].count("{") == report.FACTS["en"][key].count("{"), key


def test_json_report():
    ok = evaluate.went_live(1, "first_cut", "20261128_1020", "", LIVE, 2.0, 60, VALUES)
    data = json.loads(report.as_json([host_report(ok)], "en"))
    assert data["call"] == "III.c.ii"
    step = data["hosts"][0]["steps"][0]
    assert step["passed"] and step["timings_s"] == {"push_to_served": 2.0}
    assert step["action"] == "normal cut A 20261128_1020 pushed by rsync"
    assert data["hosts"][0]["passed"]
