"""Ingesting arrivals: publish every complete package that a transfer left in the incoming
directory, oldest cut first, and keep what arrived (accepted or rejected) as evidence.

A package is complete when the archive and its sidecar are both there; rsync writes each file
under a temporary dot-name and renames it into place, so names starting with "." are transfers
still running. While something is still arriving, a pass waits for it (up to `settle_s`), so that
a watcher that fired on the archive also publishes the sidecar's arrival a moment later; what is
still incomplete then waits for the next pass.

`check` is a dry pass: what a pass would do now, with nothing written, moved or journaled (role
prep_publisher runs it with the host's own python3 to prove that the publisher can run there).
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from difusor.errors import DifusorError
from difusor.package.errors import PackageRejected
from difusor.package.layout import Settings, sidecar_path
from difusor.package.publish import publish, window_open
from difusor.package.verify import verify

RECEIVED = "received"
# How long a pass waits for transfers still arriving (`difusor package ingest --settle`, the
# value the unit runs with). The audit's arrival threshold adds one safety pass to it
# (compliance catalog, I.H: arrival_settle_s).
SETTLE_S = 30.0


@dataclass(frozen=True)
class Outcome:
    archive: str
    event: str  # published, staged or rejected; a check: would-publish, would-stage, would-reject
    detail: str


def complete_arrivals(incoming: Path, settings: Settings) -> list[Path]:
    """Archives whose sidecar has arrived too, in name order (the name starts with the cut)."""
    return sorted(
        path
        for path in incoming.iterdir()
        if path.is_file()
        and not path.name.startswith(".")
        and not path.name.endswith(settings.sidecar_suffix)
        and sidecar_path(path, settings).is_file()
    )


def still_arriving(incoming: Path, settings: Settings) -> bool:
    """Transfers in progress, or an archive or sidecar whose partner has not come yet."""
    names = {path.name for path in incoming.iterdir() if path.is_file()}
    suffix = settings.sidecar_suffix
    return any(
        name.startswith(".")
        or (name.endswith(suffix) and name.removesuffix(suffix) not in names)
        or (not name.endswith(suffix) and name + suffix not in names)
        for name in names
    )


def _keep(archive: Path, folder: Path, settings: Settings) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for path in (archive, sidecar_path(archive, settings)):
        shutil.move(path, folder / path.name)


def ingest(
    incoming: Path,
    root: Path,
    *,
    drill: bool = False,
    settings: Settings | None = None,
    now: datetime | None = None,
    settle_s: float = 0.0,
    poll_s: float = 0.2,
) -> list[Outcome]:
    """Publish (or stage, or reject) each complete arrival and move it to ROOT/received/; while
    something is still arriving, keep going for up to `settle_s` seconds."""
    settings = settings or Settings()
    deadline = time.monotonic() + settle_s
    outcomes = []
    while True:
        outcomes += _ingest_pass(incoming, root, drill, settings, now)
        if time.monotonic() >= deadline:
            return outcomes
        if complete_arrivals(incoming, settings):  # completed during the pass
            continue
        if not still_arriving(incoming, settings):
            return outcomes
        time.sleep(poll_s)


def _ingest_pass(
    incoming: Path, root: Path, drill: bool, settings: Settings, now: datetime | None
) -> list[Outcome]:
    outcomes = []
    for archive in complete_arrivals(incoming, settings):
        try:
            result = publish(archive, root, drill=drill, settings=settings, now=now)
        except DifusorError as exc:  # rejected; publish() journaled why
            outcomes.append(Outcome(archive.name, "rejected", str(exc)))
            _keep(archive, root / RECEIVED / "rejected", settings)
            continue
        outcomes.append(Outcome(archive.name, result.event, str(result.release)))
        _keep(archive, root / RECEIVED / "accepted", settings)
    return outcomes


def check(
    incoming: Path,
    root: Path,
    *,
    drill: bool = False,
    settings: Settings | None = None,
    now: datetime | None = None,
) -> list[Outcome]:
    """What a pass would do now, touching nothing: each complete arrival is verified in place
    (read only, nothing extracted) and reported as would-publish, would-stage or would-reject;
    nothing is journaled, moved or switched. Raises DifusorError when a directory is missing.
    (A cut not newer than the live one is refused only by a real pass: publish() decides.)"""
    settings = settings or Settings()
    if not Path(incoming).is_dir():
        raise DifusorError(f"{incoming}: the incoming directory does not exist")
    if not Path(root).is_dir():
        raise DifusorError(f"{root}: the site root does not exist")
    live = drill or window_open(settings, now)
    outcomes = []
    for archive in complete_arrivals(Path(incoming), settings):
        try:
            verified = verify(archive, settings)
        except PackageRejected as exc:
            outcomes.append(Outcome(archive.name, "would-reject", str(exc)))
            continue
        event = "would-publish" if live else "would-stage"
        outcomes.append(Outcome(archive.name, event, f"cut {verified.cut_id}"))
    return outcomes
