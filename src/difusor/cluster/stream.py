"""A verified release as a byte stream (a plain tar), from the receiving node to a web node.

The receiving node writes the release once per cut (`write_release`): its marker first (as
`.difusor-release.json`), then every directory and regular file of the tree with its mode and
modification time (so that every node serves the same ETag and Last-Modified for a file), and
names the stream by its SHA-256. A web node reads it (`read_release`) into a staging directory
and trusts nothing in it: the digest must match the one named on the command line, members are
only directories and regular files, names are relative, normalised and bounded, totals are
bounded, and files are created anew (O_EXCL, O_NOFOLLOW) below the staging directory only.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from difusor.errors import DifusorError
from difusor.package.fsutil import walk

MARKER_MEMBER = ".difusor-release.json"
CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    max_files: int = 200_000
    max_total_bytes: int = 8 * 1024**3
    max_depth: int = 32
    max_path_bytes: int = 1024
    max_marker_bytes: int = 64 * 1024


class StreamRejected(DifusorError):
    """The stream is not a release this node accepts (what and why in the message)."""


def write_release(tree: Path, marker: dict[str, Any], out: IO[bytes]) -> str:
    """Write the release `tree` with its marker to `out`; return the stream's SHA-256."""
    hashing = _Hashing(out)
    with tarfile.open(fileobj=hashing, mode="w|", format=tarfile.PAX_FORMAT) as archive:
        data = json.dumps(marker, sort_keys=True).encode()
        info = tarfile.TarInfo(MARKER_MEMBER)
        info.size, info.mode = len(data), 0o644
        archive.addfile(info, io.BytesIO(data))
        for relative, entry in walk(tree):
            status = entry.stat(follow_symlinks=False)
            info = tarfile.TarInfo(relative)
            info.mtime = int(status.st_mtime)
            if entry.is_dir(follow_symlinks=False):
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                archive.addfile(info)
            elif entry.is_file(follow_symlinks=False):
                info.size, info.mode = status.st_size, 0o644
                with open(entry.path, "rb") as source:
                    archive.addfile(info, source)
            # a release holds nothing else (the publisher refused it)
    hashing.flush()
    return hashing.digest.hexdigest()


def read_release(source: IO[bytes], staging: Path, digest: str, limits: Limits) -> dict:
    """Unpack a stream into the empty directory `staging`; return the marker it carried.
    StreamRejected when the stream is not acceptable (the caller removes `staging`)."""
    hashing = _Hashing(source)
    files = total = 0
    marker: dict | None = None
    directories: list[tuple[str, int]] = []
    try:
        with tarfile.open(fileobj=hashing, mode="r|") as archive:
            for member in archive:
                if member.name == MARKER_MEMBER and marker is None and member.isreg():
                    if member.size > limits.max_marker_bytes:
                        raise StreamRejected("the release marker is too large")
                    marker = _read_marker(archive.extractfile(member))
                    continue
                name = _checked_name(member.name, limits)
                files += 1
                if files > limits.max_files:
                    raise StreamRejected(f"more than {limits.max_files} entries")
                target = staging / name
                if member.isdir():
                    target.mkdir(mode=0o755)
                    directories.append((os.fspath(target), int(member.mtime)))
                elif member.isreg():
                    total += member.size
                    if total > limits.max_total_bytes:
                        raise StreamRejected(f"more than {limits.max_total_bytes} bytes")
                    _write_file(archive.extractfile(member), target, int(member.mtime))
                else:
                    raise StreamRejected(f"{name}: only directories and regular files")
        _drain(hashing)
    except (tarfile.TarError, EOFError) as exc:
        raise StreamRejected(f"not a whole tar stream: {exc}") from None
    except FileExistsError as exc:
        raise StreamRejected(f"{exc.filename}: named twice") from None
    except (FileNotFoundError, NotADirectoryError) as exc:
        raise StreamRejected(f"{exc.filename}: its directory comes later or not at all") from None
    if hashing.digest.hexdigest() != digest:
        raise StreamRejected(
            f"SHA-256 {hashing.digest.hexdigest()} is not the announced {digest}: "
            "the transfer was cut or altered"
        )
    if marker is None:
        raise StreamRejected(f"no {MARKER_MEMBER}: not a release of the receiving node")
    for path, mtime in reversed(directories):  # children first: their files touched them
        os.utime(path, (mtime, mtime))
    return marker


def _checked_name(name: str, limits: Limits) -> str:
    if len(name.encode("utf-8", "surrogateescape")) > limits.max_path_bytes:
        raise StreamRejected(f"a name longer than {limits.max_path_bytes} bytes")
    parts = name.split("/")
    if (
        name.startswith("/")
        or "\\" in name
        or "\x00" in name
        or any(part in ("", ".", "..") for part in parts)
    ):
        raise StreamRejected(f"{name[:200]!r}: not a plain relative name")
    if len(parts) > limits.max_depth:
        raise StreamRejected(f"{name[:200]!r}: deeper than {limits.max_depth} directories")
    return name


def _read_marker(handle: IO[bytes] | None) -> dict:
    try:
        data = json.loads((handle.read() if handle else b"").decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise StreamRejected("the release marker is not JSON") from None
    if not isinstance(data, dict):
        raise StreamRejected("the release marker is not a mapping")
    return data


def _write_file(handle: IO[bytes] | None, target: Path, mtime: int) -> None:
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    with os.fdopen(fd, "wb") as out:
        os.fchmod(out.fileno(), 0o644)
        while handle is not None:
            chunk = handle.read(CHUNK)
            if not chunk:
                break
            out.write(chunk)
    os.utime(target, (mtime, mtime))


def _drain(handle: _Hashing) -> None:
    while handle.read(CHUNK):
        pass


class _Hashing(io.RawIOBase):
    """A pass-through reader or writer that hashes every byte it moves."""

    def __init__(self, inner: IO[bytes]) -> None:
        super().__init__()
        self.inner = inner
        self.digest = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self.inner.read(size)
        self.digest.update(data)
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def write(self, data: Any) -> int:
        self.digest.update(data)
        self.inner.write(data)
        return len(data)

    def flush(self) -> None:
        self.inner.flush()
