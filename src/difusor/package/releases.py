"""The published tree: ROOT/releases/<cut>/ directories, their completeness markers
ROOT/complete/<cut>.json, and the ROOT/current symlink.

`current` is a relative symlink (`releases/<cut>`), switched by renaming a new symlink over it,
so that a reader sees the old cut or the new one and never a missing or mixed tree.

Crash consistency (a kill may come before any file-system change):
- a release is extracted under a dot-name, synced (files and directories), renamed to its cut,
  and only then gets its marker (written whole: a synced temporary renamed into place); a
  release without a marker is not offered by `list_releases` or `rollback`, and the next
  publisher removes it;
- a release is removed by dropping its marker, then renaming it to a trash name, then deleting
  that: it is never half-deleted under its own name;
- `current` switches only to a marked release; the live cut is replaced in place by an atomic
  exchange of the two trees (renameat2), or where that is unavailable by a sequence in which
  `current` always names a whole tree (`recover_current` finishes it after a crash);
- the marker says what the release was made from (archive, SHA-256), which makes the filing of
  an arrival after its switch idempotent, and its state (staged, published, withdrawn), which
  lets a staged cut be promoted when the publication window opens.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import secrets
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from difusor.errors import DifusorError
from difusor.package import journal
from difusor.package.fsutil import (
    TRASH_PREFIX,
    exchange,
    fsync_dir,
    remove_tree,
    trash,
    write_atomic,
)
from difusor.package.layout import CUT_ID_RE, Settings, cut_id, parse_cut_arg, parse_cut_id

RELEASES = "releases"
CURRENT = "current"
COMPLETE = "complete"
LOCK = ".lock"
INCOMING_PREFIX = ".incoming-"
OLD_PREFIX = ".old-"
REPLACE_PREFIX = ".replace-"
LINK_PREFIX = ".current-"
# The last switch of `current` (cut and time), written after it: what a CDN purge waits for
# (systemd's difusor-cdn-purge.path; a path unit cannot watch the symlink itself).
SWITCHED = "switched.json"
# ROOT/served/<cut>: an empty file per cut that is or was live, none newer than the live one
# (a rollback removes them): a balancer's health check asks "is cut X or a later one live here?"
# (/healthz?min=X, role prep_web) and nginx answers it by the file's existence.
SERVED = "served"
LEFTOVER_PREFIXES = (INCOMING_PREFIX, OLD_PREFIX, REPLACE_PREFIX, TRASH_PREFIX)
STATES = ("staged", "published", "withdrawn")
_SWAP_RE = re.compile(
    rf"(?:{re.escape(REPLACE_PREFIX)}|{re.escape(OLD_PREFIX)})(\d{{8}}_\d{{4}})-[0-9a-f]+"
)


@dataclass(frozen=True)
class Release:
    cut_id: str
    cut: datetime
    path: Path
    live: bool
    state: str = "published"  # staged (never live yet), published, or withdrawn (rolled back)


def releases_dir(root: Path) -> Path:
    return Path(root) / RELEASES


def complete_dir(root: Path) -> Path:
    return Path(root) / COMPLETE


def marker_path(root: Path, name: str) -> Path:
    return complete_dir(root) / f"{name}.json"


@contextlib.contextmanager
def locked(root: Path) -> Iterator[None]:
    """One publisher at a time per ROOT (an flock on ROOT/.lock)."""
    fd = os.open(Path(root) / LOCK, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o640)
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
    swap = _SWAP_RE.fullmatch(target.name)
    if target.parent == Path(RELEASES) and swap:  # mid-replacement: a whole tree of that cut
        return swap.group(1)
    if target.parent != Path(RELEASES) or not CUT_ID_RE.fullmatch(target.name):
        raise DifusorError(f"{link} points to {target}, not to {RELEASES}/<cut>")
    return target.name


# --- markers -----------------------------------------------------------------------------------


def read_marker(root: Path, name: str) -> dict[str, Any] | None:
    """The marker of a release, or None when there is none (or it cannot be read)."""
    try:
        data = json.loads(marker_path(root, name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_marker(root: Path, name: str, data: dict[str, Any]) -> None:
    complete_dir(root).mkdir(exist_ok=True)
    text = json.dumps({**data, "cut_id": name}, ensure_ascii=False, sort_keys=True)
    write_atomic(marker_path(root, name), (text + "\n").encode("utf-8"))


def set_state(root: Path, name: str, state: str) -> None:
    marker = read_marker(root, name)
    if marker is not None and marker.get("state") != state:
        write_marker(root, name, {**marker, "state": state})


def drop_marker(root: Path, name: str) -> None:
    path = marker_path(root, name)
    if path.exists():
        path.unlink()
        fsync_dir(path.parent)


def list_releases(root: Path, settings: Settings | None = None) -> list[Release]:
    """Every complete release (its marker written), oldest cut first; the live one always."""
    settings = settings or Settings()
    directory = releases_dir(root)
    if not directory.is_dir():
        return []
    live = live_cut_id(root)
    found = []
    for entry in sorted(directory.iterdir()):
        if not CUT_ID_RE.fullmatch(entry.name) or entry.is_symlink() or not entry.is_dir():
            continue
        marker = read_marker(root, entry.name)
        if marker is None and entry.name != live:
            continue
        state = str((marker or {}).get("state", "published"))
        cut = parse_cut_id(entry.name, settings)
        found.append(Release(entry.name, cut, entry, entry.name == live, state))
    return found


# --- switching ---------------------------------------------------------------------------------


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
    fsync_dir(root)
    with contextlib.suppress(OSError):  # the switch is done; only its notices are lost
        if CUT_ID_RE.fullmatch(name):  # not the swap trees of a replacement in place
            mark_served(root, name)
        record = {"cut": name, "time": journal.utc_now()}
        write_atomic(root / SWITCHED, json.dumps(record).encode() + b"\n")


def mark_served(root: Path, name: str) -> None:
    """ROOT/served/<name> exists, and no mark of a later cut (what a rollback undid)."""
    directory = Path(root) / SERVED
    directory.mkdir(mode=0o755, exist_ok=True)
    os.chmod(directory, 0o755)  # read by the web container, whatever the publisher's umask
    for entry in os.listdir(directory):
        if CUT_ID_RE.fullmatch(entry) and entry > name:
            os.unlink(directory / entry)
    mark = directory / name
    if not mark.exists():
        mark.touch(mode=0o644)
        fsync_dir(directory)


def install(
    root: Path, staging: Path, name: str, *, go_live: bool, marker: dict[str, Any] | None = None
) -> bool:
    """Make a complete, synced staging directory releases/<name> (marked complete); switch
    `current` to it if go_live. An existing release of the same cut is replaced: a live one in
    place, without a moment in which `current` names no whole tree. Returns whether the release
    is live afterwards."""
    directory = releases_dir(root)
    target = directory / name
    live = live_cut_id(root)
    marker = {**(marker or {}), "state": "published" if go_live or live == name else "staged"}
    if live == name and target.exists():
        _replace_live(root, staging, name, marker)
        return True
    if os.path.lexists(target):
        drop_marker(root, name)
        trash(target)
    os.rename(staging, target)
    fsync_dir(directory)
    write_marker(root, name, marker)
    if go_live:
        point_current(root, name)
    return go_live


def _replace_live(root: Path, staging: Path, name: str, marker: dict[str, Any]) -> None:
    directory = releases_dir(root)
    target = directory / name
    token = secrets.token_hex(4)
    swap = directory / f"{REPLACE_PREFIX}{name}-{token}"
    os.rename(staging, swap)
    fsync_dir(directory)
    if exchange(swap, target):  # releases/<name> is the new tree at once; swap holds the old
        fsync_dir(directory)
        write_marker(root, name, marker)
        remove_tree(swap)
        return
    # No atomic exchange here: `current` names a whole tree at every step.
    old = directory / f"{OLD_PREFIX}{name}-{token}"
    point_current(root, swap.name)  # the new tree
    os.rename(target, old)
    point_current(root, old.name)  # the old tree, while the new one takes the cut's name
    os.rename(swap, target)
    fsync_dir(directory)
    write_marker(root, name, marker)
    point_current(root, name)
    remove_tree(old)


def recover_current(root: Path) -> str | None:
    """If `current` was left on a releases/.replace- or .old-<cut>-XXXX tree (a publisher killed
    while replacing the live cut), put it back on releases/<cut>, whole at every step.
    Returns the cut it repaired, if any."""
    link = Path(root) / CURRENT
    if not link.is_symlink():
        return None
    target = os.readlink(link)
    prefix, _, base = target.partition("/")
    match = _SWAP_RE.fullmatch(base)
    if prefix != RELEASES or not match:
        return None
    name = match.group(1)
    directory = releases_dir(root)
    if not (directory / name).exists():
        # Give the cut's name to the other whole tree of the swap, not the one `current` names.
        others = [
            entry
            for entry in directory.iterdir()
            if _SWAP_RE.fullmatch(entry.name)
            and _SWAP_RE.fullmatch(entry.name).group(1) == name
            and entry.name != base
        ]
        source = others[0] if others else None
        if source is None:
            return None  # nothing else whole: `current` stays where it is
        os.rename(source, directory / name)
        fsync_dir(directory)
        if read_marker(root, name) is None:
            write_marker(root, name, {"recovered": True, "state": "published"})
    point_current(root, name)
    return name


def withdraw_newer(root: Path, cut: datetime, settings: Settings) -> None:
    """Mark every release newer than `cut` withdrawn (a rollback, or a forced older cut), so
    that no later run promotes one of them again."""
    for release in list_releases(root, settings):
        if release.cut > cut and release.state != "withdrawn":
            set_state(root, release.cut_id, "withdrawn")


# --- removing ----------------------------------------------------------------------------------


def remove_release(root: Path, name: str) -> None:
    """Drop the marker, then trash the tree (never half-deleted under its cut name)."""
    drop_marker(root, name)
    path = releases_dir(root) / name
    if os.path.lexists(path):
        trash(path)


def prune(root: Path, keep: int, protect: Collection[str] = ()) -> list[str]:
    """Remove all but the newest `keep` releases; never the live one nor those in `protect`."""
    releases = list_releases(root)
    keep_names = {release.cut_id for release in releases[-keep:]} if keep > 0 else set()
    removed = []
    for release in releases:
        if release.live or release.cut_id in keep_names or release.cut_id in protect:
            continue
        remove_release(root, release.cut_id)
        removed.append(release.cut_id)
    return removed


def clean_leftovers(root: Path) -> list[str]:
    """Repair `current`, then remove what an interrupted publisher left behind: temporary
    links, staging, swap and trash trees, releases without a marker (but the live one), and
    markers without a release. Never `current`, never what it names."""
    removed = []
    root = Path(root)
    recover_current(root)
    for entry in root.glob(f"{LINK_PREFIX}*"):
        if entry.is_symlink():
            entry.unlink()
            removed.append(entry.name)
    for entry in root.glob(f".{COMPLETE}-*"):  # an adoption of legacy releases, interrupted
        remove_tree(entry)
    directory = releases_dir(root)
    live_target = os.readlink(root / CURRENT) if (root / CURRENT).is_symlink() else ""
    if directory.is_dir() and not complete_dir(root).exists():
        _adopt_legacy(root)
    names = set()
    if directory.is_dir():
        for entry in directory.iterdir():
            if live_target == f"{RELEASES}/{entry.name}":
                names.add(entry.name)
                continue
            if entry.name.startswith(LEFTOVER_PREFIXES):
                remove_tree(entry)
                removed.append(entry.name)
            elif CUT_ID_RE.fullmatch(entry.name):
                if marker_path(root, entry.name).exists():
                    names.add(entry.name)
                else:
                    trash(entry)
                    removed.append(entry.name)
    markers = complete_dir(root)
    if markers.is_dir():
        for entry in markers.iterdir():
            stem = entry.name.removesuffix(".json")
            if entry.name.startswith(".") or (
                CUT_ID_RE.fullmatch(stem) and entry.name.endswith(".json") and stem not in names
            ):
                entry.unlink()
                removed.append(f"{COMPLETE}/{entry.name}")
    return removed


def _adopt_legacy(root: Path) -> None:
    """The first run after markers came in: the releases that a publisher without markers left
    are taken as they are (marked `legacy`), not removed as incomplete. The markers are written
    in a temporary directory renamed into place: all of them, or none."""
    temporary = Path(root) / f".{COMPLETE}-{secrets.token_hex(4)}"
    temporary.mkdir()
    for entry in releases_dir(root).iterdir():
        if CUT_ID_RE.fullmatch(entry.name) and entry.is_dir() and not entry.is_symlink():
            data = {"cut_id": entry.name, "legacy": True, "state": "published"}
            write_atomic(temporary / f"{entry.name}.json", (json.dumps(data) + "\n").encode())
    os.rename(temporary, complete_dir(root))
    fsync_dir(root)


# --- rolling back ------------------------------------------------------------------------------


def rollback(root: Path, to: str | None = None, settings: Settings | None = None) -> Release:
    """Point `current` to the release before the live one, or to the given cut; journaled.
    Only complete releases are offered; the releases newer than the chosen one are withdrawn
    (no later run promotes them again)."""
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
        set_state(root, chosen.cut_id, "published")
        withdraw_newer(root, chosen.cut, settings)
        journal.record(
            root,
            "rollback",
            cut=chosen.cut_id,
            previous=None if live is None else live.cut_id,
        )
        return Release(chosen.cut_id, chosen.cut, chosen.path, True, "published")
