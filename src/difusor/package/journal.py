"""The event journal: one JSON object per line in ROOT/journal.jsonl, synced as written.

It feeds the incident report (memoria técnica). Pipeline events: arrival, verify_ok,
verify_failed, staged, published, rejected, rollback; web events: notice_on, notice_off (notice
mode, V.ii.4) and the freshness watchdog's stale_warning, stale_critical, stale_incident and
fresh_again (with `age_s`, the live cut's age in seconds); on a cluster's web node, the watchdog's
cluster_lag (the receiving node's `expected` cut newer than the live one for longer than the
grace: `since`, `lag_s`) and cluster_caught_up (the live cut reached the `expected` one). Every
line has `time` (UTC, ISO 8601), `event`, `archive` and `cut`; the pipeline's events of an
archive also `preset`, the package format in force (`presets`). (`unchanged`: an arrival that is
the package already live, a re-send or one whose filing a crash interrupted; nothing switched.
`deferred`: the machine failed, not the package, e.g. disk full: the arrival waits for the next
pass.)

Text from outside (file and member names in `archive` and `reason`) is escaped and capped before
it is written: a line is always valid UTF-8 JSON of bounded length.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from difusor.package.errors import MESSAGE_CAP, shown

JOURNAL_NAME = "journal.jsonl"
PATH_CAP = 400  # characters of an archive path in a line
PIPELINE_EVENTS = (
    "arrival",
    "verify_ok",
    "verify_failed",
    "staged",
    "published",
    "rejected",
    "deferred",
    "unchanged",
    "rollback",
)
WEB_EVENTS = (
    "notice_on",
    "notice_off",
    "stale_warning",
    "stale_critical",
    "stale_incident",
    "fresh_again",
    "cdn_purged",
    "cdn_purge_failed",
    "cluster_lag",
    "cluster_caught_up",
)
# A cluster's receiving node (difusor.cluster.sync), each with `node`: the web node or balancer.
CLUSTER_EVENTS = (
    "node_staged",
    "node_switched",
    "node_failed",
    "node_out",
    "node_in",
    "cluster_live",
    "cluster_stalled",
)
EVENTS = frozenset(PIPELINE_EVENTS + WEB_EVENTS + CLUSTER_EVENTS)


def journal_path(root: Path) -> Path:
    return Path(root) / JOURNAL_NAME


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def record(
    root: Path,
    event: str,
    *,
    archive: Path | str | None = None,
    cut: str | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """Append one event (a single write on an O_APPEND file, then fsync) and return it."""
    if event not in EVENTS:
        raise ValueError(f"unknown journal event {event!r}")
    entry: dict[str, Any] = {
        "time": utc_now(),
        "event": event,
        "archive": None if archive is None else shown(str(archive), PATH_CAP),
        "cut": cut,
    }
    entry.update({key: _clean(value) for key, value in fields.items() if value is not None})
    line = (json.dumps(entry, ensure_ascii=False, default=str) + "\n").encode("utf-8")
    fd = os.open(journal_path(root), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)
    return entry


def _clean(value: Any) -> Any:
    """A field value as it may be journaled: strings escaped and capped, containers walked."""
    if isinstance(value, str):
        return shown(value, MESSAGE_CAP)
    if isinstance(value, list | tuple):
        return [_clean(item) for item in value[:100]]
    if isinstance(value, dict):
        return {str(key): _clean(item) for key, item in list(value.items())[:100]}
    return value


def try_record(root: Path, event: str, **fields: Any) -> dict[str, Any] | None:
    """Like record, for failure paths: a journal that cannot be written (disk full) is skipped."""
    try:
        return record(root, event, **fields)
    except Exception:  # a failure path must not fail on its own report
        return None


def parse_lines(text: str) -> list[dict[str, Any]]:
    """The events in journal text (an unparsable line, e.g. cut short by a crash, is skipped)."""
    events = []
    for line in text.splitlines():
        try:
            events.append(json.loads(line))
        except ValueError:
            continue
    return events


def read_journal(root: Path) -> list[dict[str, Any]]:
    """Every event so far."""
    path = journal_path(root)
    if not path.exists():
        return []
    return parse_lines(path.read_text(encoding="utf-8"))
