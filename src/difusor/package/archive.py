"""Reading zip and tar.gz archives member by member, without trusting them.

The readers only decode: names (as UTF-8, strictly), member kinds, declared sizes and data.
They never write anything; the policy (which names and kinds are allowed, limits) lives in
`extract`. Decoding problems become `PackageRejected` (truncated, corrupt, unsupported...).
Zip members are inflated here, not by `zipfile`, so that a member producing more bytes than its
header declares is caught (`too-large`) instead of being cut short.
"""

from __future__ import annotations

import gzip
import itertools
import stat
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from typing import BinaryIO, Protocol

from difusor.package.errors import PackageRejected

CHUNK = 256 * 1024
# Bytes that may follow the end of a tar inside its gzip stream (record padding).
MAX_TAR_TRAILER = 1024 * 1024


class Kind(Enum):
    FILE = "file"
    DIR = "directory"
    SYMLINK = "symbolic link"
    HARDLINK = "hard link"
    DEVICE = "device"
    OTHER = "other"


@dataclass(frozen=True)
class Entry:
    name: str  # as stored, decoded as UTF-8 (not normalized)
    kind: Kind
    size: int  # declared uncompressed size
    link: str = ""
    ref: object = None  # the reader's own handle (ZipInfo, TarInfo)


class Reader(Protocol):
    label: str

    def entries(self) -> Iterator[Entry]: ...

    def chunks(self, entry: Entry) -> Iterator[bytes]: ...

    def close(self) -> None: ...


def open_reader(source: BinaryIO, fmt: str, label: str) -> Reader:
    """A reader over an open archive file (which the reader does not close)."""
    if fmt == "zip":
        return ZipReader(source, label)
    if fmt == "tar.gz":
        return TarReader(source, label)
    raise ValueError(f"unknown archive format {fmt!r}")


def kind_of_mode(mode: int, is_dir_name: bool) -> Kind:
    """The kind of a member from its Unix mode bits (0 when the creator did not set them)."""
    kind_bits = stat.S_IFMT(mode)
    if kind_bits == 0:
        return Kind.DIR if is_dir_name else Kind.FILE
    if stat.S_ISLNK(mode):
        return Kind.SYMLINK
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) or stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode):
        return Kind.DEVICE
    if stat.S_ISDIR(mode) or is_dir_name:
        return Kind.DIR
    if stat.S_ISREG(mode):
        return Kind.FILE
    return Kind.OTHER


# --- zip --------------------------------------------------------------------------------------

_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")  # as in zipfile.structFileHeader
_LOCAL_MAGIC = b"PK\x03\x04"
_ZIP_ENCRYPTED = 0x1
_ZIP_UTF8 = 0x800


class ZipReader:
    def __init__(self, source: BinaryIO, label: str) -> None:
        self.label = label
        self._fp = source
        try:
            self._zip = zipfile.ZipFile(self._fp)
        except UnicodeDecodeError:
            raise PackageRejected(
                "bad-name-encoding", label, "a member name flagged as UTF-8 is not valid UTF-8"
            ) from None
        except (zipfile.BadZipFile, NotImplementedError, ValueError, struct.error) as exc:
            self._fp.seek(0)
            starts_like_zip = self._fp.read(4) == _LOCAL_MAGIC
            if starts_like_zip and "not a zip file" in str(exc):
                raise PackageRejected(
                    "truncated", label, f"no zip central directory, the file ends early ({exc})"
                ) from None
            raise PackageRejected("corrupt", label, f"not a readable zip archive ({exc})") from None
        self._infos = self._zip.infolist()
        self._check_layout()

    def _raw_name(self, info: zipfile.ZipInfo) -> bytes:
        encoding = "utf-8" if info.flag_bits & _ZIP_UTF8 else "cp437"
        return info.orig_filename.encode(encoding)

    def _check_layout(self) -> None:
        """Entries must not share or overlap their data (Fifield's overlapping zip bombs)."""
        for info in self._infos:
            if info.header_offset < 0:
                raise PackageRejected(
                    "corrupt", self.label, "negative local header offset", info.orig_filename
                )
        spans = sorted(
            (
                info.header_offset,
                info.header_offset
                + _LOCAL_HEADER.size
                + len(self._raw_name(info))
                + info.compress_size,
                info.orig_filename,
            )
            for info in self._infos
        )
        for (_, end, name), (start, _, _) in itertools.pairwise(spans):
            if end > start:
                raise PackageRejected(
                    "overlapping-entries", self.label, "its data overlaps the next entry", name
                )
        if spans and spans[-1][1] > self._zip.start_dir:
            raise PackageRejected(
                "overlapping-entries",
                self.label,
                "its data overlaps the central directory",
                spans[-1][2],
            )

    def entries(self) -> Iterator[Entry]:
        for info in self._infos:
            raw = self._raw_name(info)
            try:
                name = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise PackageRejected(
                    "bad-name-encoding",
                    self.label,
                    "the name is not valid UTF-8",
                    raw.decode("utf-8", "backslashreplace"),
                ) from None
            kind = kind_of_mode(info.external_attr >> 16, name.endswith("/"))
            yield Entry(name, kind, info.file_size, "", info)

    def chunks(self, entry: Entry) -> Iterator[bytes]:
        info = entry.ref
        assert isinstance(info, zipfile.ZipInfo)
        name = entry.name
        if info.flag_bits & _ZIP_ENCRYPTED:
            raise PackageRejected("unsupported", self.label, "encrypted member", name)
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise PackageRejected(
                "unsupported", self.label, f"compression method {info.compress_type}", name
            )
        self._fp.seek(info.header_offset)
        header = self._fp.read(_LOCAL_HEADER.size)
        if len(header) < _LOCAL_HEADER.size:
            raise PackageRejected("truncated", self.label, "local header cut short", name)
        fields = _LOCAL_HEADER.unpack(header)
        if fields[0] != _LOCAL_MAGIC:
            raise PackageRejected("corrupt", self.label, "bad local header signature", name)
        name_length, extra_length = fields[10], fields[11]
        if self._fp.read(name_length) != self._raw_name(info):
            raise PackageRejected(
                "corrupt", self.label, "local header name differs from the central directory", name
            )
        self._fp.seek(extra_length, 1)
        inflate = (
            zlib.decompressobj(-zlib.MAX_WBITS)
            if info.compress_type == zipfile.ZIP_DEFLATED
            else None
        )
        remaining, produced, crc = info.compress_size, 0, 0

        def account(data: bytes) -> bytes:
            nonlocal produced, crc
            produced += len(data)
            if produced > info.file_size:
                raise PackageRejected(
                    "too-large",
                    self.label,
                    f"inflates beyond its declared size of {info.file_size} bytes",
                    name,
                )
            crc = zlib.crc32(data, crc)
            return data

        while remaining:
            raw = self._fp.read(min(CHUNK, remaining))
            if not raw:
                raise PackageRejected("truncated", self.label, "data cut short", name)
            remaining -= len(raw)
            if inflate is None:
                yield account(raw)
                continue
            pending = raw
            while pending:
                try:
                    data = inflate.decompress(pending, CHUNK)
                except zlib.error as exc:
                    raise PackageRejected(
                        "corrupt", self.label, f"bad deflate data ({exc})", name
                    ) from None
                pending = inflate.unconsumed_tail
                if data:
                    yield account(data)
                if inflate.eof:
                    break
        if inflate is not None and not inflate.eof:
            raise PackageRejected("corrupt", self.label, "deflate stream does not end", name)
        if produced != info.file_size:
            raise PackageRejected(
                "corrupt",
                self.label,
                f"{produced} bytes where the header declares {info.file_size}",
                name,
            )
        if crc != info.CRC:
            raise PackageRejected("corrupt", self.label, "CRC-32 mismatch", name)

    def close(self) -> None:
        self._zip.close()


