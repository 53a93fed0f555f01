"""Safe extraction: which member names and kinds are allowed, limits, and writing the files.

Policy (every rule raises `PackageRejected`):
- names: valid UTF-8, no control characters or backslashes, relative, no `..` component,
  each component at most 255 bytes, the path at most `max_path_bytes` and `max_depth`
  directories deep; `.` and empty components are dropped;
- kinds: regular files and directories only. Links are refused whether they point inside the
  tree or not (a PREP site needs none), and so are devices, FIFOs and sockets;
- no two members with the same path, and no member below a file;
- at most `max_files` members and `max_total_bytes` uncompressed: checked on the declared sizes
  before any byte is written (for zip, on the whole central directory first), and again on the
  bytes actually produced, so that lying headers and compression bombs stop at the limit.
Files are written with mode 0644 and directories 0755, whatever the archive says.

Nested archives (INE and cómputos packages hold one zip per election): a member whose name ends
in .zip, .tar.gz or .tgz is an inner archive. It is written below `dest` as shipped (the site
links it as a download: the difusor serves the electoral body's bytes unmodified, VI.b) and, as
its bytes stream past, kept in memory (at most `max_inner_archive_bytes`) and read again by the
same readers, member by member, under the same rules: names, kinds, links, duplicates, the zip
central-directory precheck. Its members are hashed, never written anywhere; the first bytes of
the ones verification reads are kept (`Extraction.inner`, by `OUTER!/MEMBER` path). The member
count and the uncompressed bytes are counted across every level against the same limits, and
archives nest at most `max_nesting` levels below the package (`too-nested`).
"""

from __future__ import annotations

import hashlib
import io
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from difusor.package.archive import Entry, Kind, Reader, ZipReader, open_reader
from difusor.package.errors import PackageRejected
from difusor.package.layout import Settings

NAME_MAX = 255
INNER_SEP = "!/"  # between an inner archive's path and a member's: `A.zip!/B.csv`
ARCHIVE_SUFFIXES = ((".zip", "zip"), (".tar.gz", "tar.gz"), (".tgz", "tar.gz"))
FILE_MODE = 0o644
DIR_MODE = 0o755


@dataclass(frozen=True)
class FileRecord:
    size: int
    sha256: str
    head: bytes = b""  # the first bytes, for the files verification reads


@dataclass
class Extraction:
    files: dict[str, FileRecord] = field(default_factory=dict)  # what is served
    dirs: set[str] = field(default_factory=set)
    inner: dict[str, FileRecord] = field(default_factory=dict)  # inside inner archives
    archives: list[str] = field(default_factory=list)  # inner archives, outermost first

    @property
    def total_bytes(self) -> int:
        return sum(record.size for record in self.files.values())


def archive_format(path: str) -> str | None:
    """`zip` or `tar.gz` for a member that is an inner archive (by its name), else None."""
    lowered = path.lower()
    return next((fmt for suffix, fmt in ARCHIVE_SUFFIXES if lowered.endswith(suffix)), None)


@dataclass
class Budget:
    """What the limits count, across every level of nested archives."""

    files: int = 0
    declared: int = 0  # bytes, from the headers
    produced: int = 0  # bytes, actually decoded

    def copy(self) -> Budget:
        return Budget(self.files, self.declared, self.produced)


