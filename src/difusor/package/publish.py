"""Publishing a package: verify, extract, precompress, switch `current`; journal every step.

A package is extracted into ROOT/releases/.incoming-XXXX (same filesystem), renamed to
ROOT/releases/<cut> only once complete, and `current` is switched by renaming a symlink. On any
failure the incoming directory is removed and `current` is left as it was.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from difusor.errors import DifusorError
from difusor.package import journal
from difusor.package.errors import PackageRejected, PublishFailed
from difusor.package.layout import (
    Settings,
    cut_id,
    format_csv_cut,
    parse_archive_name,
    parse_cut_id,
)
from difusor.package.precompress import precompress_tree
from difusor.package.releases import (
    INCOMING_PREFIX,
    clean_leftovers,
    install,
    live_cut_id,
    locked,
    prune,
    releases_dir,
)
from difusor.package.verify import Verified, verify


@dataclass(frozen=True)
class Published:
    verified: Verified
    release: Path
    event: str  # "published" or "staged"
    previous: str | None  # the cut live before
    pruned: tuple[str, ...]

    @property
    def cut_id(self) -> str:
        return self.verified.cut_id

    @property
    def live(self) -> bool:
        return self.event == "published"


def window_open(settings: Settings, now: datetime | None = None) -> bool:
    """Whether results may go live (VI.a: from 20:00 Tiempo del Centro, 2 June 2024)."""
    return (now or datetime.now(timezone.utc)) >= settings.publish_from


def publish(
    archive: Path,
    root: Path,
    *,
    force: bool = False,
    drill: bool = False,
    settings: Settings | None = None,
    now: datetime | None = None,
) -> Published:
    """Verify a package and make it the live cut (or stage it before the publication window).

    `force` accepts a cut that is not newer than the live one; `drill` switches `current` even
    before `settings.publish_from` (simulacros); `now` is the clock, for tests. Raises
    PackageRejected (journaled as verify_failed + rejected) or PublishFailed (journaled as
    rejected with rule io-error); in both cases `current` is unchanged and no partial release
    is left behind.
    """
    settings = settings or Settings()
    archive, root = Path(os.path.abspath(archive)), Path(root)
    try:
        named_cut: str | None = cut_id(parse_archive_name(archive.name, settings).cut, settings)
    except ValueError:
        named_cut = None
    staging: Path | None = None
    try:
        releases_dir(root).mkdir(parents=True, exist_ok=True)
        with locked(root):
            try:
                clean_leftovers(root)
                size = archive.stat().st_size if archive.is_file() else None
                journal.record(root, "arrival", archive=archive, cut=named_cut, size=size)
                staging = Path(tempfile.mkdtemp(prefix=INCOMING_PREFIX, dir=releases_dir(root)))
                return _publish(archive, root, staging, force, drill, settings, now)
            finally:
                if staging is not None:
                    shutil.rmtree(staging, ignore_errors=True)
    except PackageRejected as exc:
        journal.try_record(
            root, "rejected", archive=archive, cut=named_cut, rule=exc.rule, reason=str(exc)
        )
        raise
    except OSError as exc:
        reason = f"{archive.name}: publishing failed: {exc}"
        journal.try_record(
            root, "rejected", archive=archive, cut=named_cut, rule="io-error", reason=reason
        )
        raise PublishFailed(reason) from exc
    except DifusorError as exc:
        journal.try_record(
            root, "rejected", archive=archive, cut=named_cut, rule="error", reason=str(exc)
        )
        raise


def _publish(
    archive: Path,
    root: Path,
    staging: Path,
    force: bool,
    drill: bool,
    settings: Settings,
    now: datetime | None,
) -> Published:
    """The steps after arrival, under the lock; the caller journals failures and cleans up."""
    try:
        verified = verify(archive, settings, dest=staging)
    except PackageRejected as exc:
        journal.try_record(root, "verify_failed", archive=archive, rule=exc.rule, reason=str(exc))
        raise
    cut = verified.cut_id
    journal.record(
        root,
        "verify_ok",
        archive=archive,
        cut=cut,
        sha256=verified.sha256,
        files=verified.files,
        bytes=verified.total_bytes,
        synthetic=verified.synthetic,
    )
    previous = live_cut_id(root)
    if previous is not None and not force:
        live = parse_cut_id(previous, settings)
        if live >= verified.cut:
            raise PackageRejected(
                "replayed-cut",
                archive.name,
                f"cut {format_csv_cut(verified.cut, settings)} is not newer than the live cut "
                f"{format_csv_cut(live, settings)}",
            )
    precompress_tree(staging, settings)
    os.chmod(staging, 0o755)
    is_live = install(root, staging, cut, go_live=drill or window_open(settings, now))
    event = "published" if is_live else "staged"
    try:
        pruned = prune(root, settings.keep_releases, protect={cut})
    except OSError:  # an old release that cannot be removed does not undo a publication
        pruned = []
    journal.try_record(
        root,
        event,
        archive=archive,
        cut=cut,
        previous=previous,
        forced=force or None,
        drill=drill or None,
        pruned=pruned or None,
    )
    return Published(verified, releases_dir(root) / cut, event, previous, tuple(pruned))