# --- tar.gz -----------------------------------------------------------------------------------

_TAR_ERRORS = (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile)


class TarReader:
    def __init__(self, source: BinaryIO, label: str) -> None:
        self.label = label
        try:
            self._tar = tarfile.open(  # noqa: SIM115 (closed by close())
                fileobj=source, mode="r:gz", encoding="utf-8", errors="surrogateescape"
            )
        except _TAR_ERRORS as exc:
            raise self._rejection(exc) from None

    def _rejection(self, exc: BaseException, member: str | None = None) -> PackageRejected:
        text = str(exc) or type(exc).__name__
        if isinstance(exc, EOFError) or "unexpected end" in text or "empty file" in text:
            return PackageRejected(
                "truncated", self.label, f"the archive ends early ({text})", member
            )
        return PackageRejected("corrupt", self.label, f"not a readable tar.gz ({text})", member)

    def entries(self) -> Iterator[Entry]:
        while True:
            try:
                info = self._tar.next()
            except _TAR_ERRORS as exc:
                raise self._rejection(exc) from None
            if info is None:
                break
            try:
                info.name.encode("utf-8")
            except UnicodeEncodeError:
                raise PackageRejected(
                    "bad-name-encoding",
                    self.label,
                    "the name is not valid UTF-8",
                    info.name.encode("utf-8", "surrogateescape").decode(
                        "utf-8", "backslashreplace"
                    ),
                ) from None
            if info.isreg():
                kind = Kind.FILE
            elif info.isdir():
                kind = Kind.DIR
            elif info.issym():
                kind = Kind.SYMLINK
            elif info.islnk():
                kind = Kind.HARDLINK
            elif info.ischr() or info.isblk() or info.isfifo():
                kind = Kind.DEVICE
            else:
                kind = Kind.OTHER
            yield Entry(info.name, kind, info.size, info.linkname, info)
        self._check_trailer()

    def _check_trailer(self) -> None:
        """Read the gzip stream to its end: checks its CRC, and nothing hides after the tar."""
        stream = self._tar.fileobj
        left = MAX_TAR_TRAILER
        try:
            while chunk := stream.read(min(CHUNK, left + 1)):
                left -= len(chunk)
                if left < 0:
                    raise PackageRejected(
                        "corrupt", self.label, "data after the end of the tar archive"
                    )
        except _TAR_ERRORS as exc:
            raise self._rejection(exc) from None

    def chunks(self, entry: Entry) -> Iterator[bytes]:
        info = entry.ref
        assert isinstance(info, tarfile.TarInfo)
        try:
            stream = self._tar.extractfile(info)
            if stream is None:
                return
            while chunk := stream.read(CHUNK):
                yield chunk
        except _TAR_ERRORS as exc:
            raise self._rejection(exc, entry.name) from None

    def close(self) -> None:
        self._tar.close()
