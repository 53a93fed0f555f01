"""A difusor host in a temporary directory for the metrics and `difusor status`: host facts
pointing into it, a synthetic package published with `difusor package publish --facts`, an
access log, the watchdog's state."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

from host_kit import facts_file
from stats_kit import line

from difusor import call
from difusor.cli import main

FIXTURES = Path(__file__).parent / "fixtures" / "metrics"
CERTIFICATE = FIXTURES / "fullchain.pem"  # self-signed, expires 2051-07-01 12:30 UTC
CERTIFICATE_EXPIRY = datetime(2051, 7, 1, 12, 30, tzinfo=timezone.utc)


def host(tmp_path: Path, **changes: str) -> Path:
    """The facts file of a host under tmp_path (directories made, nothing published; the
    publication window open, the watchdog watching)."""
    path = facts_file(
        tmp_path,
        web_log_dir=str(tmp_path / "log"),
        tls_certificate=str(CERTIFICATE),
        metrics_dir=str(tmp_path / "textfile"),
        publish_from="2024-01-01 00:00",
        **changes,
    )
    facts = json.loads(path.read_text())
    for key in ("site_root", "web_root", "web_log_dir", "metrics_dir", "incoming_dir"):
        Path(facts[key]).mkdir(parents=True, exist_ok=True)
    (Path(facts["web_root"]) / "notice").mkdir(exist_ok=True)
    Path(facts["web_settings"]).write_text("watch_until: '2099-12-31 23:59'\ngrace_min: 5\n")
    return path


def publish(tmp_path: Path, facts: Path, cut: datetime) -> Path:
    """Generate a synthetic package for `cut` and publish it (drill) through the CLI."""
    out = tmp_path / "work" / cut.strftime("%Y%m%d%H%M")
    local = cut.astimezone(call.TIEMPO_DEL_CENTRO).strftime("%Y-%m-%d %H:%M")
    assert main(["package", "generate", "--cut", local, "--out", str(out), "--rows", "3"]) == 0
    (archive,) = (path for path in out.iterdir() if path.suffix == ".zip")
    assert main(["package", "publish", str(archive), "--facts", str(facts), "--drill"]) == 0
    return archive


def minutes_ago(minutes: float, now: datetime | None = None) -> datetime:
    """A cut time `minutes` before now, on a whole minute (cut ids have no seconds)."""
    moment = (now or datetime.now(timezone.utc)) - timedelta(minutes=minutes)
    return moment.replace(second=0, microsecond=0)


def access_line(status: int, when: datetime, uri: str = "/") -> str:
    """One line as prep_web's nginx writes it (log_format prep_json), newline-terminated."""
    local = when.astimezone(call.TIEMPO_DEL_CENTRO).isoformat(timespec="seconds")
    return line(local, uri, status=status) + "\n"
