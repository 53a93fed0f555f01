"""Reading the web container's access logs, streaming, plain or gzip-rotated: the one parser of
an access-log line, for `difusor stats` and the memoria as for the audit (I.E.a-d).

A line is either
- one JSON object with the keys named after nginx variables, as role prep_web writes it:
  `time_iso8601`, `remote_addr`, `request_method`, `request_uri`, `status`, `body_bytes_sent`,
  `http_referer`, `http_user_agent`, `request_time`; extra keys are ignored, "" and "-" mean
  empty; or
- nginx's and Apache's combined format, `$remote_addr - $remote_user [$time_local] "$request"
  $status $body_bytes_sent "$http_referer" "$http_user_agent"` (referer and agent optional), as
  a stock web server writes it.
Anything else (not JSON, no `time_iso8601` or `status`, a time without offset, a status that is
not a number, a line in neither format) is malformed: counted and skipped.
"""

from __future__ import annotations

import heapq
import re
import sys
import zlib
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import IO, NamedTuple

from difusor.errors import DifusorError

try:  # orjson is about three times faster; the stdlib is enough on the servers.
    from orjson import loads as _loads
except ImportError:  # pragma: no cover - exercised on hosts without orjson
    from json import loads as _loads

GZIP_MAGIC = b"\x1f\x8b"
CHUNK = 1 << 20
MONTHS = {
    name: f"{number:02d}"
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}
# The combined format; $time_local is "02/Jun/2024:20:15:03 -0600" (English month names).
COMBINED = re.compile(
    r"(?P<ip>\S+) \S+ \S+ \[(?P<day>\d{2})/(?P<month>[A-Z][a-z]{2})/(?P<year>\d{4})"
    r":(?P<clock>\d{2}:\d{2}:\d{2}) (?P<sign>[+-])(?P<hours>\d{2})(?P<minutes>\d{2})\] "
    r'"(?P<request>(?:[^"\\]|\\.)*)" (?P<status>\d{3}) \S+(?: "(?:[^"\\]|\\.)*"'
    r' "(?P<agent>(?:[^"\\]|\\.)*)")?\s*$'
)


class Request(NamedTuple):
    """One access-log line, reduced to what the statistics use."""

    epoch: int  # seconds since 1970 (UTC)
    ip: str
    method: str
    uri: str
    status: int
    user_agent: str


def _gzip_lines(raw: IO[bytes]) -> Iterator[bytes]:
    """Lines of a gzip stream (several members too), up to any damage, which then raises."""
    inflate = zlib.decompressobj(wbits=31)
    pending = b""
    while chunk := raw.read(CHUNK):
        data = inflate.decompress(chunk)
        while inflate.eof and inflate.unused_data:  # the next member
            rest = inflate.unused_data
            inflate = zlib.decompressobj(wbits=31)
            data += inflate.decompress(rest)
        lines = (pending + data).split(b"\n")
        pending = lines.pop()
        yield from lines
    if pending:
        yield pending
    if not inflate.eof:
        raise EOFError("the compressed stream ends before its end marker")


def log_lines(path: Path) -> Iterator[bytes]:
    """The lines of a log file, decompressed when it is gzip (by content, not by name)."""
    try:
        raw = path.open("rb", buffering=CHUNK)
    except OSError as exc:
        raise DifusorError(f"cannot read the access log {path}: {exc.strerror}") from exc
    with raw:
        if raw.peek(2)[:2] == GZIP_MAGIC:
            yield from _gzip_lines(raw)
        else:
            yield from raw


class TimeParser:
    """ISO 8601 times to epoch seconds, fast: one datetime parse per distinct hour and offset."""

    def __init__(self) -> None:
        self._hours: dict[str, int] = {}

    def __call__(self, text: str) -> int:
        # Fast path for nginx's $time_iso8601: "2024-06-02T20:15:03-06:00" (25 characters).
        if len(text) == 25 and text[13] == ":" and text[16] == ":":
            key = text[:13] + text[19:]
            base = self._hours.get(key)
            if base is None:
                base = int(datetime.fromisoformat(text[:13] + ":00:00" + text[19:]).timestamp())
                self._hours[key] = base
            return base + int(text[14:16]) * 60 + int(text[17:19])
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            raise ValueError("time without offset")
        return int(moment.timestamp())


