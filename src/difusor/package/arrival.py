"""Taking a file that the pusher controls, without trusting anything but its bytes.

A name in the incoming directory may be a symbolic link, a FIFO (whose `open()` blocks), a 16 TiB
sparse file, or a file that a writer (`rsync --inplace`) is still changing. So:
- the name is `lstat`ed first: only a regular file of at most the size limit is opened;
- it is opened with O_NOFOLLOW | O_NONBLOCK, and the opened descriptor is `fstat`ed again (the
  name may have been replaced in between);
- its bytes are copied once into a private snapshot (an unnamed temporary file on the site's
  disk), hashed on the way; if the size, modification or change time moved while copying, the
  file is still being written and is left for a later pass (`StillWriting`);
- everything afterwards (hash check, extraction) reads the snapshot, which nobody else can
  change, and `unchanged()` tells at filing time whether the name still holds what was taken.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from difusor.package.errors import PackageRejected, shown

COPY_CHUNK = 1024 * 1024
OPEN_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC


class StillWriting(Exception):  # a state, not an error
    """The file changed while it was being taken: a transfer is still writing it."""


Identity = tuple[int, int, int, int, int]  # device, inode, size, mtime_ns, ctime_ns


def identity(info: os.stat_result) -> Identity:
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


@dataclass
class Snapshot:
    """A private copy of an arrival: what is verified and published."""

    path: Path  # where it was taken from
    label: str  # its name as it may be shown
    file: BinaryIO  # the copy, open for reading
    sha256: str
    size: int
    source: Identity  # of the file it was copied from

    def close(self) -> None:
        self.file.close()

    def __enter__(self) -> Snapshot:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _open_regular(path: Path, label: str, max_bytes: int, rule: str) -> tuple[int, os.stat_result]:
    """An open descriptor of a regular file of at most `max_bytes`, and its fstat."""
    try:
        before = os.lstat(path)
    except FileNotFoundError:
        raise PackageRejected("unreadable", label, "no such file") from None
    except OSError as exc:
        raise PackageRejected("unreadable", label, exc.strerror or str(exc)) from None
    if not stat.S_ISREG(before.st_mode):
        raise PackageRejected("not-a-file", label, f"a {_kind(before.st_mode)}, not a regular file")
    if before.st_size > max_bytes:
        raise PackageRejected(rule, label, f"{before.st_size} bytes, over the limit of {max_bytes}")
    try:
        fd = os.open(path, OPEN_FLAGS)
    except OSError as exc:
        raise PackageRejected("unreadable", label, exc.strerror or str(exc)) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or (info.st_dev, info.st_ino) != (
            before.st_dev,
            before.st_ino,
        ):
            raise StillWriting(f"{label} was replaced while it was opened")
        if info.st_size > max_bytes:
            raise PackageRejected(
                rule, label, f"{info.st_size} bytes, over the limit of {max_bytes}"
            )
    except BaseException:
        os.close(fd)
        raise
    return fd, info


def _kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "symbolic link"
    if stat.S_ISDIR(mode):
        return "directory"
    if stat.S_ISFIFO(mode):
        return "FIFO"
    if stat.S_ISSOCK(mode):
        return "socket"
    return "device"


def take(path: Path, max_bytes: int, spool: Path | None = None) -> Snapshot:
    """A snapshot of the archive at `path` (see the module's docstring). Raises PackageRejected
    (not-a-file, too-large, unreadable), StillWriting, or OSError from writing the copy."""
    path = Path(path)
    label = shown(path.name)
    fd, info = _open_regular(path, label, max_bytes, "too-large")
    with os.fdopen(fd, "rb", buffering=0) as source:
        copy = tempfile.TemporaryFile(dir=spool)  # noqa: SIM115 (returned open)
        try:
            digest, size = hashlib.sha256(), 0
            while size <= info.st_size:
                try:
                    chunk = source.read(min(COPY_CHUNK, info.st_size + 1 - size))
                except OSError as exc:
                    raise PackageRejected("unreadable", label, exc.strerror or str(exc)) from None
                if not chunk:
                    break
                digest.update(chunk)
                copy.write(chunk)
                size += len(chunk)
            after = os.fstat(source.fileno())
            if size != info.st_size or identity(after) != identity(info):
                raise StillWriting(f"{label} changed while it was read")
            copy.flush()
            copy.seek(0)
        except BaseException:
            copy.close()
            raise
    return Snapshot(path, label, copy, digest.hexdigest(), size, identity(info))


def read_small(path: Path, max_bytes: int, rule: str) -> tuple[bytes, Identity]:
    """The whole content of a small regular file (a sidecar), and its identity; rejections as
    for `take`, with `rule` for a file over `max_bytes`."""
    label = shown(Path(path).name)
    fd, info = _open_regular(Path(path), label, max_bytes, rule)
    with os.fdopen(fd, "rb", buffering=0) as source:
        try:
            data = source.read(max_bytes + 1)
        except OSError as exc:
            raise PackageRejected("unreadable", label, exc.strerror or str(exc)) from None
        if len(data) > max_bytes:
            raise PackageRejected(rule, label, f"over the limit of {max_bytes} bytes")
        if identity(os.fstat(source.fileno())) != identity(info) or len(data) != info.st_size:
            raise StillWriting(f"{label} changed while it was read")
    return data, identity(info)


def unchanged(path: Path, taken: Identity) -> bool:
    """Whether the name still holds the very file that was taken (same inode, size and times)."""
    with contextlib.suppress(OSError):
        info = os.lstat(path)
        return stat.S_ISREG(info.st_mode) and identity(info) == taken
    return False
