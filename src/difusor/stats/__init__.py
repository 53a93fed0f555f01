"""Visitor statistics of the portal from the web container's access logs (call I.E.a-d)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from difusor.stats.aggregate import Collector
from difusor.stats.logs import read_requests


def compute(
    paths: list[Path],
    *,
    start: date | None = None,
    end: date | None = None,
    salt: bytes | None = None,
) -> dict[str, Any]:
    """The statistics of the given log files (one streaming pass); see aggregate for definitions."""
    collector = Collector(salt=salt, start=start, end=end)
    collector.add_all(read_requests(paths))
    return collector.result(files=[path.name for path in paths])


__all__ = ["compute"]
