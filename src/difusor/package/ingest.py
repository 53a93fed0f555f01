"""Ingesting arrivals: publish every complete package that a transfer left in the incoming
directory, oldest cut first, and keep what arrived (accepted or rejected) as evidence.

A package is complete when the archive and its sidecar are both there; rsync writes each file
under a temporary dot-name and renames it into place, so names starting with "." are transfers
still running. An archive whose sidecar has not arrived yet waits for the next pass.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from difusor.errors import DifusorError
from difusor.package.layout import Settings, sidecar_path
from difusor.package.publish import publish

RECEIVED = "received"


@dataclass(frozen=True)
class Outcome:
    archive: str
    event: str  # published, staged or rejected
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
) -> list[Outcome]:
    """Publish (or stage, or reject) each complete arrival; move it to ROOT/received/."""
    settings = settings or Settings()
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
