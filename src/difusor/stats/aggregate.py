"""The figures of call I.E.a-d, computed in one streaming pass over the access log.

Memory is bounded by what the figures need, never by the number of lines: counters per day and
hour, the pages counted in a dict, the visitor hashes of each day (for unique visitors), and the
open visits of the last 30 minutes (closed visits only add to a histogram of durations).

Definitions (docs/estadisticas.md says the same in Spanish):
- hit: every well-formed request in the range, bots included;
- visitor: a salted hash of client IP and user agent (no raw IP is kept in any output); visitors
  of a day are the distinct hashes of people (not bots) that day, in Tiempo del Centro; for a
  range, `visitors` is the sum of the daily uniques (as GoAccess counts them) and
  `visitors_distinct` the distinct hashes over the whole range;
- visit: the requests of one visitor with no gap longer than 30 minutes; it belongs to the day
  (and hour) it starts in, even when it crosses midnight; its duration is last request minus first,
  so a single-request visit lasts 0 s. Every request of a person counts as activity (the results
  pages poll their JSON data while open, so an open tab is time on site).
"""

from __future__ import annotations

import hashlib
import secrets
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

from difusor.call import TIEMPO_DEL_CENTRO
from difusor.stats.classify import BotDetector, is_page_view, page_path
from difusor.stats.logs import Request

VISIT_GAP_S = 30 * 60
FLUSH_EVERY_S = 5 * 60
DURATION_BUCKETS: tuple[tuple[int, str], ...] = (
    (1, "0 s"),
    (10, "1-9 s"),
    (30, "10-29 s"),
    (60, "30-59 s"),
    (180, "1-3 min"),
    (600, "3-10 min"),
    (1800, "10-30 min"),
    (3600, "30-60 min"),
    (10**12, "> 1 h"),
)


@dataclass
class HourCounts:
    hits: int = 0
    page_views: int = 0
    visits: int = 0
    bot_hits: int = 0


@dataclass
class DayCounts:
    hits: int = 0
    page_views: int = 0
    bot_hits: int = 0
    bot_page_views: int = 0
    visitors: set[bytes] = field(default_factory=set)
    bot_visitors: set[bytes] = field(default_factory=set)
    pages: Counter[str] = field(default_factory=Counter)
    durations: Counter[int] = field(default_factory=Counter)
    hours: dict[int, HourCounts] = field(default_factory=dict)

    def hour(self, hour: int) -> HourCounts:
        counts = self.hours.get(hour)
        if counts is None:
            counts = self.hours[hour] = HourCounts()
        return counts