def normalize_name(name: str, label: str, settings: Settings | None = None) -> str:
    """The member's relative path with `.` and empty components dropped, or a rejection."""
    settings = settings or Settings()
    if len(name.encode("utf-8", "surrogateescape")) > settings.max_path_bytes:
        raise PackageRejected(
            "bad-member-name", label, f"name longer than {settings.max_path_bytes} bytes", name
        )
    if any(ord(char) < 32 or ord(char) == 127 for char in name) or "\\" in name:
        raise PackageRejected(
            "bad-member-name", label, "control character or backslash in the name", name
        )
    if name.startswith("/") or re.match(r"[A-Za-z]:/", name):
        raise PackageRejected("absolute-path", label, "absolute path", name)
    parts = [part for part in name.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise PackageRejected(
            "path-traversal", label, "a '..' component would leave the release directory", name
        )
    if any(len(part.encode()) > NAME_MAX for part in parts):
        raise PackageRejected("bad-member-name", label, "name too long", name)
    if len(parts) > settings.max_depth + 1:
        raise PackageRejected(
            "too-deep",
            label,
            f"{len(parts) - 1} directories deep (the limit is {settings.max_depth})",
            name,
        )
    return "/".join(parts)


class Checker:
    """Admits members one by one, keeping the state that duplicates and limits need."""

    def __init__(self, label: str, settings: Settings, budget: Budget | None = None) -> None:
        self.label = label
        self.settings = settings
        self.budget = budget or Budget()
        self.files: set[str] = set()
        self.dirs: set[str] = set()  # explicit directory entries
        self.parents: set[str] = set()  # every directory that some member lies in

    def admit(self, entry: Entry) -> str:
        """The normalized path of an allowed member ("" for the root directory itself)."""
        label, name = self.label, entry.name
        self.budget.files += 1
        if self.budget.files > self.settings.max_files:
            raise PackageRejected(
                "too-many-files",
                label,
                f"more than {self.settings.max_files} members",
                name,
            )
        path = normalize_name(name, label, self.settings)
        if entry.kind in (Kind.SYMLINK, Kind.HARDLINK):
            raise PackageRejected(
                "link",
                label,
                f"{entry.kind.value} to {entry.link!r}; links are not accepted",
                name,
            )
        if entry.kind is Kind.DEVICE:
            raise PackageRejected("device", label, "device, FIFO or socket", name)
        if entry.kind is Kind.OTHER:
            raise PackageRejected("bad-type", label, "neither a file nor a directory", name)
        if not path:
            if entry.kind is Kind.FILE:
                raise PackageRejected("bad-member-name", label, "a file without a name", name)
            return path
        parts = path.split("/")
        for depth in range(1, len(parts)):
            parent = "/".join(parts[:depth])
            if parent in self.files:
                raise PackageRejected("duplicate", label, f"lies below the file {parent!r}", name)
            self.parents.add(parent)
        if path in self.files or (
            entry.kind is Kind.FILE and (path in self.parents or path in self.dirs)
        ):
            raise PackageRejected("duplicate", label, "a second member with this path", name)
        if entry.kind is Kind.DIR:
            if path in self.dirs:
                raise PackageRejected("duplicate", label, "a second member with this path", name)
            self.dirs.add(path)
            return path
        self.files.add(path)
        self.budget.declared += entry.size
        if self.budget.declared > self.settings.max_total_bytes:
            raise PackageRejected(
                "too-large",
                label,
                f"declared sizes exceed the limit of {self.settings.max_total_bytes} bytes",
                name,
            )
        return path


def write_file(target: Path, chunks: Iterable[bytes]) -> None:
    """Write a new file (never an existing one, never through a link)."""
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, FILE_MODE)
    with os.fdopen(fd, "wb") as out:
        os.fchmod(out.fileno(), FILE_MODE)
        for chunk in chunks:
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())


def _discard(target: Path, chunks: Iterable[bytes]) -> None:
    for _ in chunks:
        pass


def extract(
    source: BinaryIO,
    fmt: str,
    label: str,
    dest: Path | None,
    settings: Settings,
    keep_head: Callable[[str], int] = lambda path: 0,
) -> Extraction:
    """Check every member of an open archive and write it below `dest` (or only hash it),
    opening the inner archives too (see the module's docstring).

    `label` names the archive in rejections; `keep_head(path)` says how many leading bytes of a
    file to keep in its record (`path` is `INNER!/MEMBER` inside an inner archive). Raises
    PackageRejected for the package's faults; OSError from writing below dest propagates.
    """
    result = Extraction()
    _Level(label, settings, keep_head, Budget(), result).walk(source, fmt, dest, "", 0)
    return result


