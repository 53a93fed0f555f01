"""The memoria técnica from a collected directory; expected incidents worked out by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from stats_kit import line, write

from difusor.cli import main as difusor_main
from difusor.errors import DifusorError
from difusor.memoria import collect, render
from difusor.memoria.build import build
from difusor.memoria.incidents import from_journal


def main(argv: list[str]) -> int:
    return difusor_main(["memoria", *argv])


SALT = b"0123456789abcdef-test-salt"


def event(time: str, name: str, **fields: object) -> dict:
    return {"time": time, "event": name, "archive": None, "cut": None, **fields}


# difusor-1, times in UTC (local = UTC-6). Cuts every 15 min from 20:00 local on 2 June.
JOURNAL_1 = [
    event("2024-06-03T02:03:00Z", "published", cut="20240602_2000"),
    event("2024-06-03T02:17:00Z", "published", cut="20240602_2015"),
    event("2024-06-03T02:32:00Z", "verify_failed", rule="checksum"),
    event(
        "2024-06-03T02:32:01Z",
        "rejected",
        archive="/srv/prep/incoming/20240602_2030_PREP_VER.zip",
        cut="20240602_2030",
        rule="checksum",
        reason="sha256 does not match the sidecar",
    ),
    # 20:15 -> 20:45 is 30 min > 15 + 5: a late cut, one expected cut missing.
    event("2024-06-03T02:48:00Z", "published", cut="20240602_2045"),
    event("2024-06-03T03:20:00Z", "stale_warning", cut="20240602_2045", age_s=2100),
    event("2024-06-03T03:35:00Z", "stale_critical", cut="20240602_2045", age_s=3000),
    event(
        "2024-06-03T03:36:00Z",
        "notice_on",
        reason="live cut is 51 minutes old",
        by="watchdog",
        auto=True,
    ),
    # 21:00 published at 21:40 local: 40 min late; the gap 20:45 -> 21:00 is normal.
    event("2024-06-03T03:40:00Z", "published", cut="20240602_2100"),
    event("2024-06-03T03:41:00Z", "fresh_again", cut="20240602_2100", age_s=2460),
    event("2024-06-03T03:42:00Z", "notice_off", by="operador", since="2024-06-03T03:36:00Z"),
    event("2024-06-05T18:00:00Z", "rollback", cut="20240602_2045", previous="20240602_2100"),
]
JOURNAL_2 = [
    event("2024-06-03T02:02:00Z", "published", cut="20240602_2000"),
    event("2024-06-09T10:00:00Z", "notice_on", reason="mantenimiento", by="ana", auto=False),
]
LOGS_1 = [
    line("2024-06-01T12:00:00-06:00", "/"),  # before the period
    line("2024-06-02T20:00:00-06:00", "/"),
    line("2024-06-02T20:05:00-06:00", "/index.html"),
    line("2024-06-02T20:10:00-06:00", "/assets/data/resumen.json"),
    line("2024-06-09T23:50:00-06:00", "/", ip="198.51.100.7"),
    line("2024-06-10T06:00:00-06:00", "/"),  # after the period
]


@pytest.fixture
def collected(tmp_path: Path) -> Path:
    root = tmp_path / "recolectado"
    for host, journal in (("difusor-1", JOURNAL_1), ("difusor-2", JOURNAL_2)):
        (root / host).mkdir(parents=True)
        (root / host / "journal.jsonl").write_text(
            "".join(json.dumps(entry) + "\n" for entry in journal) + '{"cut short\n'
        )
    (root / "difusor-1" / "web").mkdir()
    write(root / "difusor-1" / "web" / "access.log.1", LOGS_1[:3])
    write(root / "difusor-1" / "web" / "access.log", LOGS_1[3:])
    return root


def test_incidents_of_one_journal() -> None:
    found = from_journal("difusor-1", JOURNAL_1)
    kinds = [incident.kind for incident in found]
    # In time order: the gap starts at the 20:15 cut, before the 20:32 rejection.
    assert kinds == ["late_cut", "rejected", "late_arrival", "stale", "notice", "rollback"]
    late_cut, rejected, late_arrival, stale, notice, _ = found
    assert rejected.fields["rule"] == "checksum"
    assert rejected.fields["archive"] == "20240602_2030_PREP_VER.zip"
    assert late_cut.fields["missing"] == 1
    assert late_cut.duration_s == 30 * 60
    assert late_arrival.fields["delay_s"] == 40 * 60
    assert (stale.fields["level"], stale.duration_s) == (2, 21 * 60)
    assert (notice.duration_s, notice.fields["auto"]) == (6 * 60, True)


def test_build_counts_everything(collected: Path) -> None:
    memoria = build(collected, salt=SALT)
    kinds = sorted(incident.kind for incident in memoria.incidents)
    assert kinds == sorted(
        ["rejected", "late_cut", "late_arrival", "stale", "notice", "notice", "rollback", "silent"]
    )
    open_notice = next(i for i in memoria.incidents if i.kind == "notice" and i.host == "difusor-2")
    assert open_notice.end is None
    silent = next(i for i in memoria.incidents if i.kind == "silent")
    # From the end of the 20:10 minute on 2 June to the 23:50 request on 9 June.
    assert silent.start.isoformat() == "2024-06-03T02:11:00+00:00"
    assert silent.end.isoformat() == "2024-06-10T05:50:00+00:00"
    assert memoria.stats["hits"] == 4
    assert memoria.stats["out_of_range_lines"] == 2
    assert memoria.stats["page_views"] == 3
    assert memoria.publication["difusor-1"]["published_cuts"] == 4
    assert memoria.publication["difusor-2"]["published_cuts"] == 1


def test_markdown_in_spanish(collected: Path) -> None:
    text = render.to_markdown(build(collected, salt=SALT, difusor="Universidad X"), "es")
    for needed in (
        "12 de junio de 2024",
        "VII.a.i",
        "VII.a.ii",
        "VII.a.iii",
        "del 2024-06-02 al 2024-06-09",
        "20240602_2030_PREP_VER.zip: regla checksum. sha256 does not match the sidecar.",
        "Corte tardío",
        "El corte de 02/06/2024 21:00 se publicó a las 02/06/2024 21:40 (40 min 00 s después).",
        "sin cerrar",
        "| 02/06/2024 20:32 | - |  | difusor-1 | Paquete rechazado |",
        "Universidad X",
        "[por completar]",
        "Se rechazaron 1 paquetes (reglas: checksum)",
    ):
        assert needed in text, needed
    assert "192.0.2.1" not in text


def test_html_and_english(collected: Path, tmp_path: Path) -> None:
    out = tmp_path / "memoria"
    assert main(["--from-dir", str(collected), "-o", str(out), "--format", "html"]) == 0
    html = (out / "memoria_tecnica.html").read_text()
    assert "12 de junio de 2024" in html and "<svg" in html
    english = render.to_markdown(build(collected, salt=SALT), "en")
    assert "Due: 12 June 2024" in english and "Late cut" in english


def test_pdf(collected: Path, tmp_path: Path) -> None:
    pytest.importorskip("xhtml2pdf")
    assert main(["--from-dir", str(collected), "-o", str(tmp_path), "--format", "pdf"]) == 0
    assert (tmp_path / "memoria_tecnica.pdf").read_bytes()[:5] == b"%PDF-"


def test_empty_directory_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DifusorError, match="no host data"):
        build(tmp_path)


def test_collect_runs_the_playbook(
    collected: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "ansible-playbook"
    fake.write_text(
        "#!/bin/sh\n"
        f'echo "$@" > {tmp_path}/argv\n'
        'dest=$(echo "$@" | sed -n "s/.*collect_dest=\\([^ ]*\\).*/\\1/p")\n'
        f'cp -r {collected}/difusor-1 "$dest/"\n'
    )
    fake.chmod(0o755)
    monkeypatch.setattr(collect, "ansible_program", lambda name: str(fake))
    inventory = tmp_path / "hosts.yml"
    inventory.write_text("all: {}\n")
    out = tmp_path / "out"
    stale = out / "recolectado" / "difusor-1" / "web" / "access.log.9"  # from an earlier run
    stale.parent.mkdir(parents=True)
    stale.write_text(LOGS_1[1] + "\n")
    assert main(["-i", str(inventory), "-o", str(out), "--format", "md"]) == 0
    assert not stale.exists()
    assert "playbooks/collect.yml" in (tmp_path / "argv").read_text()
    assert (out / "recolectado" / "difusor-1" / "journal.jsonl").is_file()
    assert "regla checksum" in (out / "memoria_tecnica.md").read_text()
