"""The published tree: ROOT/releases/<cut>/ directories and the ROOT/current symlink.

`current` is a relative symlink (`releases/<cut>`), switched by renaming a new symlink over it,
so that a reader sees the old cut or the new one and never a missing or mixed tree.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import secrets
import shutil
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from difusor.errors import DifusorError
from difusor.package import journal
from difusor.package.layout import CUT_ID_RE, Settings, cut_id, parse_cut_arg, parse_cut_id

RELEASES = "releases"
CURRENT = "current"
LOCK = ".lock"
INCOMING_PREFIX = ".incoming-"
OLD_PREFIX = ".old-"
REPLACE_PREFIX = ".replace-"
LINK_PREFIX = ".current-"


@dataclass(frozen=True)
class Release:
    cut_id: str
    cut: datetime
    path: Path
    live: bool


def releases_dir(root: Path) -> Path:
    return Path(root) / RELEASES


@contextlib.contextmanager
def locked(root: Path) -> Iterator[None]:
    """One publisher at a time per ROOT (an flock on ROOT/.lock)."""
    fd = os.open(Path(root) / LOCK, os.O_RDWR | os.O_CREAT, 0o640)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def live_cut_id(root: Path) -> str | None:
    """The cut `current` points to, or None when nothing is live."""
    link = Path(root) / CURRENT
    if not link.is_symlink():
        if link.exists():
            raise DifusorError(f"{link} is not a symlink; move it away before publishing")
        return None
    target = Path(os.readlink(link))
    if target.parent != Path(RELEASES) or not CUT_ID_RE.fullmatch(target.name):
        raise DifusorError(f"{link} points to {target}, not to {RELEASES}/<cut>")
    return target.name


def list_releases(root: Path, settings: Settings | None = None) -> list[Release]:
    """Every complete release, oldest cut first."""
    settings = settings or Settings()
    directory = releases_dir(root)
    if not directory.is_dir():
        return []
    live = live_cut_id(root)
    names = sorted(
        entry.name
        for entry in directory.iterdir()
        if CUT_ID_RE.fullmatch(entry.name) and entry.is_dir() and not entry.is_symlink()
    )
    return [
        Release(name, parse_cut_id(name, settings), directory / name, name == live)
        for name in names
    ]


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def point_current(root: Path, name: str) -> None:
    """Make `current` point to releases/<name>, atomically (rename of a new symlink)."""
    root = Path(root)
    temporary = root / f"{LINK_PREFIX}{os.getpid()}-{secrets.token_hex(4)}"
    os.symlink(f"{RELEASES}/{name}", temporary)
    try:
        os.replace(temporary, root / CURRENT)
    except OSError:
        temporary.unlink(missing_ok=True)
        raise
    _fsync_dir(root)


def install(root: Path, staging: Path, name: str, *, go_live: bool) -> bool:
    """Rename a complete staging directory to releases/<name>; switch `current` if go_live.

    An existing release of the same cut is replaced. When it is the live one, the new tree is
    first served under a temporary name (releases/.replace-<cut>-XXXX), so that the cut is
    served without a gap; `recover_current` repairs `current` if this is interrupted.
    Returns whether the release is live afterwards.
    """
    directory = releases_dir(root)
    target = directory / name
    live = live_cut_id(root)
    token = secrets.token_hex(4)
    if not target.exists():
        os.rename(staging, target)
    elif live != name:
        old = directory / f"{OLD_PREFIX}{name}-{token}"
        os.rename(target, old)
        try:
            os.rename(staging, target)
        except OSError:
            os.rename(old, target)
            raise
        shutil.rmtree(old, ignore_errors=True)
    else:
        swap = directory / f"{REPLACE_PREFIX}{name}-{token}"
        old = directory / f"{OLD_PREFIX}{name}-{token}"
        os.rename(staging, swap)
        try:
            point_current(root, swap.name)
            os.rename(target, old)
            os.rename(swap, target)
            point_current(root, name)
        except OSError:
            with contextlib.suppress(OSError):
                recover_current(root)
            raise
        shutil.rmtree(old, ignore_errors=True)
    _fsync_dir(directory)
    if go_live and live != name:
        point_current(root, name)
    return go_live or live == name


def recover_current(root: Path) -> str | None:
    """If `current` was left on a releases/.replace-<cut>-XXXX tree, put it back on <cut>.

    Both trees involved are complete, so `current` ends on a whole release either way.
    Returns the cut it repaired, if any.
    """
    link = Path(root) / CURRENT
    if not link.is_symlink():
        return None
    target = os.readlink(link)
    match = re.fullmatch(
        rf"{RELEASES}/{re.escape(REPLACE_PREFIX)}(\d{{8}}_\d{{4}})-[0-9a-f]+", target
    )
    if not match:
        return None
    name = match.group(1)
    directory = releases_dir(root)
    if not (directory / name).exists():
        os.rename(directory / os.path.basename(target), directory / name)
    point_current(root, name)
    return name


def prune(root: Path, keep: int, protect: Collection[str] = ()) -> list[str]:
    """Remove all but the newest `keep` releases; never the live one nor those in `protect`."""
    releases = list_releases(root)
    keep_names = {release.cut_id for release in releases[-keep:]} if keep > 0 else set()
    removed = []
    for release in releases:
        if release.live or release.cut_id in keep_names or release.cut_id in protect:
            continue
        shutil.rmtree(release.path)
        removed.append(release.cut_id)
    return removed


def clean_leftovers(root: Path) -> list[str]:
    """Remove what an interrupted publisher left behind (never a release, never `current`)."""
    removed = []
    root = Path(root)
    recover_current(root)
    for entry in root.glob(f"{LINK_PREFIX}*"):
        if entry.is_symlink():
            entry.unlink()
            removed.append(entry.name)
    directory = releases_dir(root)
    if directory.is_dir():
        live_target = os.readlink(root / CURRENT) if (root / CURRENT).is_symlink() else ""
        for entry in directory.iterdir():
            if not entry.name.startswith((INCOMING_PREFIX, OLD_PREFIX, REPLACE_PREFIX)):
                continue
            if live_target == f"{RELEASES}/{entry.name}":
                continue
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry.name)
    return removed


def rollback(root: Path, to: str | None = None, settings: Settings | None = None) -> Release:
    """Point `current` to the release before the live one, or to the given cut; journaled."""
    settings = settings or Settings()
    root = Path(root)
    if not releases_dir(root).is_dir():
        raise DifusorError(f"no releases in {root}")
    with locked(root):
        clean_leftovers(root)
        releases = list_releases(root, settings)
        live = next((release for release in releases if release.live), None)
        if to is None:
            if live is None:
                raise DifusorError(f"nothing is live in {root}; give the cut to roll back to")
            older = [release for release in releases if release.cut < live.cut]
            if not older:
                raise DifusorError(f"no release older than the live cut {live.cut_id}")
            chosen = older[-1]
        else:
            try:
                wanted = cut_id(parse_cut_arg(to, settings.tz), settings)
            except ValueError as exc:
                raise DifusorError(str(exc)) from None
            chosen = next((release for release in releases if release.cut_id == wanted), None)
            if chosen is None:
                available = ", ".join(release.cut_id for release in releases) or "none"
                raise DifusorError(f"no release {wanted} in {root} (available: {available})")
        if live is not None and chosen.cut_id == live.cut_id:
            return chosen
        point_current(root, chosen.cut_id)
        journal.record(
            root,
            "rollback",
            cut=chosen.cut_id,
            previous=None if live is None else live.cut_id,
        )
        return Release(chosen.cut_id, chosen.cut, chosen.path, True)