class _Level:
    """Walks one archive and, recursively, the archives inside it."""

    def __init__(
        self,
        label: str,
        settings: Settings,
        keep_head: Callable[[str], int],
        budget: Budget,
        result: Extraction,
    ) -> None:
        self.label = label
        self.settings = settings
        self.keep_head = keep_head
        self.budget = budget
        self.result = result

    def walk(self, source: BinaryIO, fmt: str, dest: Path | None, prefix: str, depth: int) -> None:
        settings = self.settings
        reader = open_reader(
            source, fmt, self.label, max(0, settings.max_files - self.budget.files)
        )
        try:
            if isinstance(reader, ZipReader):
                # The whole central directory is known: check names, kinds and limits first.
                precheck = Checker(self.label, settings, self.budget.copy())
                for entry in reader.entries():
                    precheck.admit(entry)
            self._members(reader, dest, prefix, depth)
        finally:
            reader.close()

    def _members(self, reader: Reader, dest: Path | None, prefix: str, depth: int) -> None:
        checker = Checker(reader.label, self.settings, self.budget)
        tally = _Tally(reader, self.settings, self.budget)
        for entry in reader.entries():
            path = checker.admit(entry)
            if entry.kind is Kind.DIR:
                if path and not prefix:
                    self.result.dirs.add(path)
                    if dest is not None:
                        _make_dirs(dest, path)
                continue
            fmt = archive_format(path)
            if fmt is not None and depth + 1 > self.settings.max_nesting:
                raise PackageRejected(
                    "too-nested",
                    self.label,
                    f"an archive nested {depth + 1} levels deep (the limit, max_nesting, "
                    f"is {self.settings.max_nesting})",
                    prefix + path,
                )
            buffer = bytearray() if fmt is not None else None
            chunks = tally.stream(entry, self.keep_head(prefix + path), buffer)
            if prefix or dest is None:
                _discard(Path(path), chunks)
            else:
                if "/" in path:
                    _make_dirs(dest, path.rsplit("/", 1)[0])
                write_file(dest / path, chunks)
            record = FileRecord(tally.size, tally.digest.hexdigest(), bytes(tally.head))
            (self.result.inner if prefix else self.result.files)[prefix + path] = record
            if buffer is not None and fmt is not None:
                self._inner(bytes(buffer), fmt, prefix + path, depth + 1)

    def _inner(self, data: bytes, fmt: str, path: str, depth: int) -> None:
        self.result.archives.append(path)
        try:
            self.walk(io.BytesIO(data), fmt, None, path + INNER_SEP, depth)
        except PackageRejected as exc:
            member = exc.member or ""
            if not member.startswith(path + INNER_SEP):
                member = path if not member else f"{path}{INNER_SEP}{member}"
            raise PackageRejected(exc.rule, exc.file, exc.detail, member) from None


class _Tally:
    """Counts, hashes and keeps the head of one member's bytes as they stream past."""

    def __init__(self, reader: Reader, settings: Settings, budget: Budget) -> None:
        self.reader = reader
        self.limit = settings.max_total_bytes
        self.inner_limit = settings.max_inner_archive_bytes
        self.budget = budget  # bytes of the whole package so far, every level

    def stream(
        self, entry: Entry, head_limit: int, keep: bytearray | None = None
    ) -> Iterator[bytes]:
        """The member's chunks; `keep`: also collect them all (an inner archive, to read)."""
        self.size = 0
        self.digest = hashlib.sha256()
        self.head = bytearray()
        for chunk in self.reader.chunks(entry):
            self.size += len(chunk)
            self.budget.produced += len(chunk)
            if self.budget.produced > self.limit:
                raise PackageRejected(
                    "too-large",
                    self.reader.label,
                    f"uncompressed data exceeds the limit of {self.limit} bytes",
                    entry.name,
                )
            self.digest.update(chunk)
            if len(self.head) < head_limit:
                self.head.extend(chunk[: head_limit - len(self.head)])
            if keep is not None:
                if self.size > self.inner_limit:
                    raise PackageRejected(
                        "too-large",
                        self.reader.label,
                        f"an inner archive larger than {self.inner_limit} bytes "
                        "(max_inner_archive_bytes)",
                        entry.name,
                    )
                keep.extend(chunk)
            yield chunk


def _make_dirs(dest: Path, path: str) -> None:
    current = dest
    for part in path.split("/"):
        current = current / part
        try:
            os.mkdir(current, DIR_MODE)
        except FileExistsError:
            continue
        os.chmod(current, DIR_MODE)
