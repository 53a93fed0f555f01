"""The freshness watchdog: levels by the live cut's age, journal on changes, auto notice."""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from difusor.cli import main
from difusor.cluster.agent import EXPECTED
from difusor.package.journal import read_journal
from difusor.package.layout import Settings
from difusor.web import freshness, notice
from difusor.web.settings import WatchdogSettings

TZ = ZoneInfo("America/Mexico_City")
SETTINGS = Settings()
WATCH = WatchdogSettings(watch_until=datetime(2030, 1, 1, tzinfo=TZ))
CUT = datetime(2024, 6, 2, 21, 0, tzinfo=TZ)


@pytest.mark.parametrize(
    ("age_min", "level"),
    [
        (-30, "incident"),  # a live cut from the future: no real cut can follow it (issue 13)
        (-10, "fresh"),  # stamped a little ahead of this clock: within max_cut_ahead_min
        (0, "fresh"),
        (19.9, "fresh"),  # the next cut is due at 15 and may be 5 minutes late
        (20, "warning"),
        (34.9, "warning"),
        (35, "critical"),
        (49.9, "critical"),
        (50, "incident"),  # three periods missed (V.ii.4)
        (600, "incident"),
    ],
)
def test_levels_by_age(age_min, level):
    now = CUT + timedelta(minutes=age_min)
    assert freshness.assess(CUT, now, SETTINGS, WATCH) == level


def test_waiting_before_publication_and_without_a_live_cut():
    before = SETTINGS.publish_from - timedelta(minutes=1)
    assert freshness.assess(CUT, before, SETTINGS, WATCH) == "waiting"
    assert freshness.assess(None, CUT, SETTINGS, WATCH) == "waiting"


def test_closed_after_the_prep_ends():
    watch = WatchdogSettings()  # closes 3 June 2024 20:00
    assert freshness.assess(CUT, watch.watch_until, SETTINGS, watch) == "closed"
    day_before = watch.watch_until - timedelta(minutes=1)
    assert freshness.assess(CUT, day_before, SETTINGS, watch) == "incident"


def test_period_and_grace_are_settings():
    watch = WatchdogSettings(period_min=10, grace_min=0, watch_until=WATCH.watch_until)
    assert freshness.assess(CUT, CUT + timedelta(minutes=10), SETTINGS, watch) == "warning"
    assert freshness.assess(CUT, CUT + timedelta(minutes=30), SETTINGS, watch) == "incident"


@pytest.fixture
def roots(tmp_path):
    site, web = tmp_path / "site", tmp_path / "web"
    (site / "releases" / "20240602_2100").mkdir(parents=True)
    os.symlink("releases/20240602_2100", site / "current")
    web.mkdir()
    return site, web


def events(site):
    return [(entry["event"], entry.get("age_s")) for entry in read_journal(site)]


def test_each_level_change_is_recorded_once(roots):
    site, web = roots
    for minutes in (5, 21, 22, 36, 51, 52):
        freshness.check(site, web, CUT + timedelta(minutes=minutes), SETTINGS, WATCH)
    assert events(site) == [
        ("stale_warning", 21 * 60),
        ("stale_critical", 36 * 60),
        ("stale_incident", 51 * 60),
    ]
    assert not notice.status(web).active  # auto notice is off by default


def test_auto_notice_after_three_periods_and_lifted_by_a_fresh_cut(roots):
    site, web = roots
    watch = WatchdogSettings(auto_notice=True, watch_until=WATCH.watch_until)
    state, actions = freshness.check(site, web, CUT + timedelta(minutes=50), SETTINGS, watch)
    assert (state.level, state.cut, state.age_s) == ("incident", "20240602_2100", 3000)
    assert actions == ["stale_incident", "notice_on"]
    flag = notice.status(web)
    assert flag.active and flag.auto and flag.by == "watchdog"
    assert "20240602_2100" in flag.reason
    # A new cut goes live: the watchdog lifts its own notice.
    (site / "releases" / "20240602_2200").mkdir()
    os.replace(_symlink(site, "releases/20240602_2200"), site / "current")
    state, actions = freshness.check(site, web, CUT + timedelta(minutes=62), SETTINGS, watch)
    assert state.level == "fresh"
    assert actions == ["fresh_again", "notice_off"]
    assert not notice.status(web).active
    assert [event for event, _ in events(site)] == [
        "stale_incident",
        "notice_on",
        "fresh_again",
        "notice_off",
    ]


def test_a_manual_notice_is_not_lifted_by_the_watchdog(roots):
    site, web = roots
    notice.turn_on(web, site, reason="por indicación del OPLE", by="operador")
    freshness.check(site, web, CUT + timedelta(minutes=1), SETTINGS, WATCH)
    assert notice.status(web).active


def test_status_reads_the_last_check(roots):
    site, web = roots
    freshness.check(site, web, CUT + timedelta(minutes=36), SETTINGS, WATCH)
    state = freshness.read_state(web)
    assert (state["level"], state["cut"], state["age_s"]) == ("critical", "20240602_2100", 2160)


