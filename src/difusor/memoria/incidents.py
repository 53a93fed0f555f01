"""Incidents that affected publication (VII.a.i), from the event journals and the access logs.

Kinds:
- rejected: a package refused (its `rule`: checksum, manifest, replayed cut, ...); the live cut
  stayed (V.ii.2);
- late_cut: no new cut published for longer than one period plus the tolerance (15 + 5 min by
  default) between two consecutive published cuts;
- late_arrival: a cut published long after its own cut time (default: more than 15 min);
- stale: the freshness watchdog saw the live cut too old (stale_warning/critical/incident) until
  fresh_again; its level is the worst reached;
- notice: notice mode (V.ii.4) from notice_on to notice_off;
- rollback: an earlier cut made live again by hand;
- silent: no request at all in the access logs for at least `silent_min` during the
  publication window (VI.a) - a possible outage of the site or of its logging.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import PurePath
from typing import Any

from difusor.package.layout import Settings, parse_cut_id

POINT_KINDS = ("rejected", "rollback")  # moments, not periods
KINDS = ("rejected", "late_cut", "late_arrival", "stale", "notice", "rollback", "silent")
STALE_LEVELS = {"stale_warning": 1, "stale_critical": 2, "stale_incident": 3}


@dataclass(frozen=True)
class Thresholds:
    period_min: int = 15
    tolerance_min: int = 5
    late_arrival_min: int = 15
    silent_min: int = 15


@dataclass(frozen=True)
class Incident:
    kind: str
    host: str
    start: datetime
    end: datetime | None = None
    fields: dict[str, Any] = field(default_factory=dict)

    @property
    def duration_s(self) -> int | None:
        return None if self.end is None else int((self.end - self.start).total_seconds())


def event_time(event: dict[str, Any]) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(event["time"]).replace("Z", "+00:00"))
    except (KeyError, ValueError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _timed(events: Iterable[dict[str, Any]]) -> list[tuple[datetime, dict[str, Any]]]:
    timed = [(event_time(event), event) for event in events]
    return sorted(((moment, event) for moment, event in timed if moment), key=lambda p: p[0])


def _cut(event: dict[str, Any], settings: Settings) -> datetime | None:
    try:
        return parse_cut_id(str(event.get("cut")), settings)
    except (ValueError, TypeError):
        return None


def rejections(host: str, timed: list[tuple[datetime, dict[str, Any]]]) -> list[Incident]:
    return [
        Incident(
            "rejected",
            host,
            moment,
            None,
            {
                "archive": PurePath(str(event.get("archive") or "?")).name,
                "cut": event.get("cut"),
                "rule": event.get("rule") or "?",
                "reason": event.get("reason") or "",
            },
        )
        for moment, event in timed
        if event.get("event") == "rejected"
    ]


def rollbacks(host: str, timed: list[tuple[datetime, dict[str, Any]]]) -> list[Incident]:
    return [
        Incident(
            "rollback", host, moment, None, {"cut": ev.get("cut"), "previous": ev.get("previous")}
        )
        for moment, ev in timed
        if ev.get("event") == "rollback"
    ]


def late_publication(
    host: str,
    timed: list[tuple[datetime, dict[str, Any]]],
    settings: Settings,
    thresholds: Thresholds,
) -> list[Incident]:
    """Gaps between consecutive published cuts, and cuts published long after their time."""
    published: dict[datetime, datetime] = {}  # cut time -> first publication
    for moment, event in timed:
        cut = _cut(event, settings) if event.get("event") == "published" else None
        if cut is not None and cut not in published:
            published[cut] = moment
    found = []
    cuts = sorted(published)
    allowed = timedelta(minutes=thresholds.period_min + thresholds.tolerance_min)
    for before, after in itertools.pairwise(cuts):
        if after - before > allowed:
            missing = int((after - before) / timedelta(minutes=thresholds.period_min)) - 1
            found.append(Incident("late_cut", host, before, after, {"missing": max(missing, 1)}))
    late = timedelta(minutes=thresholds.late_arrival_min)
    for cut in cuts:
        if published[cut] - cut > late:
            delay = int((published[cut] - cut).total_seconds())
            found.append(Incident("late_arrival", host, cut, published[cut], {"delay_s": delay}))
    return found


def periods(host: str, timed: list[tuple[datetime, dict[str, Any]]]) -> list[Incident]:
    """Notice mode (notice_on..notice_off) and staleness (stale_*..fresh_again)."""
    found = []
    notice: tuple[datetime, dict[str, Any]] | None = None
    stale: tuple[datetime, int, int | None] | None = None  # start, worst level, last age
    for moment, event in timed:
        name = event.get("event")
        if name == "notice_on" and notice is None:
            notice = (moment, event)
        elif name == "notice_off" and notice is not None:
            found.append(_notice(host, notice, moment))
            notice = None
        elif name in STALE_LEVELS:
            level = STALE_LEVELS[name]
            stale = (
                (moment, level, event.get("age_s"))
                if stale is None
                else (stale[0], max(stale[1], level), event.get("age_s"))
            )
        elif name == "fresh_again" and stale is not None:
            found.append(_stale(host, stale, moment, event.get("cut")))
            stale = None
    if notice is not None:
        found.append(_notice(host, notice, None))
    if stale is not None:
        found.append(_stale(host, stale, None, None))
    return found


def _notice(host: str, opened: tuple[datetime, dict[str, Any]], end: datetime | None) -> Incident:
    start, event = opened
    fields = {"reason": event.get("reason") or "", "by": event.get("by") or "?"}
    return Incident("notice", host, start, end, {**fields, "auto": bool(event.get("auto"))})


def _stale(
    host: str, opened: tuple[datetime, int, int | None], end: datetime | None, cut: Any
) -> Incident:
    start, level, _ = opened
    return Incident("stale", host, start, end, {"level": level, "fresh_cut": cut})


def from_journal(
    host: str,
    events: Iterable[dict[str, Any]],
    settings: Settings | None = None,
    thresholds: Thresholds | None = None,
) -> list[Incident]:
    """Every incident of one host's journal, in time order."""
    settings = settings or Settings()
    thresholds = thresholds or Thresholds()
    timed = _timed(events)
    found = [
        *rejections(host, timed),
        *rollbacks(host, timed),
        *late_publication(host, timed, settings, thresholds),
        *periods(host, timed),
    ]
    return sorted(found, key=lambda incident: (incident.start, KINDS.index(incident.kind)))


def silent(host: str, spans: Iterable[tuple[int, int]]) -> list[Incident]:
    """Silent periods of the access logs (epoch pairs) as incidents."""
    return [
        Incident(
            "silent",
            host,
            datetime.fromtimestamp(a, timezone.utc),
            datetime.fromtimestamp(b, timezone.utc),
        )
        for a, b in spans
    ]


def publication_summary(
    events: Iterable[dict[str, Any]], settings: Settings | None = None
) -> dict[str, Any]:
    """Cuts published, first and last, and counts of each journal event."""
    settings = settings or Settings()
    counts: dict[str, int] = {}
    cuts = set()
    for event in events:
        name = str(event.get("event"))
        counts[name] = counts.get(name, 0) + 1
        if name == "published":
            cut = _cut(event, settings)
            if cut is not None:
                cuts.add(cut)
    ordered = sorted(cuts)
    return {
        "published_cuts": len(ordered),
        "first_cut": ordered[0] if ordered else None,
        "last_cut": ordered[-1] if ordered else None,
        "events": dict(sorted(counts.items())),
    }
