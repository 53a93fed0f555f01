from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from difusor.drill.cuts import plan_cuts

TZ = ZoneInfo("America/Mexico_City")
NOW = datetime(2026, 11, 28, 16, 20, 42, tzinfo=timezone.utc)  # 10:20:42 Tiempo del Centro


def test_the_cuts_end_now_in_tiempo_del_centro_to_the_minute():
    plan = plan_cuts(NOW, None)
    assert plan.ids() == {
        "first": "20261128_1017",
        "second": "20261128_1018",
        "corrupt": "20261128_1019",
        "replayed": "20261128_1017",
        "stale": "20261128_0930",
        "fresh": "20261128_1020",
    }
    assert plan.first.tzinfo == TZ


def test_an_older_live_cut_does_not_move_the_plan():
    live = datetime(2026, 11, 28, 9, 0, tzinfo=TZ)
    assert plan_cuts(NOW, live) == plan_cuts(NOW, None)


def test_a_live_cut_from_an_earlier_drill_pushes_the_cuts_after_it():
    live = datetime(2026, 11, 28, 10, 19, tzinfo=TZ)  # the fresh cut of a drill a minute ago
    plan = plan_cuts(NOW, live)
    assert plan.first == live + timedelta(minutes=1)
    assert plan.fresh > plan.corrupt > plan.second > plan.first > live
    # the stale cut stays 50 minutes before now: its age is what the watchdog judges
    assert NOW - plan.stale >= timedelta(minutes=50)
    assert NOW - plan.stale < timedelta(minutes=51)
