"""Everything the memoria técnica says, from a collected directory, as plain data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from difusor.memoria import incidents as inc
from difusor.memoria.hostdata import HostData, find_hosts
from difusor.memoria.period import STATS_FROM, STATS_TO, WINDOW_END, WINDOW_START
from difusor.stats.aggregate import Collector
from difusor.stats.logs import read_merged


@dataclass(frozen=True)
class Memoria:
    difusor: str
    generated: datetime
    hosts: list[HostData]
    incidents: list[inc.Incident]
    publication: dict[str, dict[str, Any]]  # host -> publication summary
    stats: dict[str, Any]
    log_span: tuple[datetime, datetime] | None  # first and last request seen in the period
    thresholds: inc.Thresholds


def build(
    directory: Path,
    *,
    difusor: str = "",
    salt: bytes | None = None,
    thresholds: inc.Thresholds | None = None,
    now: datetime | None = None,
) -> Memoria:
    thresholds = thresholds or inc.Thresholds()
    hosts = find_hosts(directory)
    found: list[inc.Incident] = []
    publication = {}
    for host in hosts:
        events = host.events()
        found += inc.from_journal(host.name, events, thresholds=thresholds)
        if host.has_journal:
            publication[host.name] = inc.publication_summary(events)
    collector = Collector(salt=salt, start=STATS_FROM, end=STATS_TO, track_minutes=True)
    with_logs = [host for host in hosts if host.logs]
    collector.add_all(read_merged(host.logs for host in with_logs))
    minutes = collector.minutes or set()
    span = None
    if minutes:
        span = (
            datetime.fromtimestamp(min(minutes) * 60, timezone.utc),
            datetime.fromtimestamp(max(minutes) * 60, timezone.utc),
        )
        spans = collector.silent_periods(
            int(WINDOW_START.timestamp()), int(WINDOW_END.timestamp()), thresholds.silent_min * 60
        )
        names = ", ".join(host.name for host in with_logs)
        found += inc.silent(names, spans)
    stats = collector.result(files=[f"{h.name}/{p.name}" for h in with_logs for p in h.logs])
    found.sort(key=lambda incident: (incident.start, inc.KINDS.index(incident.kind)))
    return Memoria(
        difusor=difusor,
        generated=now or datetime.now(timezone.utc),
        hosts=hosts,
        incidents=found,
        publication=publication,
        stats=stats,
        log_span=span,
        thresholds=thresholds,
    )
