"""Reading zip and tar.gz archives member by member, without trusting them.

The readers only decode: names (raw bytes, decoded as UTF-8 strictly), member kinds, declared
sizes and data. They never write anything; the policy (which names and kinds are allowed,
limits) lives in `extract`. Decoding problems become `PackageRejected` (truncated, corrupt,
unsupported...).

Both formats are parsed here, not by `zipfile` or `tarfile`, so that what a hostile archive can
make the reader do is bounded before any of it happens:
- zip: the end record's entry count is checked against the file-count limit before the central
  directory is read, entries are counted while it is read, and a name longer than the path limit
  is refused before it is decoded; members are inflated here, so a member producing more bytes
  than its header declares is caught (`too-large`) instead of being cut short;
- tar.gz: one 512-byte header at a time from the gzip stream; extended headers (GNU long names,
  pax) are refused beyond a size and a chain length before their data is read (tarfile reads
  a long name of any size into memory and recurses once per chained header); the behaviour is
  the same on every Python version, whatever tarfile's extraction filters do.
"""

from __future__ import annotations

import gzip
import itertools
import os
import stat
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from typing import BinaryIO, Protocol

from difusor.package.errors import PackageRejected

CHUNK = 256 * 1024
# Bytes that may follow the end of a tar inside its gzip stream (record padding, all zeros).
MAX_TAR_TRAILER = 1024 * 1024
# Longest member name (or link target) a reader decodes; the policy's own limit is lower.
MAX_NAME_BYTES = 4096
# Largest pax extended header, and most extended headers in a row before a member.
MAX_PAX_BYTES = 64 * 1024
MAX_EXTENDED_CHAIN = 8


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
    ref: object = None  # the reader's own handle


class Reader(Protocol):
    label: str

    def entries(self) -> Iterator[Entry]: ...

    def chunks(self, entry: Entry) -> Iterator[bytes]: ...

    def close(self) -> None: ...


def open_reader(source: BinaryIO, fmt: str, label: str, max_files: int = 50_000) -> Reader:
    """A reader over an open archive file (which the reader does not close)."""
    if fmt == "zip":
        return ZipReader(source, label, max_files)
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


