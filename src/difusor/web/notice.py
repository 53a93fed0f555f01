"""Notice mode (V.ii.4): the official notice is served in place of the results.

The flag is WEB_ROOT/notice/active (JSON: since, reason, by, auto); the web container serves
WEB_ROOT/notice/index.html for every page while it exists. The published cuts stay on disk, and
the pipeline keeps publishing: turning notice mode off shows the newest cut at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from difusor.package import journal
from difusor.web.state import read_json, write_json


@dataclass(frozen=True)
class Notice:
    active: bool
    since: str | None = None
    reason: str | None = None
    by: str | None = None
    auto: bool = False


def flag_path(web_root: Path) -> Path:
    return Path(web_root) / "notice" / "active"


def status(web_root: Path) -> Notice:
    path = flag_path(web_root)
    if not path.exists():
        return Notice(active=False)
    data = read_json(path) or {}
    return Notice(
        active=True,
        since=data.get("since"),
        reason=data.get("reason"),
        by=data.get("by"),
        auto=bool(data.get("auto")),
    )


def turn_on(
    web_root: Path, site_root: Path, *, reason: str, by: str, auto: bool = False
) -> tuple[Notice, bool]:
    """Serve the notice; return (state, changed). Recorded in the event journal."""
    current = status(web_root)
    if current.active:
        return current, False
    entry = journal.record(site_root, "notice_on", reason=reason, by=by, auto=auto)
    write_json(
        flag_path(web_root), {"since": entry["time"], "reason": reason, "by": by, "auto": auto}
    )
    return status(web_root), True


def turn_off(web_root: Path, site_root: Path, *, by: str) -> tuple[Notice, bool]:
    """Serve the results again; return (state, changed)."""
    current = status(web_root)
    if not current.active:
        return current, False
    flag_path(web_root).unlink()
    journal.record(site_root, "notice_off", by=by, since=current.since)
    return Notice(active=False), True