class Collector:
    """Feed it requests (None = malformed line) oldest first; `result()` gives the figures."""

    def __init__(
        self,
        *,
        salt: bytes | None = None,
        start: date | None = None,
        end: date | None = None,
        tz: ZoneInfo = TIEMPO_DEL_CENTRO,
        track_minutes: bool = False,
    ) -> None:
        self.salt = salt if salt is not None else secrets.token_bytes(32)
        self.start = start.isoformat() if start else None
        self.end = end.isoformat() if end else None
        self.tz = tz
        self.days: dict[str, DayCounts] = {}
        self.range_visitors: set[bytes] = set()
        self.malformed = 0
        self.out_of_range = 0
        self.is_bot = BotDetector()
        self._local: dict[int, tuple[str, int]] = {}
        self._hashes: dict[tuple[str, str], bytes] = {}
        self._open: dict[bytes, list[Any]] = {}  # visitor -> [first, last, start day]
        self._next_flush = 0
        # Minutes (epoch // 60) with at least one request, for the memoria's silent periods.
        self.minutes: set[int] | None = set() if track_minutes else None

    # -- per line -----------------------------------------------------------------------------

    def local_day_hour(self, epoch: int) -> tuple[str, int]:
        """Date (YYYY-MM-DD) and hour in Tiempo del Centro; cached per quarter hour."""
        quarter = epoch // 900
        found = self._local.get(quarter)
        if found is None:
            moment = datetime.fromtimestamp(quarter * 900, timezone.utc).astimezone(self.tz)
            found = self._local[quarter] = (moment.date().isoformat(), moment.hour)
        return found

    def visitor(self, ip: str, user_agent: str) -> bytes:
        key = (ip, user_agent)
        digest = self._hashes.get(key)
        if digest is None:
            if len(self._hashes) >= 500_000:
                self._hashes.clear()
            digest = hashlib.blake2b(
                f"{ip}\0{user_agent}".encode(), key=self.salt, digest_size=8
            ).digest()
            self._hashes[key] = digest
        return digest

    def add(self, request: Request | None) -> None:
        if request is None:
            self.malformed += 1
            return
        epoch, ip, method, uri, status, agent = request
        day_key, hour_key = self.local_day_hour(epoch)
        if (self.start and day_key < self.start) or (self.end and day_key > self.end):
            self.out_of_range += 1
            return
        day = self.days.get(day_key)
        if day is None:
            day = self.days[day_key] = DayCounts()
        hour = day.hour(hour_key)
        day.hits += 1
        hour.hits += 1
        if self.minutes is not None:
            self.minutes.add(epoch // 60)
        who = self.visitor(ip, agent)
        path = page_path(uri)
        page = is_page_view(method, status, path)
        if self.is_bot(agent):
            day.bot_hits += 1
            hour.bot_hits += 1
            day.bot_visitors.add(who)
            if page:
                day.bot_page_views += 1
            return
        day.visitors.add(who)
        if page:
            day.page_views += 1
            hour.page_views += 1
            day.pages[path] += 1
        self._activity(who, epoch, day_key, hour)

    def silent_periods(self, start: int, end: int, min_gap_s: int) -> list[tuple[int, int]]:
        """(from, to) epochs inside [start, end) with no request for at least min_gap_s."""
        if self.minutes is None:
            raise ValueError("silent_periods needs Collector(track_minutes=True)")
        marks = sorted(minute * 60 for minute in self.minutes if start <= minute * 60 < end)
        periods = []
        previous = start
        for mark in [*marks, end]:
            if mark - previous >= min_gap_s:
                periods.append((previous, mark))
            previous = mark + 60
        return periods

    def add_all(self, requests: Iterable[Request | None]) -> Collector:
        for request in requests:
            self.add(request)
        return self

    # -- visits -------------------------------------------------------------------------------

    def _activity(self, who: bytes, epoch: int, day_key: str, hour: HourCounts) -> None:
        if epoch >= self._next_flush:
            self._close_idle(epoch)
            self._next_flush = epoch + FLUSH_EVERY_S
        visit = self._open.get(who)
        if visit is not None and epoch - visit[1] <= VISIT_GAP_S:
            if epoch > visit[1]:
                visit[1] = epoch
            elif epoch < visit[0]:  # a line written slightly out of order
                visit[0] = epoch
            return
        if visit is not None:
            self._close(visit)
        self._open[who] = [epoch, epoch, day_key]
        hour.visits += 1

    def _close(self, visit: list[Any]) -> None:
        self.days[visit[2]].durations[visit[1] - visit[0]] += 1

    def _close_idle(self, now: int) -> None:
        idle = [who for who, visit in self._open.items() if now - visit[1] > VISIT_GAP_S]
        for who in idle:
            self._close(self._open.pop(who))

    def finish(self) -> None:
        for visit in self._open.values():
            self._close(visit)
        self._open.clear()
        for day in self.days.values():
            self.range_visitors.update(day.visitors)

    # -- result -------------------------------------------------------------------------------

    def result(self, files: list[str] | None = None) -> dict[str, Any]:
        """The figures as plain data (the JSON output); call once, after the last request."""
        self.finish()
        days = dict(sorted(self.days.items()))
        pages: Counter[str] = Counter()
        durations: Counter[int] = Counter()
        for day in days.values():
            pages.update(day.pages)
            durations.update(day.durations)
        hits = sum(day.hits for day in days.values())
        bot_hits = sum(day.bot_hits for day in days.values())
        return {
            "timezone": str(self.tz),
            "from": self.start,
            "to": self.end,
            "files": files or [],
            "empty": hits == 0,
            "visitors": sum(len(day.visitors) for day in days.values()),
            "visitors_distinct": len(self.range_visitors),
            "page_views": sum(day.page_views for day in days.values()),
            "hits": hits,
            "human_hits": hits - bot_hits,
            "bots": {
                "hits": bot_hits,
                "page_views": sum(day.bot_page_views for day in days.values()),
                "visitors": sum(len(day.bot_visitors) for day in days.values()),
            },
            "malformed_lines": self.malformed,
            "out_of_range_lines": self.out_of_range,
            "pages": page_list(pages),
            "time_on_site": time_on_site(durations),
            "by_day": {key: day_result(day) for key, day in days.items()},
        }


def page_list(pages: Counter[str]) -> list[dict[str, Any]]:
    """Most viewed first; ties by path so that the order is stable."""
    return [
        {"path": path, "views": views}
        for path, views in sorted(pages.items(), key=lambda item: (-item[1], item[0]))
    ]


def median(durations: Counter[int]) -> float:
    total = sum(durations.values())
    if not total:
        return 0.0
    wanted = ((total - 1) // 2, total // 2)  # the middle one, or the middle two
    found: list[int] = []
    seen = 0
    for value in sorted(durations):
        count = durations[value]
        for index in wanted:
            if seen <= index < seen + count:
                found.append(value)
        seen += count
        if len(found) == 2:
            break
    return (found[0] + found[1]) / 2


def time_on_site(durations: Counter[int]) -> dict[str, Any]:
    visits = sum(durations.values())
    total = sum(value * count for value, count in durations.items())
    buckets = Counter[str]()
    for value, count in durations.items():
        label = next(label for upper, label in DURATION_BUCKETS if value < upper)
        buckets[label] += count
    return {
        "visits": visits,
        "mean_s": round(total / visits, 1) if visits else 0.0,
        "median_s": median(durations),
        "distribution": [
            {"range": label, "visits": buckets.get(label, 0)} for _, label in DURATION_BUCKETS
        ],
    }


def day_result(day: DayCounts) -> dict[str, Any]:
    return {
        "visitors": len(day.visitors),
        "page_views": day.page_views,
        "hits": day.hits,
        "human_hits": day.hits - day.bot_hits,
        "bots": {
            "hits": day.bot_hits,
            "page_views": day.bot_page_views,
            "visitors": len(day.bot_visitors),
        },
        "pages": page_list(day.pages),
        "time_on_site": time_on_site(day.durations),
        "by_hour": [
            {
                "hour": hour,
                "hits": counts.hits,
                "page_views": counts.page_views,
                "visits": counts.visits,
                "bot_hits": counts.bot_hits,
            }
            for hour, counts in sorted(day.hours.items())
        ],
    }