def _decode_name(raw: bytes, label: str, what: str = "the name") -> str:
    if len(raw) > MAX_NAME_BYTES:
        raise PackageRejected(
            "bad-member-name", label, f"{what} is {len(raw)} bytes long", raw[:200]
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise PackageRejected(
            "bad-name-encoding", label, f"{what} is not valid UTF-8", raw
        ) from None


# --- zip --------------------------------------------------------------------------------------

_EOCD = struct.Struct("<4s4H2LH")  # end of central directory record
_EOCD_MAGIC = b"PK\x05\x06"
_Z64_LOCATOR = struct.Struct("<4sLQL")
_Z64_LOCATOR_MAGIC = b"PK\x06\x07"
_Z64_EOCD = struct.Struct("<4sQ2H2L4Q")
_Z64_EOCD_MAGIC = b"PK\x06\x06"
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")  # as in zipfile.structCentralDir
_CENTRAL_MAGIC = b"PK\x01\x02"
_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")  # as in zipfile.structFileHeader
_LOCAL_MAGIC = b"PK\x03\x04"
_ZIP_ENCRYPTED = 0x1
_STORED, _DEFLATED = 0, 8
_MAX_COMMENT = 0xFFFF


@dataclass(frozen=True)
class ZipMember:
    raw_name: bytes
    flag_bits: int
    compress_type: int
    crc: int
    compress_size: int
    file_size: int
    header_offset: int
    external_attr: int


class ZipReader:
    def __init__(self, source: BinaryIO, label: str, max_files: int = 50_000) -> None:
        self.label = label
        self._fp = source
        self._max_files = max_files
        self._size = source.seek(0, os.SEEK_END)
        source.seek(0)
        self._starts_like_zip = source.read(4) == _LOCAL_MAGIC
        self._members, self.start_dir = self._central_directory()
        self._check_layout()

    # The end records and the central directory.

    def _bad(self, detail: str, member: str | bytes | None = None) -> PackageRejected:
        return PackageRejected("corrupt", self.label, detail, member)

    def _read_at(self, offset: int, length: int) -> bytes:
        self._fp.seek(offset)
        return self._fp.read(length)

    def _end_record(self) -> tuple[int, tuple]:
        """(offset, fields) of the end of central directory record, which must end the file."""
        tail_start = max(0, self._size - _EOCD.size - _MAX_COMMENT)
        tail = self._read_at(tail_start, self._size - tail_start)
        position = tail.rfind(_EOCD_MAGIC)
        while position >= 0:
            if len(tail) - position >= _EOCD.size:
                fields = _EOCD.unpack_from(tail, position)
                if position + _EOCD.size + fields[7] == len(tail):
                    return tail_start + position, fields
            position = tail.rfind(_EOCD_MAGIC, 0, position)
        if self._starts_like_zip:
            raise PackageRejected(
                "truncated", self.label, "no zip central directory, the file ends early"
            )
        raise self._bad("not a readable zip archive (no end of central directory record)")

    def _central_directory(self) -> tuple[list[ZipMember], int]:
        end_offset, fields = self._end_record()
        _, disk, cd_disk, count_here, count, cd_size, cd_offset, _ = fields
        directory_end = end_offset
        if 0xFFFF in (count_here, count) or 0xFFFFFFFF in (cd_size, cd_offset):
            locator = self._read_at(end_offset - _Z64_LOCATOR.size, _Z64_LOCATOR.size)
            if end_offset < _Z64_LOCATOR.size or locator[:4] != _Z64_LOCATOR_MAGIC:
                raise self._bad("zip64 end record announced but not found")
            _, _, z64_offset, disks = _Z64_LOCATOR.unpack(locator)
            record = self._read_at(z64_offset, _Z64_EOCD.size)
            if disks > 1 or len(record) < _Z64_EOCD.size or record[:4] != _Z64_EOCD_MAGIC:
                raise self._bad("bad zip64 end record")
            z64 = _Z64_EOCD.unpack(record)
            disk, cd_disk, count_here, count, cd_size, cd_offset = z64[4:10]
            directory_end = z64_offset
        if disk or cd_disk:
            raise PackageRejected("unsupported", self.label, "a zip split over several disks")
        if count_here != count:
            raise self._bad("the end record's entry counts disagree")
        if count > self._max_files:
            raise PackageRejected(
                "too-many-files",
                self.label,
                f"the central directory declares {count} entries, more than {self._max_files}",
            )
        if cd_offset + cd_size != directory_end:
            raise self._bad("the central directory is not where the end record says")
        members = []
        self._fp.seek(cd_offset)
        left = cd_size
        while left > 0:
            if len(members) >= min(count, self._max_files):
                detail = "more central directory entries than the end record declares"
                if count >= self._max_files:
                    raise PackageRejected("too-many-files", self.label, detail)
                raise self._bad(detail)
            header = self._fp.read(_CENTRAL.size)
            if len(header) < _CENTRAL.size or header[:4] != _CENTRAL_MAGIC:
                raise self._bad("bad central directory entry")
            entry = _CENTRAL.unpack(header)
            name_length, extra_length, comment_length = entry[12], entry[13], entry[14]
            if name_length > MAX_NAME_BYTES:
                raise PackageRejected(
                    "bad-member-name",
                    self.label,
                    f"a name of {name_length} bytes",
                    self._fp.read(200),
                )
            raw_name = self._fp.read(name_length)
            extra = self._fp.read(extra_length)
            self._fp.seek(comment_length, os.SEEK_CUR)
            left -= _CENTRAL.size + name_length + extra_length + comment_length
            if len(raw_name) < name_length or len(extra) < extra_length or left < 0:
                raise self._bad("central directory entry cut short", raw_name)
            members.append(self._member(entry, raw_name, extra))
        if len(members) != count:
            raise self._bad(f"{len(members)} central directory entries where {count} are declared")
        return members, cd_offset

    def _member(self, entry: tuple, raw_name: bytes, extra: bytes) -> ZipMember:
        file_size, compress_size, header_offset = entry[11], entry[10], entry[18]
        if 0xFFFFFFFF in (file_size, compress_size, header_offset):
            values = self._zip64_extra(extra, raw_name)
            if file_size == 0xFFFFFFFF:
                file_size = next(values)
            if compress_size == 0xFFFFFFFF:
                compress_size = next(values)
            if header_offset == 0xFFFFFFFF:
                header_offset = next(values)
        return ZipMember(
            raw_name=raw_name,
            flag_bits=entry[5],
            compress_type=entry[6],
            crc=entry[9],
            compress_size=compress_size,
            file_size=file_size,
            header_offset=header_offset,
            external_attr=entry[17],
        )

    def _zip64_extra(self, extra: bytes, raw_name: bytes) -> Iterator[int]:
        position = 0
        while position + 4 <= len(extra):
            header_id, length = struct.unpack_from("<2H", extra, position)
            data = extra[position + 4 : position + 4 + length]
            if len(data) < length:
                break
            if header_id == 0x0001:
                for index in range(0, len(data) - 7, 8):
                    yield struct.unpack_from("<Q", data, index)[0]
                break
            position += 4 + length
        raise self._bad("zip64 sizes announced but missing", raw_name)

    def _check_layout(self) -> None:
        """Entries must not share or overlap their data (Fifield's overlapping zip bombs)."""
        spans = sorted(
            (
                member.header_offset,
                member.header_offset
                + _LOCAL_HEADER.size
                + len(member.raw_name)
                + member.compress_size,
                member.raw_name,
            )
            for member in self._members
        )
        for (_, end, name), (start, _, _) in itertools.pairwise(spans):
            if end > start:
                raise PackageRejected(
                    "overlapping-entries", self.label, "its data overlaps the next entry", name
                )
        if spans and spans[-1][1] > self.start_dir:
            raise PackageRejected(
                "overlapping-entries",
                self.label,
                "its data overlaps the central directory",
                spans[-1][2],
            )

    def entries(self) -> Iterator[Entry]:
        for member in self._members:
            name = _decode_name(member.raw_name, self.label)
            kind = kind_of_mode(member.external_attr >> 16, name.endswith("/"))
            yield Entry(name, kind, member.file_size, "", member)

    def chunks(self, entry: Entry) -> Iterator[bytes]:
        info = entry.ref
        assert isinstance(info, ZipMember)
        name = entry.name
        if info.flag_bits & _ZIP_ENCRYPTED:
            raise PackageRejected("unsupported", self.label, "encrypted member", name)
        if info.compress_type not in (_STORED, _DEFLATED):
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
        if self._fp.read(name_length) != info.raw_name:
            raise PackageRejected(
                "corrupt", self.label, "local header name differs from the central directory", name
            )
        self._fp.seek(extra_length, os.SEEK_CUR)
        inflate = zlib.decompressobj(-zlib.MAX_WBITS) if info.compress_type == _DEFLATED else None
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
        if crc != info.crc:
            raise PackageRejected("corrupt", self.label, "CRC-32 mismatch", name)

    def close(self) -> None:
        pass


# --- tar.gz -----------------------------------------------------------------------------------

BLOCK = 512
_ZERO_BLOCK = bytes(BLOCK)
_GZIP_ERRORS = (EOFError, zlib.error, gzip.BadGzipFile, OSError)
_REGULAR = (b"0", b"\0", b"7")
_KINDS = {
    b"5": Kind.DIR,
    b"1": Kind.HARDLINK,
    b"2": Kind.SYMLINK,
    b"3": Kind.DEVICE,
    b"4": Kind.DEVICE,
    b"6": Kind.DEVICE,
}
_EXTENDED = (b"L", b"K", b"x", b"g")


@dataclass(frozen=True)
class TarMember:
    size: int  # bytes of data that follow the header


def _nul_terminated(field: bytes) -> bytes:
    end = field.find(b"\0")
    return field if end < 0 else field[:end]


class TarReader:
    def __init__(self, source: BinaryIO, label: str) -> None:
        self.label = label
        self._gz = gzip.GzipFile(fileobj=source, mode="rb")
        self._data_left = 0  # of the current member, not read yet
        self._padding = 0
        self._current: Entry | None = None

    # Reading the gzip stream.

    def _rejection(self, exc: BaseException, member: str | None = None) -> PackageRejected:
        text = str(exc) or type(exc).__name__
        if isinstance(exc, EOFError) or "ended before" in text or "unexpected end" in text:
            return PackageRejected(
                "truncated", self.label, f"the archive ends early ({text})", member
            )
        return PackageRejected("corrupt", self.label, f"not a readable tar.gz ({text})", member)

    def _read(self, size: int) -> bytes:
        try:
            return self._gz.read(size)
        except _GZIP_ERRORS as exc:
            raise self._rejection(exc) from None

    def _read_exact(self, size: int, what: str, member: str | None = None) -> bytes:
        data = self._read(size)
        while len(data) < size:
            more = self._read(size - len(data))
            if not more:
                raise PackageRejected(
                    "truncated", self.label, f"the archive ends inside {what}", member
                )
            data += more
        return data

    def _skip(self, size: int) -> None:
        while size > 0:
            data = self._read(min(CHUNK, size))
            if not data:
                raise PackageRejected("truncated", self.label, "the archive ends inside a member")
            size -= len(data)

    def _finish_member(self) -> None:
        self._skip(self._data_left + self._padding)
        self._data_left = self._padding = 0
        self._current = None

    # Headers.

    def _number(self, field: bytes, what: str) -> int:
        if field[:1] in (b"\x80", b"\xff"):  # GNU base-256
            value = int.from_bytes(field[1:], "big")
            if field[0] == 0xFF:
                value -= 256 ** (len(field) - 1)
        else:
            text = _nul_terminated(field).strip(b" \0")
            try:
                value = int(text, 8) if text else 0
            except ValueError:
                raise self._bad(f"bad {what} field in a header") from None
        if value < 0:
            raise self._bad(f"negative {what} in a header")
        return value

    def _bad(self, detail: str, member: str | bytes | None = None) -> PackageRejected:
        return PackageRejected("corrupt", self.label, detail, member)

    def _header(self) -> bytes | None:
        """The next header block, or None at the end-of-archive block."""
        block = self._read(BLOCK)
        if len(block) < BLOCK:
            block += self._read_exact(BLOCK - len(block), "a header") if block else b""
        if not block:
            raise PackageRejected(
                "truncated", self.label, "the tar ends without its end-of-archive blocks"
            )
        if block == _ZERO_BLOCK:
            return None
        stored = self._number(block[148:156], "checksum")
        unsigned = sum(block[:148]) + 8 * 32 + sum(block[156:])
        signed = unsigned - 256 * sum(1 for byte in block[:148] + block[156:] if byte > 127)
        if stored not in (unsigned, signed):
            raise self._bad("a header fails its checksum")
        return block

    def _extended_data(self, block: bytes, limit: int, what: str) -> bytes:
        size = self._number(block[124:136], "size")
        if size > limit:
            raise PackageRejected(
                "bad-member-name" if what != "pax" else "corrupt",
                self.label,
                f"a {what} header of {size} bytes (the limit is {limit})",
            )
        data = self._read_exact(size, f"a {what} header")
        self._skip(-size % BLOCK)
        return data

    def _pax(self, data: bytes) -> dict[bytes, bytes]:
        records: dict[bytes, bytes] = {}
        position = 0
        while position < len(data):
            space = data.find(b" ", position, position + 20)
            try:
                length = int(data[position:space]) if space > position else 0
            except ValueError:
                length = 0
            end = position + length
            if length <= space - position + 1 or end > len(data) or data[end - 1 : end] != b"\n":
                raise self._bad("a malformed pax header")
            key, equals, value = data[space + 1 : end - 1].partition(b"=")
            if not equals:
                raise self._bad("a malformed pax header")
            records[key] = value
            position = end
        return records

    def _next(self) -> Entry | None:
        long_name = long_link = None
        pax: dict[bytes, bytes] = {}
        for _ in range(MAX_EXTENDED_CHAIN + 1):
            block = self._header()
            if block is None:
                if long_name is not None or long_link is not None or pax:
                    raise self._bad("an extended header without its member")
                return None
            kind_flag = block[156:157]
            if kind_flag not in _EXTENDED:
                break
            if kind_flag == b"L":
                long_name = _nul_terminated(self._extended_data(block, MAX_NAME_BYTES, "long name"))
            elif kind_flag == b"K":
                long_link = _nul_terminated(self._extended_data(block, MAX_NAME_BYTES, "long link"))
            else:
                records = self._pax(self._extended_data(block, MAX_PAX_BYTES, "pax"))
                if kind_flag == b"g":
                    if records.keys() & {b"path", b"linkpath", b"size"}:
                        raise PackageRejected(
                            "unsupported", self.label, "a global pax header that sets names"
                        )
                    continue
                if any(key.startswith(b"GNU.sparse") for key in records):
                    raise PackageRejected("unsupported", self.label, "a sparse member")
                pax.update(records)
        else:
            raise self._bad(f"more than {MAX_EXTENDED_CHAIN} extended headers in a row")
        magic = block[257:265]
        raw_name = _nul_terminated(block[0:100])
        if magic[:6] == b"ustar\0":  # POSIX ustar: a prefix may hold the leading directories
            prefix = _nul_terminated(block[345:500])
            if prefix:
                raw_name = prefix + b"/" + raw_name
        if long_name is not None:
            raw_name = long_name
        raw_name = pax.get(b"path", raw_name)
        raw_link = pax.get(b"linkpath", long_link if long_link is not None else b"")
        if raw_link == b"":
            raw_link = _nul_terminated(block[157:257])
        size = self._number(block[124:136], "size")
        if b"size" in pax:
            text = pax[b"size"]
            if not text.isdigit() or len(text) > 20:
                raise self._bad("a bad size in a pax header", raw_name)
            size = int(text)
        name = _decode_name(raw_name, self.label)
        link = raw_link.decode("utf-8", "backslashreplace")[:MAX_NAME_BYTES]
        if kind_flag in _REGULAR:
            kind = Kind.DIR if kind_flag == b"\0" and name.endswith("/") else Kind.FILE
        else:
            kind = _KINDS.get(kind_flag, Kind.OTHER)
        data = size if kind in (Kind.FILE, Kind.OTHER) else 0
        if kind is Kind.DIR and size:
            raise self._bad("a directory member with data", name)
        self._data_left, self._padding = data, -data % BLOCK
        return Entry(name, kind, size if kind is Kind.FILE else 0, link, TarMember(data))

    def entries(self) -> Iterator[Entry]:
        while True:
            self._finish_member()
            entry = self._next()
            if entry is None:
                break
            self._current = entry
            yield entry
        self._check_trailer()

    def _check_trailer(self) -> None:
        """Read the gzip stream to its end: checks its CRC, and nothing hides after the tar."""
        left = MAX_TAR_TRAILER
        while chunk := self._read(min(CHUNK, left + 1)):
            left -= len(chunk)
            if left < 0 or chunk.count(0) != len(chunk):
                raise PackageRejected(
                    "corrupt", self.label, "data after the end of the tar archive"
                )

    def chunks(self, entry: Entry) -> Iterator[bytes]:
        if entry is not self._current:
            raise ValueError("tar members are read in order, each before the next")
        while self._data_left > 0:
            data = self._read(min(CHUNK, self._data_left))
            if not data:
                raise PackageRejected(
                    "truncated", self.label, "the archive ends inside a member", entry.name
                )
            self._data_left -= len(data)
            yield data

    def close(self) -> None:
        self._gz.close()