def _empty(value: object) -> str:
    return "" if value in (None, "-") else str(value)


def _combined(line: bytes | str, parse_time: TimeParser) -> Request | None:
    text = line.decode("utf-8", "replace") if isinstance(line, bytes) else line
    match = COMBINED.match(text.strip())
    if match is None or match["month"] not in MONTHS:
        return None
    when = (
        f"{match['year']}-{MONTHS[match['month']]}-{match['day']}T{match['clock']}"
        f"{match['sign']}{match['hours']}:{match['minutes']}"
    )
    method, _, rest = match["request"].partition(" ")
    uri = rest.rpartition(" HTTP/")[0] if " HTTP/" in rest else rest
    return Request(
        parse_time(when),
        _empty(match["ip"]),
        method if uri else "",  # "-" or a garbled request line: neither method nor page
        uri,
        int(match["status"]),
        _empty(match["agent"]),
    )


def parse_line(line: bytes | str, parse_time: TimeParser) -> Request | None:
    """One access-log line (JSON or combined format, see above), or None when it is malformed."""
    try:
        if line.lstrip()[:1] not in (b"{", "{"):
            return _combined(line, parse_time)
        entry = _loads(line)
        get = entry.get
        return Request(
            parse_time(entry["time_iso8601"]),
            _empty(get("remote_addr")),
            _empty(get("request_method")),
            _empty(get("request_uri")),
            int(entry["status"]),
            _empty(get("http_user_agent")),
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def parse_lines(lines: Iterable[bytes | str], parse_time: TimeParser) -> Iterator[Request | None]:
    """One Request per line, or None for a malformed line (blank lines are skipped)."""
    for line in lines:
        if line.strip():
            yield parse_line(line, parse_time)


def first_epoch(path: Path, limit: int = 1000) -> int | None:
    """The time of the first well-formed line of a file (to order rotated files), or None."""
    parse_time = TimeParser()
    lines = log_lines(path)
    try:
        for count, request in enumerate(parse_lines(lines, parse_time)):
            if request is not None:
                return request.epoch
            if count >= limit:
                break
    except (OSError, EOFError, zlib.error):
        pass  # read_requests reports the damage
    finally:
        lines.close()
    return None


def order_files(paths: Iterable[Path]) -> list[Path]:
    """Oldest first, by the first time in each file (rotation names differ: .1, .2.gz, -DATE)."""
    found = []
    for path in paths:
        if path.is_dir():
            raise DifusorError(
                f"{path} is a directory: give the log files (e.g. {path}/access.log*)"
            )
        found.append(path)
    keyed = [(first_epoch(path), str(path), path) for path in found]
    # Files without a well-formed line go last: they only add to malformed_lines.
    keyed.sort(key=lambda item: (item[0] is None, item[0] or 0, item[1]))
    return [path for _, _, path in keyed]


def read_requests(paths: Iterable[Path]) -> Iterator[Request | None]:
    """Every line of every file, oldest file first; None marks a malformed line.

    A damaged file (a .gz cut short) is read up to the damage, which counts as one malformed
    line, with a warning on standard error; the other files are still read.
    """
    parse_time = TimeParser()
    for path in order_files(paths):
        try:
            yield from parse_lines(log_lines(path), parse_time)
        except (OSError, EOFError, zlib.error) as exc:
            print(f"difusor: warning: {path} is damaged, read up to there: {exc}", file=sys.stderr)
            yield None


def _timed(requests: Iterator[Request | None]) -> Iterator[tuple[int, Request | None]]:
    """Pairs (time, request); a malformed line takes the time of the line before it."""
    last = 0
    for request in requests:
        if request is not None:
            last = request.epoch
        yield last, request


def read_merged(groups: Iterable[Iterable[Path]]) -> Iterator[Request | None]:
    """The logs of several servers as one stream in time order (each server's files in turn)."""
    streams = [_timed(read_requests(list(paths))) for paths in groups]
    for _, request in heapq.merge(*streams, key=lambda pair: pair[0]):
        yield request
