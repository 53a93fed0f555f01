"""What a new cut shares with the live one keeps its validators: same mtime, same siblings.

A web server derives a file's ETag and Last-Modified from its mtime and size (nginx:
`"<mtime hex>-<size hex>"`). Extraction writes every file anew, so without this step every file
of every cut would look new to browsers and CDNs, and a reader's repeat view would fetch the
whole site again every 15 minutes. Here each file of the staged release that is byte-identical
to the same path in the live release takes the live file's mtime, and the live file's
precompressed siblings (NAME.gz, NAME.br: made by the publisher from that same content) are
linked beside it, so an unchanged bundle is neither compressed again nor re-downloaded: a
conditional request for it answers 304.

Only regular files are compared, paths are walked without following links (both trees are the
publisher's own: verified, extracted, read-only), and a file that cannot be compared or linked
is simply left new (it is then served in full, never wrongly).
"""

from __future__ import annotations

import contextlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from difusor.package.fsutil import walk

SIBLING_SUFFIXES = (".gz", ".br")
CHUNK = 256 * 1024


@dataclass(frozen=True)
class CarryOver:
    """What the staged release took over from the live one."""

    unchanged: int  # files byte-identical to the live release's (validators kept)
    changed: int  # files new or different (served with new validators)
    siblings: int  # precompressed copies linked rather than made again


def same_bytes(first: Path, second: Path, size: int) -> bool:
    """Whether two regular files of `size` bytes hold the same bytes (read in chunks)."""
    flags = os.O_RDONLY | os.O_NOFOLLOW
    with (
        os.fdopen(os.open(first, flags), "rb") as one,
        os.fdopen(os.open(second, flags), "rb") as other,
    ):
        if os.fstat(one.fileno()).st_size != size or os.fstat(other.fileno()).st_size != size:
            return False
        while chunk := one.read(CHUNK):
            if chunk != other.read(len(chunk)):
                return False
    return True


def _regular(path: Path) -> os.stat_result | None:
    try:
        info = os.lstat(path)
    except OSError:
        return None
    return info if stat.S_ISREG(info.st_mode) else None


def _link_siblings(staged: Path, live: Path, mtime_ns: int) -> int:
    """Link the live file's precompressed siblings beside the staged file; how many."""
    linked = 0
    for suffix in SIBLING_SUFFIXES:
        source = live.with_name(live.name + suffix)
        target = staged.with_name(staged.name + suffix)
        if _regular(source) is None or os.path.lexists(target):
            continue
        try:
            os.link(source, target, follow_symlinks=False)
        except OSError:  # another file system, or links refused: the publisher compresses anew
            continue
        with contextlib.suppress(OSError):
            os.utime(target, ns=(mtime_ns, mtime_ns), follow_symlinks=False)
        linked += 1
    return linked


def carry_over(staging: Path, live: Path | None) -> CarryOver:
    """Give the files of `staging` that are identical to `live`'s the live mtimes and siblings.
    Run before precompression (which then skips the siblings already there)."""
    unchanged = changed = siblings = 0
    for relative, entry in walk(staging):
        if not entry.is_file(follow_symlinks=False):
            continue
        staged = Path(entry.path)
        old = None if live is None else live / relative
        old_info = None if old is None else _regular(old)
        size = entry.stat(follow_symlinks=False).st_size
        if old_info is None or old_info.st_size != size or not _same(staged, old, size):
            if old_info is not None and old_info.st_size == size:
                _differ_in_validators(staged, old_info)
            changed += 1
            continue
        mtime_ns = old_info.st_mtime_ns
        os.utime(staged, ns=(mtime_ns, mtime_ns), follow_symlinks=False)
        siblings += _link_siblings(staged, old, mtime_ns)
        unchanged += 1
    return CarryOver(unchanged, changed, siblings)


def _differ_in_validators(staged: Path, old_info: os.stat_result) -> None:
    """A changed file of the same size must not get the old file's ETag (nginx counts whole
    seconds): written within the same second as the live one, it moves one second on."""
    second = 1_000_000_000
    info = os.lstat(staged)
    if info.st_mtime_ns // second == old_info.st_mtime_ns // second:
        later = (old_info.st_mtime_ns // second + 1) * second
        os.utime(staged, ns=(later, later), follow_symlinks=False)


def _same(staged: Path, old: Path | None, size: int) -> bool:
    if old is None:
        return False
    try:
        return same_bytes(staged, old, size)
    except OSError:
        return False