def _symlink(site, target):
    temporary = site / ".current.new"
    os.symlink(target, temporary)
    return temporary


def test_a_check_assesses_the_live_cut_and_records_nothing(roots, tmp_path, capsys):
    site, web = roots
    state = freshness.assess_live(site, CUT + timedelta(minutes=36), SETTINGS, WATCH)
    assert (state.level, state.cut, state.age_s) == ("critical", "20240602_2100", 2160)
    assert read_journal(site) == [] and list(web.iterdir()) == []
    # The command the provisioning runs before role prep_web made the web root.
    argv = ["web", "watchdog", "--check", "--site-root", str(site)]
    argv += ["--web-root", str(tmp_path / "none"), "--settings", str(tmp_path / "none.yml")]
    assert main([*argv, "--web-settings", str(tmp_path / "none.yml")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("check: the watchdog runs (python 3.")
    assert "live cut 20240602_2100" in out and "nothing recorded" in out
    assert read_journal(site) == [] and list(web.iterdir()) == []
    assert main(["web", "status", "--check", "--site-root", str(site)]) == 1


def _expect(site, cut, moment):
    """What the node agent writes when the receiving node sends `cut` (difusor.cluster.agent)."""
    stamp = moment.astimezone(ZoneInfo("UTC")).isoformat().replace("+00:00", "Z")
    (site / EXPECTED).write_text(json.dumps({"cut": cut, "time": stamp}) + "\n")


def test_a_web_node_behind_the_receiving_node_lags_after_the_grace_and_is_journaled_once(roots):
    site, web = roots
    sent = CUT + timedelta(minutes=15)
    _expect(site, "20240602_2115", sent)
    state, actions = freshness.check(site, web, sent + timedelta(minutes=4), SETTINGS, WATCH)
    assert (state.expected, state.lag_s, actions) == ("20240602_2115", None, [])  # in the grace
    # the receiving node retries (expected.json rewritten): the lag counts from the first send
    _expect(site, "20240602_2115", sent + timedelta(minutes=5))
    state, actions = freshness.check(site, web, sent + timedelta(minutes=6), SETTINGS, WATCH)
    assert (state.level, state.lag_s) == ("warning", 360)  # its own cut is 21 minutes old too
    assert actions == ["cluster_lag", "stale_warning"]
    assert state.lag_text() == (
        "lagging behind the receiving node: expected cut 20240602_2115 since "
        f"{sent.astimezone(ZoneInfo('UTC')).isoformat()}"
    )
    assert freshness.read_state(web)["lag_s"] == 360
    # a newer cut is sent while the node still lags: the same lag, not journaled again
    _expect(site, "20240602_2130", sent + timedelta(minutes=15))
    state, actions = freshness.check(site, web, sent + timedelta(minutes=16), SETTINGS, WATCH)
    assert (state.expected, state.lag_s, actions) == ("20240602_2130", 960, [])
    # the node catches up
    (site / "releases" / "20240602_2130").mkdir()
    os.replace(_symlink(site, "releases/20240602_2130"), site / "current")
    state, actions = freshness.check(site, web, sent + timedelta(minutes=17), SETTINGS, WATCH)
    assert (state.expected, state.lag_s) == (None, None)
    assert actions == ["cluster_caught_up", "fresh_again"]
    lines = [e for e in read_journal(site) if e["event"].startswith("cluster_")]
    assert [(e["event"], e["cut"], e["expected"]) for e in lines] == [
        ("cluster_lag", "20240602_2100", "20240602_2115"),
        ("cluster_caught_up", "20240602_2130", "20240602_2130"),
    ]


def test_no_lag_on_a_single_server_nor_for_an_older_or_broken_expected_cut(roots):
    site, web = roots
    later = CUT + timedelta(hours=2)
    assert freshness.assess_lag(site, "20240602_2100", later, WATCH) == (None, None, None)
    _expect(site, "20240602_2045", CUT)  # a rollback on the receiving node
    assert freshness.assess_lag(site, "20240602_2100", later, WATCH) == (None, None, None)
    (site / EXPECTED).write_text('{"cut": "../x", "time": "2024-06-02T21:00:00Z"}')
    assert freshness.assess_lag(site, "20240602_2100", later, WATCH) == (None, None, None)
    (site / EXPECTED).write_text("{")
    state, actions = freshness.check(site, web, later, SETTINGS, WATCH)
    assert state.lag_s is None and "cluster_lag" not in actions


def test_the_watchdog_line_says_the_node_lags(roots, capsys):
    site, web = roots
    _expect(site, "20240602_2115", CUT + timedelta(minutes=15))
    # now is the real clock: long past the grace, and the cut 2100 is long stale
    argv = ["web", "watchdog", "--site-root", str(site), "--web-root", str(web)]
    assert main([*argv, "--settings", str(web / "none.yml")]) == 0
    out = capsys.readouterr().out
    assert "lagging behind the receiving node: expected cut 20240602_2115 since" in out
    assert "cluster_lag" in out
