"""File-system steps that a hostile tree cannot turn against the publisher.

Every walk here is iterative (an explicit stack, never recursion: a tree 1,300 directories deep
is walked like a flat one), never follows a symbolic link, and every change that must survive a
crash is synced (the file, then its directory). Removal goes through a trash name first, so that
a release is never half-deleted under its own name.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import os
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path

TRASH_PREFIX = ".trash-"
# Errors of the machine, not of the package: the arrival waits for the next pass.
TRANSIENT_ERRNOS = frozenset(
    {errno.ENOSPC, errno.EFBIG, errno.EDQUOT, errno.ENOMEM, errno.EIO, errno.EAGAIN, errno.EINTR}
)


def is_transient(exc: BaseException) -> bool:
    """Whether an OSError is the machine's (disk full, quota, I/O) rather than the package's."""
    return isinstance(exc, OSError) and exc.errno in TRANSIENT_ERRNOS


def walk(top: Path) -> Iterator[tuple[str, os.DirEntry]]:
    """(relative path, entry) of everything below `top`, parents before children, in name
    order per directory; links are reported, not followed."""
    stack: list[tuple[str, str]] = [("", os.fspath(top))]
    while stack:
        relative, directory = stack.pop()
        with os.scandir(directory) as entries:
            found = sorted(entries, key=lambda entry: entry.name)
        below = []
        for entry in found:
            path = f"{relative}/{entry.name}" if relative else entry.name
            yield path, entry
            if entry.is_dir(follow_symlinks=False):
                below.append((path, entry.path))
        stack.extend(reversed(below))


def remove_tree(path: Path) -> None:
    """Delete a file or a directory tree, iteratively; what is already gone is no error."""
    path = os.fspath(path)
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISDIR(mode):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        return
    stack = [(path, False)]
    while stack:
        directory, emptied = stack.pop()
        if emptied:
            with contextlib.suppress(FileNotFoundError):
                os.rmdir(directory)
            continue
        stack.append((directory, True))
        try:
            with os.scandir(directory) as entries:
                found = list(entries)
        except FileNotFoundError:
            continue
        for entry in found:
            if entry.is_dir(follow_symlinks=False):
                stack.append((entry.path, False))
            else:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(entry.path)


def fsync_path(path: Path, directory: bool = False) -> None:
    flags = os.O_RDONLY | (os.O_DIRECTORY if directory else 0) | os.O_NOFOLLOW
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    fsync_path(path, directory=True)


def fsync_tree(top: Path) -> None:
    """Sync every file and directory of a tree (files first, then the directories bottom-up),
    so that nothing in it is lost when the machine stops right after `current` switches."""
    directories = [os.fspath(top)]
    for _, entry in walk(top):
        if entry.is_dir(follow_symlinks=False):
            directories.append(entry.path)
        elif entry.is_file(follow_symlinks=False):
            fsync_path(entry.path)
    for directory in reversed(directories):
        fsync_dir(directory)


def trash(path: Path) -> Path:
    """Rename `path` to a trash name in its directory (synced), so that it no longer exists
    under its own name; then delete it. Returns the trash name (gone when this returns)."""
    path = Path(path)
    target = path.with_name(f"{TRASH_PREFIX}{path.name}-{secrets.token_hex(4)}")
    os.rename(path, target)
    fsync_dir(path.parent)
    remove_tree(target)
    return target


def write_atomic(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write a file whole or not at all: a synced temporary name renamed over `path`."""
    path = Path(path)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
    try:
        with os.fdopen(fd, "wb") as out:
            os.fchmod(out.fileno(), mode)
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    fsync_dir(path.parent)


# --- an atomic exchange of two names (renameat2 RENAME_EXCHANGE, Linux >= 3.15) -----------------

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
_libc = None


def _renameat2(first: str, second: str) -> None:
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    function = getattr(_libc, "renameat2", None)
    if function is None:
        raise OSError(errno.ENOSYS, "renameat2 is not available")
    result = function(
        _AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE
    )
    if result != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code), first)


def exchange(first: Path, second: Path) -> bool:
    """Swap two existing names atomically; False when the system or file system cannot."""
    try:
        _renameat2(os.fspath(first), os.fspath(second))
    except OSError as exc:
        if exc.errno in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
            return False
        raise
    return True
