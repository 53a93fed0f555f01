"""Notice mode on and off, the publication window guard, the watchdog settings file."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from difusor.cli import main
from difusor.errors import DifusorError
from difusor.package.journal import read_journal
from difusor.package.layout import Settings
from difusor.web import notice
from difusor.web.settings import WatchdogSettings, load_watchdog_settings
from difusor.web.window import in_window, refuse_in_window

TZ = ZoneInfo("America/Mexico_City")


def test_on_and_off_are_journaled_and_idempotent(tmp_path):
    site, web = tmp_path / "site", tmp_path / "web"
    site.mkdir()
    state, changed = notice.turn_on(web, site, reason="prueba", by="ana")
    assert changed and state.active and state.reason == "prueba" and state.by == "ana"
    assert notice.flag_path(web).exists()
    assert notice.turn_on(web, site, reason="otra", by="ana") == (state, False)
    state, changed = notice.turn_off(web, site, by="ana")
    assert changed and not state.active and not notice.flag_path(web).exists()
    assert notice.turn_off(web, site, by="ana")[1] is False
    assert [entry["event"] for entry in read_journal(site)] == ["notice_on", "notice_off"]


@pytest.mark.parametrize(
    ("moment", "inside"),
    [
        (datetime(2024, 6, 2, 19, 59, tzinfo=TZ), False),
        (datetime(2024, 6, 2, 20, 0, tzinfo=TZ), True),
        (datetime(2024, 6, 9, 23, 59, tzinfo=TZ), True),
        (datetime(2024, 6, 10, 0, 0, tzinfo=TZ), False),
    ],
)
def test_publication_window(moment, inside):
    assert in_window(moment, Settings()) is inside


def test_the_guard_refuses_inside_the_window_unless_forced():
    night = datetime(2024, 6, 2, 23, 0, tzinfo=TZ)
    with pytest.raises(DifusorError, match=r"02/06/2024 20:00 to 09/06/2024 23:59.*--force"):
        refuse_in_window(night, Settings(), "turn notice mode on", force=False)
    refuse_in_window(night, Settings(), "turn notice mode on", force=True)
    refuse_in_window(datetime(2026, 1, 1, tzinfo=TZ), Settings(), "x", force=False)


def test_cli_notice_on_refused_in_window_then_forced(tmp_path, capsys):
    site, web = tmp_path / "site", tmp_path / "web"
    site.mkdir()
    web.mkdir()
    settings = tmp_path / "package.yml"
    settings.write_text("publish_from: '2020-01-01 00:00'\nkeep_until: '2099-01-01 00:00'\n")
    common = ["--site-root", str(site), "--web-root", str(web), "--settings", str(settings)]
    assert main(["notice", "on", *common]) == 1
    assert "refusing to turn notice mode on" in capsys.readouterr().err
    assert not notice.status(web).active
    assert main(["notice", "on", "--force", "--reason", "simulacro", *common]) == 0
    assert "notice mode ON" in capsys.readouterr().out
    assert main(["notice", "off", *common]) == 0
    assert "notice mode OFF" in capsys.readouterr().out


def test_watchdog_settings_file(tmp_path):
    path = tmp_path / "web.yml"
    assert load_watchdog_settings(path) == WatchdogSettings()
    path.write_text("period_min: 10\nauto_notice: true\nwatch_until: '2030-01-01 00:00'\n")
    loaded = load_watchdog_settings(path)
    assert (loaded.period_min, loaded.auto_notice) == (10, True)
    assert loaded.watch_until == datetime(2030, 1, 1, tzinfo=TZ)
    for bad, message in [
        ("period: 10\n", "unknown watchdog settings: period"),
        ("period_min: 0\n", "period_min must be a whole number of minutes, at least 1"),
        ("grace_min: -1\n", "grace_min must be a whole number of minutes, at least 0"),
        ("auto_notice: 'yes'\n", "auto_notice must be true or false"),
    ]:
        path.write_text(bad)
        with pytest.raises(DifusorError, match=message):
            load_watchdog_settings(path)


def test_window_open_now_for_ansible():
    from difusor.web.window import window_open_now

    assert window_open_now("2020-01-01 00:00", "2099-12-31 23:59") is True
    assert window_open_now("2024-06-02 20:00", "2024-06-09 23:59") is False
    with pytest.raises(DifusorError):
        window_open_now("2 June", "2024-06-09 23:59")
