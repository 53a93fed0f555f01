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

On a cluster's web node (docs/cluster.md) the watchdog also measures the lag behind the
receiving node: the node agent writes ROOT/expected.json ({"cut", "time"}, difusor.cluster.agent)
whenever the receiving node sends it a cut. While that cut is newer than the node's live one, the
node is behind since the first time it was expected; past the grace G it is lagging (`lag_s` in
the state, and the printed line says so), recorded once as `cluster_lag`, and `cluster_caught_up`
when the live cut reaches (or passes) the expected one. The level stays the node's own cut's age.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from difusor.cluster.agent import EXPECTED
from difusor.errors import DifusorError
from difusor.package import journal
from difusor.package.layout import CUT_ID_RE, Settings, parse_cut_id
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
    # A cluster's web node: the newer cut the receiving node sent (None: not behind), since when
    # it is expected (ISO 8601 UTC), and how long past that it is, once beyond the grace.
    expected: str | None = None
    expected_since: str | None = None
    lag_s: int | None = None

    def lag_text(self) -> str:
        """The printed line's words on the lag ("" when not lagging)."""
        if self.lag_s is None:
            return ""
        return (
            f"lagging behind the receiving node: expected cut {self.expected} "
            f"since {self.expected_since}"
        )


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


def read_expected(site_root: Path) -> tuple[str, datetime] | None:
    """The cut the receiving node last sent this node and when (ROOT/expected.json); None on a
    single server, or when the file is missing or unreadable."""
    try:
        data = json.loads((Path(site_root) / EXPECTED).read_text(encoding="utf-8"))
        cut, moment = data["cut"], datetime.fromisoformat(data["time"].replace("Z", "+00:00"))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    if not isinstance(cut, str) or not CUT_ID_RE.fullmatch(cut) or moment.tzinfo is None:
        return None
    return cut, moment


def assess_lag(
    site_root: Path,
    live: str | None,
    now: datetime,
    watchdog: WatchdogSettings,
    previous: dict | None = None,
) -> tuple[str | None, datetime | None, int | None]:
    """(expected cut, expected since, lag in seconds or None): the node is behind while the
    receiving node's expected cut is newer than its live one (cut ids sort by time); it lags
    once that lasted more than the grace. `previous` (the last state) keeps the first time a cut
    the node was behind, through the receiving node's retries and newer cuts, until it catches
    up with what it was expected to serve."""
    sent = read_expected(site_root)
    if sent is None or (live is not None and sent[0] <= live):
        return None, None, None
    cut, since = sent
    earlier = (previous or {}).get("expected")
    if earlier and (live is None or earlier > live) and previous.get("expected_since"):
        with contextlib.suppress(TypeError, ValueError):
            since = min(since, datetime.fromisoformat(previous["expected_since"]))
    behind = now - since
    lag = int(behind.total_seconds()) if behind > timedelta(minutes=watchdog.grace_min) else None
    return cut, since, lag


def assess_live(
    site_root: Path, now: datetime, settings: Settings, watchdog: WatchdogSettings
) -> Freshness:
    """The live cut's state at `now`, from the site root alone: nothing is recorded (what
    `difusor web watchdog --check` prints), the lag behind a cluster's receiving node included."""
    ident = live_cut_id(site_root)
    cut = parse_cut_id(ident, settings) if ident else None
    level = assess(cut, now, settings, watchdog)
    age = int((now - cut).total_seconds()) if cut else None
    state = Freshness(level, ident, age, now.astimezone(settings.tz).isoformat())
    return _with_lag(state, site_root, now, watchdog, None)


def _with_lag(
    state: Freshness,
    site_root: Path,
    now: datetime,
    watchdog: WatchdogSettings,
    previous: dict | None,
) -> Freshness:
    expected, since, lag = assess_lag(site_root, state.cut, now, watchdog, previous)
    return Freshness(
        state.level,
        state.cut,
        state.age_s,
        state.checked,
        expected,
        since.astimezone(timezone.utc).isoformat() if since else None,
        lag,
    )


def check(
    site_root: Path,
    web_root: Path,
    now: datetime,
    settings: Settings,
    watchdog: WatchdogSettings,
) -> tuple[Freshness, list[str]]:
    """Assess the live cut, record level changes, apply auto notice; return (state, actions)."""
    state_path = Path(web_root) / STATE_NAME
    last = read_json(state_path) or {}
    state = assess_live(site_root, now, settings, watchdog)
    state = _with_lag(state, site_root, now, watchdog, last)  # since when, through the retries
    level, ident, age = state.level, state.cut, state.age_s
    previous = last.get("level")
    actions: list[str] = []
    if state.lag_s is not None and last.get("lag_s") is None:
        journal.record(
            site_root,
            "cluster_lag",
            cut=ident,
            expected=state.expected,
            since=state.expected_since,
            lag_s=state.lag_s,
        )
        actions.append("cluster_lag")
    elif state.lag_s is None and last.get("lag_s") is not None:
        journal.record(site_root, "cluster_caught_up", cut=ident, expected=last.get("expected"))
        actions.append("cluster_caught_up")
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
