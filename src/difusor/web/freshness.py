"""The freshness watchdog: how late is the live cut, and what to do about it.

Levels, by the live cut's age (cut time to now, Tiempo del Centro), with P the update period
(15 min) and G the grace a cut may arrive late (5 min):
- waiting: before the publication start (VI.a) or nothing live yet; the site shows a waiting page;
- fresh: age < P + G;
- warning: one period missed (age >= P + G);
- critical: two periods missed (age >= 2P + G);
- incident: three periods missed (age >= 3P + G; the call's 45 minutes, V.ii.4): recorded, and
  with auto_notice the notice is served until a fresh cut is live again; also a live cut from
  the future (more than the publisher's `max_cut_ahead_min` ahead of the clock): no real cut can
  follow it, so it is no fresh cut but a wrong one (a mistyped date, or a wrong clock);
- closed: after the PREP's end (watch_until), when no cut is expected any more.
Each change of level is recorded once in the event journal.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from difusor.errors import DifusorError
from difusor.package import journal
from difusor.package.layout import Settings, parse_cut_id
from difusor.package.releases import live_cut_id
from difusor.web import notice
from difusor.web.settings import WatchdogSettings
from difusor.web.state import read_json, write_json

LEVELS = ("waiting", "closed", "fresh", "warning", "critical", "incident")
STALE_EVENTS = {
    "warning": "stale_warning",
    "critical": "stale_critical",
    "incident": "stale_incident",
}
STATE_NAME = "freshness.json"


@dataclass(frozen=True)
class Freshness:
    level: str
    cut: str | None  # the live cut's id, YYYYMMDD_HHMM
    age_s: int | None
    checked: str  # when, ISO 8601 UTC


def read_state(web_root: Path) -> dict:
    """The last check's state (what `difusor web status` prints)."""
    state = read_json(Path(web_root) / STATE_NAME)
    if state is None:
        raise DifusorError(f"no freshness state in {web_root}: has the watchdog run yet?")
    return state


def assess(
    cut: datetime | None, now: datetime, settings: Settings, watchdog: WatchdogSettings
) -> str:
    """The level for a live cut (None: nothing live) at `now`."""
    if cut is None or now < settings.publish_from:
        return "waiting"
    if now >= watchdog.watch_until:
        return "closed"
    age_min = (now - cut).total_seconds() / 60
    if -age_min > settings.max_cut_ahead_min:
        return "incident"  # a cut from the future: see the module's docstring
    missed = int((age_min - watchdog.grace_min) // watchdog.period_min) if age_min >= 0 else 0
    return ("fresh", "warning", "critical", "incident")[max(0, min(missed, 3))]


def assess_live(
    site_root: Path, now: datetime, settings: Settings, watchdog: WatchdogSettings
) -> Freshness:
    """The live cut's state at `now`, from the site root alone: nothing is recorded (what
    `difusor web watchdog --check` prints)."""
    ident = live_cut_id(site_root)
    cut = parse_cut_id(ident, settings) if ident else None
    level = assess(cut, now, settings, watchdog)
    age = int((now - cut).total_seconds()) if cut else None
    return Freshness(level, ident, age, now.astimezone(settings.tz).isoformat())


def check(
    site_root: Path,
    web_root: Path,
    now: datetime,
    settings: Settings,
    watchdog: WatchdogSettings,
) -> tuple[Freshness, list[str]]:
    """Assess the live cut, record level changes, apply auto notice; return (state, actions)."""
    state = assess_live(site_root, now, settings, watchdog)
    level, ident, age = state.level, state.cut, state.age_s
    state_path = Path(web_root) / STATE_NAME
    previous = (read_json(state_path) or {}).get("level")
    actions: list[str] = []
    if level != previous:
        if level in STALE_EVENTS:
            journal.record(site_root, STALE_EVENTS[level], cut=ident, age_s=age)
            actions.append(STALE_EVENTS[level])
        elif level == "fresh" and previous in STALE_EVENTS:
            journal.record(site_root, "fresh_again", cut=ident, age_s=age)
            actions.append("fresh_again")
    current_notice = notice.status(web_root)
    if level == "incident" and watchdog.auto_notice and not current_notice.active:
        minutes = age // 60 if age is not None else 0
        reason = f"live cut {ident} is {minutes} minutes old (three update periods missed)"
        if age is not None and age < 0:
            reason = (
                f"live cut {ident} is {-age // 60} minutes in the future (a wrong cut or clock)"
            )
        notice.turn_on(
            web_root,
            site_root,
            reason=reason,
            by="watchdog",
            auto=True,
        )
        actions.append("notice_on")
    elif level == "fresh" and current_notice.active and current_notice.auto:
        notice.turn_off(web_root, site_root, by="watchdog")
        actions.append("notice_off")
    write_json(state_path, asdict(state))
    return state, actions
