"""Helpers for the package tests: crafted archives with a correct sidecar."""

from __future__ import annotations

import gzip
import hashlib
import io
import struct
import tarfile
import zipfile
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from difusor.package.generate import results_csv
from difusor.package.layout import (
    Settings,
    archive_name,
    cut_id,
    metadata_document,
    sha256_line,
)

TZ = ZoneInfo("America/Mexico_City")
CUT = datetime(2024, 6, 2, 20, 15, tzinfo=TZ)
LATER = datetime(2024, 6, 2, 20, 30, tzinfo=TZ)
AFTER_WINDOW = datetime(2024, 6, 2, 21, 0, tzinfo=TZ)
# The test packages are synthetic: accepted outside drill mode here (never on a real difusor).
SETTINGS = Settings(accept_synthetic=True)


def served_csv(cut: datetime = CUT, election: str = "GUB", entity: str = "VER") -> str:
    """Where a generated state package holds an election's results CSV."""
    return f"{cut_id(cut)}_PREP_{election}_{entity}/{entity}_{election}_2024.csv"


def base_files(csv_cut: datetime = CUT, meta_cut: datetime = CUT) -> dict[str, bytes]:
    """A small valid package content (no manifest)."""
    csv_bytes, _ = results_csv(csv_cut, 3, SETTINGS)
    return {
        "GUB_2024.csv": csv_bytes,
        "metadata.json": metadata_document(meta_cut, synthetic=True).encode(),
        "index.html": b"<!DOCTYPE html><title>PREP</title><p>Corte 02/06/2024 20:15</p>\n",
    }


def reseal(archive: Path) -> Path:
    """Write a sidecar that matches the archive as it is now."""
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    archive.with_name(archive.name + ".sha256").write_text(sha256_line(digest, archive.name))
    return archive


def make_zip(
    directory: Path,
    members: list[tuple[zipfile.ZipInfo | str, bytes]] = (),
    *,
    name: str | None = None,
    base: dict[str, bytes] | None = None,
) -> Path:
    """A sealed zip: the base files (default: a valid package), then the crafted members."""
    Path(directory).mkdir(parents=True, exist_ok=True)
    path = Path(directory) / (name or archive_name(CUT, "zip"))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, data in (base if base is not None else base_files()).items():
            archive.writestr(member, data)
        for info, data in members:
            archive.writestr(info, data)
    return reseal(path)


def tar_member(name: str, data: bytes = b"", kind: bytes = tarfile.REGTYPE, link: str = ""):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    info.linkname = link
    info.mode = 0o644
    return info, (data if kind == tarfile.REGTYPE else None)


def make_tar(
    directory: Path,
    members: list[tuple[tarfile.TarInfo, bytes | None]] = (),
    *,
    name: str | None = None,
    base: dict[str, bytes] | None = None,
) -> Path:
    Path(directory).mkdir(parents=True, exist_ok=True)
    path = Path(directory) / (name or archive_name(CUT, "tar.gz"))
    with tarfile.open(
        path, "w:gz", format=tarfile.GNU_FORMAT, encoding="utf-8", errors="surrogateescape"
    ) as archive:
        for member, data in (base if base is not None else base_files()).items():
            info, payload = tar_member(member, data)
            archive.addfile(info, io.BytesIO(payload))
        for info, data in members:
            archive.addfile(info, None if data is None else io.BytesIO(data))
    return reseal(path)


def replace_bytes(archive: Path, old: bytes, new: bytes) -> Path:
    data = archive.read_bytes()
    assert old in data, old
    archive.write_bytes(data.replace(old, new))
    return reseal(archive)


def zip_central_entries(archive: Path) -> dict[str, int]:
    """Offset of each central directory header, by member name."""
    with zipfile.ZipFile(archive) as handle:
        position = handle.start_dir
    data = archive.read_bytes()
    offsets = {}
    while data[position : position + 4] == b"PK\x01\x02":
        name_length, extra_length, comment_length = struct.unpack_from("<3H", data, position + 28)
        name = data[position + 46 : position + 46 + name_length].decode("utf-8")
        offsets[name] = position
        position += 46 + name_length + extra_length + comment_length
    return offsets


def patch_zip(archive: Path, member: str, **fields: int) -> Path:
    """Overwrite `file_size` and/or `header_offset` of a member in its headers."""
    data = bytearray(archive.read_bytes())
    central = zip_central_entries(archive)[member]
    with zipfile.ZipFile(archive) as handle:
        local = handle.getinfo(member).header_offset
    if "file_size" in fields:
        struct.pack_into("<L", data, central + 24, fields["file_size"])
        struct.pack_into("<L", data, local + 22, fields["file_size"])
    if "header_offset" in fields:
        struct.pack_into("<L", data, central + 42, fields["header_offset"])
    archive.write_bytes(bytes(data))
    return reseal(archive)


def repack(archive: Path, change) -> Path:
    """Rebuild a zip or tar.gz with `change(files)` applied to its {path: bytes}; resealed."""
    if archive.name.endswith(".zip"):
        with zipfile.ZipFile(archive) as handle:
            files = {name: handle.read(name) for name in handle.namelist()}
    else:
        with tarfile.open(archive, "r:gz") as handle:
            files = {
                member.name: handle.extractfile(member).read() for member in handle.getmembers()
            }
    files = change(dict(files))
    archive.unlink()
    if archive.name.endswith(".zip"):
        return make_zip(archive.parent, name=archive.name, base=files)
    return make_tar(archive.parent, name=archive.name, base=files)


# --- raw tar headers (for archives that tarfile would not write) -------------------------------


def tar_header(name: bytes, size: int = 0, kind: bytes = b"0", mode: int = 0o644) -> bytes:
    """One 512-byte ustar header (GNU magic) with a correct checksum."""
    header = bytearray(512)
    header[0 : len(name[:100])] = name[:100]
    header[100:108] = b"%07o\0" % mode
    header[108:116] = b"0000000\0"
    header[116:124] = b"0000000\0"
    header[124:136] = b"%011o\0" % size if size < 8**11 else b"\x80" + size.to_bytes(11, "big")
    header[136:148] = b"00000000000\0"
    header[156:157] = kind
    header[257:265] = b"ustar  \0"
    header[148:156] = b" " * 8
    header[148:156] = b"%06o\0 " % sum(header)
    return bytes(header)


def tar_blocks(name: bytes, data: bytes = b"", kind: bytes = b"0") -> bytes:
    """A header and its data, padded to whole blocks."""
    return tar_header(name, len(data), kind) + data + bytes(-len(data) % 512)


def raw_tar_gz(directory: Path, body: bytes, *, name: str | None = None) -> Path:
    """A sealed tar.gz of the base files followed by `body` (raw blocks) and the end blocks."""
    Path(directory).mkdir(parents=True, exist_ok=True)
    path = Path(directory) / (name or archive_name(CUT, "tar.gz"))
    base = b"".join(tar_blocks(member.encode(), data) for member, data in base_files().items())
    path.write_bytes(gzip.compress(base + body + bytes(1024), mtime=0))
    return reseal(path)
