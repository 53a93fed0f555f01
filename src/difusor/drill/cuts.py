"""The cut times of a drill: all newer than whatever the host serves, except the stale one, and
none from the future (the publisher refuses a cut far ahead of the clock, and the watchdog calls a
live one an incident): the drill's cuts are a minute apart and the last is now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from difusor.package.layout import Settings, cut_id

STEP = timedelta(minutes=1)  # between a drill's cuts (not the electoral body's 15 minutes)
STALE_AGE = timedelta(minutes=50)  # the call's 45 minutes (V.ii.4) plus the 5-minute grace


@dataclass(frozen=True)
class CutPlan:
    first: datetime  # step 1 (A = now - 3 min)
    second: datetime  # step 2 (B = A + 1 min)
    corrupt: datetime  # step 3 (C = A + 2 min, truncated)
    replayed: datetime  # step 4 (A again)
    stale: datetime  # step 6: 50 minutes old when published
    fresh: datetime  # step 6: newer than every other cut (A + 3 min = now)

    def ids(self, settings: Settings | None = None) -> dict[str, str]:
        return {
            name: cut_id(getattr(self, name), settings)
            for name in ("first", "second", "corrupt", "replayed", "stale", "fresh")
        }


def minute_floor(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def plan_cuts(now: datetime, live: datetime | None, settings: Settings | None = None) -> CutPlan:
    """A is three minutes before now in Tiempo del Centro (to the minute), so that the fresh cut is
    now; when the host already serves a cut at or after A (an earlier drill's), A is a minute after
    the live cut, so that A is new (a drill run again at once ends a few minutes ahead)."""
    settings = settings or Settings()
    local_now = minute_floor(now.astimezone(settings.tz))
    first = local_now - 3 * STEP
    if live is not None and live >= first:
        first = minute_floor(live.astimezone(settings.tz)) + STEP
    return CutPlan(
        first=first,
        second=first + STEP,
        corrupt=first + 2 * STEP,
        replayed=first,
        stale=local_now - STALE_AGE,
        fresh=first + 3 * STEP,
    )
