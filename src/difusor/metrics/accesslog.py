"""The web access log for the metrics: responses by status class, read incrementally.

The log can reach gigabytes on election night, so nothing reads it whole:
- `advance` (for `difusor metrics write`, the counters) keeps a small state file (the log's
  inode, how far it was read, the running counts) and reads only what was appended since, at
  most READ_CAP bytes a run: when more than that was appended, the older part is skipped and
  counted in `skipped_bytes`. After a rotation it finishes the rotated file (found by its inode
  among the log directory's files, uncompressed while logrotate's delaycompress holds) and goes
  on with the new one from its start. The first run starts at the end: a counter starts at 0.
- `recent` (for `difusor status`) reads only the last TAIL_BYTES and counts the requests of the
  last WINDOW_S seconds.
Every line is read by the statistics' own parser (`stats.logs.parse_line`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from difusor.stats.logs import TimeParser, parse_line

LOG_NAME = "access.log"
READ_CAP = 64 << 20  # bytes read at most per run of `metrics write`
TAIL_BYTES = 8 << 20  # bytes read at most by `recent`
WINDOW_S = 300
CLASSES = ("1xx", "2xx", "3xx", "4xx", "5xx")


def status_class(status: int) -> str:
    return f"{status // 100}xx" if 100 <= status < 600 else "other"


def _empty_counts() -> dict[str, int]:
    return dict.fromkeys(CLASSES, 0)


@dataclass
class Counts:
    """Running counts since the state file began (the counters' values)."""

    responses: dict[str, int]
    malformed: int = 0
    skipped_bytes: int = 0

    @property
    def requests(self) -> int:
        return sum(self.responses.values())

    def add_lines(self, lines: Iterable[bytes]) -> None:
        parse_time = TimeParser()
        for line in lines:
            if not line.strip():
                continue
            request = parse_line(line, parse_time)
            if request is None:
                self.malformed += 1
                continue
            key = status_class(request.status)
            self.responses[key] = self.responses.get(key, 0) + 1


def _read_span(path: Path, start: int, end: int) -> tuple[list[bytes], int]:
    """The complete lines between byte offsets start and end; returns (lines, offset after the
    last complete line). A line still being written stays for the next run."""
    with path.open("rb") as stream:
        stream.seek(start)
        data = stream.read(max(0, end - start))
    cut = data.rfind(b"\n")
    if cut < 0:
        return [], start
    return data[: cut + 1].splitlines(), start + cut + 1


def _aligned_start(path: Path, start: int) -> int:
    """The first line boundary at or after `start` (a skip lands mid-line)."""
    if start == 0:
        return 0
    with path.open("rb") as stream:
        stream.seek(start - 1)
        chunk = stream.read(1 << 16)
    newline = chunk.find(b"\n")
    return start + newline if newline >= 0 else start + len(chunk)


def _consume(path: Path, offset: int, size: int, counts: Counts, cap: int) -> int:
    """Count the lines of path from offset (up to `cap` bytes, skipping what lies before);
    returns the new offset."""
    if size - offset > cap:
        skipped_to = _aligned_start(path, size - cap)
        counts.skipped_bytes += skipped_to - offset
        offset = skipped_to
    lines, offset = _read_span(path, offset, size)
    counts.add_lines(lines)
    return offset


def _rotated(log: Path, inode: int) -> Path | None:
    """The file in the log's directory that is the log as it was before a rotation."""
    for candidate in sorted(log.parent.glob(f"{log.name}?*")):
        try:
            if candidate.stat().st_ino == inode and not candidate.name.endswith(".gz"):
                return candidate
        except OSError:
            continue
    return None


def advance(log: Path, state: dict[str, Any] | None, cap: int = READ_CAP) -> tuple[Counts, dict]:
    """Read what the log gained since `state` (None: the first run); returns the counts so far
    and the new state. OSError when the log cannot be read."""
    info = os.stat(log)
    with open(log, "rb"):  # readable by this account, or OSError now
        pass
    state = state or {}
    counts = Counts(
        {**_empty_counts(), **state.get("responses", {})},
        int(state.get("malformed", 0)),
        int(state.get("skipped_bytes", 0)),
    )
    inode, offset = state.get("inode"), int(state.get("offset", 0))
    if inode is None:
        offset = info.st_size  # the first run: counters start at 0, from here
    elif inode != info.st_ino:
        old = _rotated(log, inode)
        if old is not None:
            _consume(old, offset, old.stat().st_size, counts, cap)
        offset = 0
    elif offset > info.st_size:  # truncated in place (copytruncate)
        offset = 0
    offset = _consume(log, offset, info.st_size, counts, cap)
    new_state = {
        "inode": info.st_ino,
        "offset": offset,
        "responses": counts.responses,
        "malformed": counts.malformed,
        "skipped_bytes": counts.skipped_bytes,
    }
    return counts, new_state


@dataclass(frozen=True)
class Recent:
    """The requests of the last seconds, from the log's tail."""

    requests: int
    errors: int  # 5xx
    covered_s: int  # the seconds those lines cover (less than the window when the tail is short)

    @property
    def per_minute(self) -> float:
        return self.requests * 60 / self.covered_s if self.covered_s else 0.0

    @property
    def error_ratio(self) -> float:
        return self.errors / self.requests if self.requests else 0.0


def recent(log: Path, now: float, window_s: int = WINDOW_S, tail: int = TAIL_BYTES) -> Recent:
    """Requests of the last `window_s` seconds before `now` (epoch), from the last `tail` bytes
    of the log. OSError when it cannot be read."""
    size = os.stat(log).st_size
    start = _aligned_start(log, max(0, size - tail))
    lines, _ = _read_span(log, start, size)
    parse_time = TimeParser()
    since = now - window_s
    requests = errors = 0
    oldest: int | None = None
    for line in lines:
        request = parse_line(line, parse_time) if line.strip() else None
        if request is None:
            continue
        oldest = request.epoch if oldest is None else min(oldest, request.epoch)
        if since <= request.epoch <= now:
            requests += 1
            errors += request.status >= 500
    covered = window_s
    if start > 0 and oldest is not None and oldest > since:
        covered = max(1, int(now - oldest))  # the tail began inside the window
    return Recent(requests, errors, covered)
