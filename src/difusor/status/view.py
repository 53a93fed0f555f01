"""What the console shows of one host's snapshot: plain values, language-free (the labels are
`render`'s)."""

from __future__ import annotations

from dataclasses import dataclass

from difusor.status.snapshot import HostSnapshot

PIPELINE_EVENTS = ("arrival", "published", "staged", "rejected", "deferred", "unchanged")
LAST_EVENTS = 5


@dataclass(frozen=True)
class HostView:
    name: str
    address: str
    error: str | None
    cut: str | None = None
    age_s: float | None = None
    period_s: int = 0
    missed_periods: int = 0
    level: str | None = None  # the live cut's level now (host-side assessment)
    watchdog: str | None = None  # the watchdog's last level
    notice: bool = False
    requests_per_minute: float | None = None
    error_ratio: float | None = None
    bans: int | None = None
    rejections: int = 0
    events: tuple[dict, ...] = ()

    def as_dict(self) -> dict:
        return {**self.__dict__, "events": list(self.events)}


def missed_periods(age_s: float | None, period_s: int, grace_s: int) -> int:
    """Update periods missed by a cut `age_s` old (the watchdog's count: P + G is one)."""
    if age_s is None or period_s <= 0 or age_s < period_s + grace_s:
        return 0
    return int((age_s - grace_s) // period_s)


def host_view(snapshot: HostSnapshot) -> HostView:
    data = snapshot.data
    if data is None:
        return HostView(snapshot.name, snapshot.address, snapshot.error or "no snapshot")
    live = data.get("live") or {}
    age = live.get("age_s")  # by the host's clock, when it measured (never the controller's)
    journal = data.get("journal") or {}
    recent = data.get("recent")
    bans = data.get("bans")
    events = tuple(
        event for event in journal.get("tail") or () if event.get("event") in PIPELINE_EVENTS
    )[-LAST_EVENTS:]
    return HostView(
        name=snapshot.name,
        address=snapshot.address,
        error=None,
        cut=live.get("cut"),
        age_s=age,
        period_s=int(data.get("period_s") or 0),
        missed_periods=missed_periods(
            age, int(data.get("period_s") or 0), int(data.get("grace_s") or 0)
        ),
        level=live.get("level"),
        watchdog=(data.get("watchdog") or {}).get("level"),
        notice=bool((data.get("notice") or {}).get("active")),
        requests_per_minute=None if recent is None else recent.get("per_minute"),
        error_ratio=None if recent is None else recent.get("error_ratio"),
        bans=None if bans is None else sum(bans.values()),
        rejections=sum((journal.get("rejections") or {}).values()),
        events=events,
    )
