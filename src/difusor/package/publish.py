"""Publishing a package: verify, extract, precompress, switch `current`; journal every step.

A package is extracted into ROOT/releases/.incoming-XXXX (same filesystem), synced, renamed to
ROOT/releases/<cut> only once complete, marked complete, and `current` is switched by renaming
a symlink (see `releases` for what a crash at any point leaves). On any failure the incoming
directory is removed and `current` is left as it was.

What may go live (decided from the server's clock and the publication window, VI.a):
- outside drill mode, a cut more than `max_cut_ahead_min` ahead of the clock is refused
  (`future-cut`): a mistyped month must not become a live cut that every real one then "replays";
- outside drill mode, a package whose metadata says `synthetic: true` is refused (`synthetic`);
- a cut older than the live one is refused (`replayed-cut`); another package of the live cut is
  refused (`duplicate-cut`: a site serves one package per cut), while the very package that is
  live (same SHA-256: a re-send, or a run killed before it filed the arrival) is `unchanged`;
- before the window a verified cut is staged; `promote` (each ingest run) switches to the newest
  staged cut once the window is open, so that a cut that arrived at 19:59:50 goes live at 20:00.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from difusor.errors import DifusorError
from difusor.package import journal
from difusor.package.arrival import Snapshot
from difusor.package.carryover import carry_over
from difusor.package.errors import PackageRejected, PublishFailed, shown
from difusor.package.fsutil import fsync_tree, is_transient, remove_tree
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
    Release,
    clean_leftovers,
    install,
    list_releases,
    live_cut_id,
    locked,
    point_current,
    prune,
    read_marker,
    releases_dir,
    set_state,
    withdraw_newer,
)
from difusor.package.verify import Verified, verify


@dataclass(frozen=True)
class Published:
    verified: Verified
    release: Path
    event: str  # "published", "staged" or "unchanged" (the package that is live already)
    previous: str | None  # the cut live before
    pruned: tuple[str, ...]

    @property
    def cut_id(self) -> str:
        return self.verified.cut_id

    @property
    def live(self) -> bool:
        return self.event in ("published", "unchanged")


def window_open(settings: Settings, now: datetime | None = None) -> bool:
    """Whether results may go live (VI.a: from 20:00 Tiempo del Centro, 2 June 2024)."""
    return (now or datetime.now(timezone.utc)) >= settings.publish_from


def refusal(
    cut: datetime, synthetic: bool, settings: Settings, now: datetime, drill: bool
) -> tuple[str, str] | None:
    """(rule, detail) when a verified cut may not go live at `now`; None when it may."""
    if drill:
        return None
    if synthetic and not settings.accept_synthetic:
        return (
            "synthetic",
            "its metadata says synthetic: true; test packages go live only in drill mode "
            "(or with the setting accept_synthetic, for test and demo set-ups)",
        )
    ahead = cut - now
    if ahead > timedelta(minutes=settings.max_cut_ahead_min):
        return (
            "future-cut",
            f"cut {format_csv_cut(cut, settings)} is {int(ahead.total_seconds() // 60)} minutes "
            f"ahead of the server's clock (tolerance {settings.max_cut_ahead_min} minutes)",
        )
    return None


def publish(
    archive: Path,
    root: Path,
    *,
    force: bool = False,
    drill: bool = False,
    settings: Settings | None = None,
    now: datetime | None = None,
    snapshot: Snapshot | None = None,
    sidecar: bytes | None = None,
) -> Published:
    """Verify a package and make it the live cut (or stage it before the publication window).

    `force` accepts a cut that is not newer than the live one; `drill` switches `current` even
    before `settings.publish_from` and lifts the future-cut and synthetic rules (simulacros);
    `now` is the clock, for tests; `snapshot`/`sidecar`: the arrival as ingest took it. Raises
    PackageRejected (journaled as verify_failed + rejected) or PublishFailed (journaled as
    rejected with rule io-error, or deferred when the machine's fault is transient: disk
    full); in every case `current` is unchanged and no partial release is left behind.
    """
    root = Path(root)
    releases_dir(root).mkdir(parents=True, exist_ok=True)
    with locked(root):
        return publish_locked(
            archive,
            root,
            force=force,
            drill=drill,
            settings=settings,
            now=now,
            snapshot=snapshot,
            sidecar=sidecar,
        )


def publish_locked(
    archive: Path,
    root: Path,
    *,
    force: bool = False,
    drill: bool = False,
    settings: Settings | None = None,
    now: datetime | None = None,
    snapshot: Snapshot | None = None,
    sidecar: bytes | None = None,
) -> Published:
    """`publish`, for a caller that holds the lock of ROOT already (ingest, for a whole pass)."""
    settings = settings or Settings()
    archive, root = Path(os.path.abspath(archive)), Path(root)
    try:
        named_cut: str | None = cut_id(parse_archive_name(archive.name, settings).cut, settings)
    except ValueError:
        named_cut = None
    preset = settings.for_archive(archive.name).preset  # the format in force, journaled
    staging: Path | None = None
    try:
        try:
            clean_leftovers(root)
            size = snapshot.size if snapshot is not None else _size(archive)
            journal.record(
                root, "arrival", archive=archive, cut=named_cut, size=size, preset=preset
            )
            staging = Path(tempfile.mkdtemp(prefix=INCOMING_PREFIX, dir=releases_dir(root)))
            return _publish(archive, root, staging, force, drill, settings, now, snapshot, sidecar)
        finally:
            if staging is not None:
                remove_tree(staging)
    except PackageRejected as exc:
        journal.try_record(
            root,
            "rejected",
            archive=archive,
            cut=named_cut,
            rule=exc.rule,
            reason=str(exc),
            preset=preset,
        )
        raise
    except OSError as exc:
        transient = is_transient(exc)
        reason = f"{shown(archive.name)}: publishing failed: {exc.strerror or exc}"
        if transient:
            reason += " (the arrival waits for the next pass)"
        journal.try_record(
            root,
            "deferred" if transient else "rejected",
            archive=archive,
            cut=named_cut,
            rule="io-error",
            reason=reason,
        )
        raise PublishFailed(reason, transient=transient) from exc
    except DifusorError as exc:
        journal.try_record(
            root, "rejected", archive=archive, cut=named_cut, rule="error", reason=str(exc)
        )
        raise


def _size(archive: Path) -> int | None:
    try:
        return os.lstat(archive).st_size
    except OSError:
        return None


def _publish(
    archive: Path,
    root: Path,
    staging: Path,
    force: bool,
    drill: bool,
    settings: Settings,
    now: datetime | None,
    snapshot: Snapshot | None,
    sidecar: bytes | None,
) -> Published:
    """The steps after arrival, under the lock; the caller journals failures and cleans up."""
    try:
        verified = verify(archive, settings, dest=staging, snapshot=snapshot, sidecar=sidecar)
    except PackageRejected as exc:
        journal.try_record(
            root,
            "verify_failed",
            archive=archive,
            rule=exc.rule,
            reason=str(exc),
            preset=settings.for_archive(archive.name).preset,
        )
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
        preset=verified.preset,
    )
    clock = now or datetime.now(timezone.utc)
    refused = refusal(verified.cut, verified.synthetic, settings, clock, drill)
    if refused is not None:
        raise PackageRejected(refused[0], archive.name, refused[1])
    previous = live_cut_id(root)
    if previous == cut:
        marker = read_marker(root, cut) or {}
        if marker.get("sha256") == verified.sha256:
            journal.record(root, "unchanged", archive=archive, cut=cut, sha256=verified.sha256)
            return Published(verified, releases_dir(root) / cut, "unchanged", previous, ())
    if previous is not None and not force:
        live = parse_cut_id(previous, settings)
        if live > verified.cut:
            raise PackageRejected(
                "replayed-cut",
                archive.name,
                f"cut {format_csv_cut(verified.cut, settings)} is not newer than the live cut "
                f"{format_csv_cut(live, settings)}",
            )
        if live == verified.cut:
            marker = read_marker(root, previous) or {}
            raise PackageRejected(
                "duplicate-cut",
                archive.name,
                f"another package of cut {format_csv_cut(live, settings)} is live "
                f"({marker.get('archive', '?')}, SHA-256 {marker.get('sha256', '?')}): a site "
                "serves one package per cut (publish --force replaces it)",
            )
    carried = carry_over(staging, releases_dir(root) / previous if previous else None)
    precompress_tree(staging, settings)
    os.chmod(staging, 0o755)
    fsync_tree(staging)
    go_live = drill or window_open(settings, now)
    marker = {
        "archive": shown(archive.name),
        "sha256": verified.sha256,
        "synthetic": verified.synthetic,
        "drill": drill,
        "files": verified.files,
        "bytes": verified.total_bytes,
        "time": journal.utc_now(),
    }
    is_live = install(root, staging, cut, go_live=go_live, marker=marker)
    if is_live and force and previous is not None:
        withdraw_newer(root, verified.cut, settings)
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
        sha256=verified.sha256,
        preset=verified.preset,
        previous=previous,
        forced=force or None,
        drill=drill or None,
        pruned=pruned or None,
        unchanged_files=carried.unchanged,
    )
    return Published(verified, releases_dir(root) / cut, event, previous, tuple(pruned))


def promote(
    root: Path, settings: Settings, *, drill: bool = False, now: datetime | None = None
) -> Release | None:
    """Switch `current` to the newest staged cut once it may go live (the window is open, or
    drill mode), if it is newer than the live one; journaled as published (`promoted`). Only
    cuts staged and never live count (not one withdrawn by a rollback); outside drill mode
    they must lie within the window and pass the future-cut and synthetic rules. The caller
    holds the lock."""
    if not (drill or window_open(settings, now)):
        return None
    clock = now or datetime.now(timezone.utc)
    previous = live_cut_id(root)
    live = parse_cut_id(previous, settings) if previous else None
    for release in reversed(list_releases(root, settings)):
        if live is not None and release.cut <= live:
            break
        if release.state != "staged":
            continue
        marker = read_marker(root, release.cut_id) or {}
        synthetic = marker.get("synthetic") is True
        if not drill and release.cut < settings.publish_from:
            continue
        if refusal(release.cut, synthetic, settings, clock, drill) is not None:
            continue
        point_current(root, release.cut_id)
        set_state(root, release.cut_id, "published")
        journal.record(
            root,
            "published",
            archive=marker.get("archive"),
            cut=release.cut_id,
            sha256=marker.get("sha256"),
            previous=previous,
            promoted=True,
            drill=drill or None,
        )
        return Release(release.cut_id, release.cut, release.path, True, "published")
    return None
