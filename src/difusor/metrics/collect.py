"""What the host's metrics say, measured once: a snapshot (a JSON-able mapping, what `difusor
metrics show` prints and `difusor status` renders) and the metric families made from it (what
`difusor metrics write` exposes).

Every source comes from the host's facts (`difusor.hostfacts`). A source this account cannot
read (as the publisher: fail2ban's database, maybe the access log or the TLS certificate) gives
no figure, and `difusor_source_readable{source=...} 0` says so; nothing fails for it.
"""

from __future__ import annotations

import os
import socket
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from difusor import certs, hostfacts
from difusor.hostfacts import HostFacts
from difusor.metrics import accesslog, fail2ban
from difusor.package import journal
from difusor.package.errors import PIPELINE_RULES, RULES
from difusor.package.layout import parse_cut_id
from difusor.package.releases import list_releases, live_cut_id
from difusor.web import freshness, notice
from difusor.web.settings import load_watchdog_settings
from difusor.web.state import read_json, write_json

STATE_NAME = ".difusor-metrics-state.json"  # beside the .prom file (the collector reads *.prom)
JOURNAL_TAIL = 10
# Every rule a rejection may name, so that each counter exists (at 0) before its first rejection.
REJECTION_RULES = (*RULES, *PIPELINE_RULES, "error")


@dataclass(frozen=True)
class Sources:
    """Where the snapshot reads from (the facts' paths unless overridden)."""

    access_log: Path
    tls_certificate: Path
    fail2ban_db: Path = fail2ban.DEFAULT_DB

    @classmethod
    def of(cls, facts: HostFacts, **overrides: Path | None) -> Sources:
        values = {
            "access_log": facts.web_log_dir / accesslog.LOG_NAME,
            "tls_certificate": facts.tls_certificate,
            "fail2ban_db": fail2ban.DEFAULT_DB,
        }
        values.update({key: value for key, value in overrides.items() if value is not None})
        return cls(**values)


def _epoch(text: str | None) -> float | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def journal_figures(events: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts of the pipeline's events, and the last publication's arrival-to-live time."""
    kinds = Counter(str(event.get("event")) for event in events)
    rules = Counter(
        str(event.get("rule") or "error") for event in events if event.get("event") == "rejected"
    )
    last: dict[str, Any] | None = None
    for index in range(len(events) - 1, -1, -1):
        event = events[index]
        if event.get("event") != "published":
            continue
        arrival = next(
            (
                earlier
                for earlier in reversed(events[:index])
                if earlier.get("event") == "arrival"
                and (
                    earlier.get("cut") == event.get("cut")
                    or earlier.get("archive") == event.get("archive")
                )
            ),
            None,
        )
        published_at, arrived_at = _epoch(event.get("time")), _epoch((arrival or {}).get("time"))
        last = {
            "cut": event.get("cut"),
            "time": event.get("time"),
            "arrival_to_live_s": (
                round(published_at - arrived_at, 3)
                if published_at is not None and arrived_at is not None
                else None
            ),
        }
        break
    return {
        "arrivals": kinds["arrival"],
        "publications": kinds["published"],
        "deferrals": kinds["deferred"],
        "rejections": {rule: rules.get(rule, 0) for rule in sorted({*REJECTION_RULES, *rules})},
        "last_publication": last,
        "tail": [
            {key: event.get(key) for key in ("time", "event", "cut", "archive", "rule", "reason")}
            for event in events[-JOURNAL_TAIL:]
        ],
    }


def _readable(action, *args):
    try:
        return action(*args), True
    except (OSError, ValueError):
        return None, False


def collect(
    facts: HostFacts,
    now: datetime,
    sources: Sources,
    state_dir: Path | None = None,
) -> dict[str, Any]:
    """The host's snapshot at `now`. With `state_dir`, the access log's counters advance and
    their state is saved there (`metrics write`); without, nothing is written and only the
    log's recent requests are read (`metrics show`)."""
    settings = hostfacts.package_settings(facts)
    watchdog = load_watchdog_settings(facts.web_settings)
    readable: dict[str, bool] = {}
    snapshot: dict[str, Any] = {
        "host": socket.gethostname(),
        "generated": now.timestamp(),
        "facts": facts.source or "defaults",
        "period_s": watchdog.period_min * 60,
        "grace_s": watchdog.grace_min * 60,
        "expecting_cuts": settings.publish_from <= now < watchdog.watch_until,
    }
    ident = live_cut_id(facts.site_root)
    cut_at = parse_cut_id(ident, settings).timestamp() if ident else None
    snapshot["live"] = {
        "cut": ident,
        "timestamp": cut_at,
        "age_s": None if cut_at is None else round(now.timestamp() - cut_at, 3),
        "level": freshness.assess_live(facts.site_root, now, settings, watchdog).level,
    }
    events, readable["journal"] = _readable(_journal_events, facts.journal)
    snapshot["journal"] = journal_figures(events or []) if readable["journal"] else None
    state = read_json(facts.web_root / freshness.STATE_NAME)
    readable["freshness_state"] = state is not None
    snapshot["watchdog"] = (
        {
            "level": state.get("level"),
            "checked": _epoch(state.get("checked")),
            "lag_s": state.get("lag_s"),
        }
        if state
        else None
    )
    shown = notice.status(facts.web_root)
    snapshot["notice"] = {"active": shown.active, "since": shown.since, "auto": shown.auto}
    snapshot["releases"] = len(list_releases(facts.site_root, settings))
    disk = os.statvfs(facts.prep_root)
    snapshot["disk"] = {
        "free_bytes": disk.f_bavail * disk.f_frsize,
        "size_bytes": disk.f_blocks * disk.f_frsize,
    }
    if state_dir is None:
        recent, readable["access_log"] = _readable(
            accesslog.recent, sources.access_log, now.timestamp()
        )
        snapshot["requests"] = None
        snapshot["recent"] = (
            {
                "requests": recent.requests,
                "per_minute": round(recent.per_minute, 2),
                "error_ratio": round(recent.error_ratio, 4),
                "window_s": recent.covered_s,
            }
            if recent
            else None
        )
    else:
        counts, readable["access_log"] = _advance_log(sources.access_log, state_dir)
        snapshot["recent"] = None
        snapshot["requests"] = (
            {
                "responses": counts.responses,
                "malformed": counts.malformed,
                "skipped_bytes": counts.skipped_bytes,
            }
            if counts
            else None
        )
    snapshot["bans"] = fail2ban.banned(sources.fail2ban_db, now.timestamp())
    readable["fail2ban"] = snapshot["bans"] is not None
    expiry, readable["tls_certificate"] = _readable(certs.file_not_after, sources.tls_certificate)
    snapshot["tls_expiry"] = expiry.timestamp() if expiry else None
    snapshot["readable"] = readable
    return snapshot


def _journal_events(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    with open(path, encoding="utf-8", errors="replace") as stream:
        return journal.parse_lines(stream.read())


def _advance_log(log: Path, state_dir: Path) -> tuple[accesslog.Counts | None, bool]:
    state_path = state_dir / STATE_NAME
    saved = (read_json(state_path) or {}).get("access_log")
    try:
        counts, state = accesslog.advance(log, saved)
    except OSError:
        return None, False
    write_json(state_path, {"access_log": state})
    return counts, True


def now_utc() -> datetime:
    return datetime.now(timezone.utc)
