"""Poison arrivals for bench/publish.py's hostile mix: one of each kind that issue 13 found could
stop, freeze or fool the publisher, each left in the incoming directory the way a transfer
leaves it (final names, a sidecar that matches where the kind allows one).

Each maker writes into `incoming` and returns the kind's name; `index` keeps names apart.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import struct
import sys
import zipfile
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

# The tests' archive kit writes the raw tar headers that no library would write.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "unit"))
from package_kit import tar_blocks, tar_header

from difusor.package.generate import results_csv
from difusor.package.layout import Settings, cut_id, format_csv_cut, metadata_document

SETTINGS = Settings()
Maker = Callable[[Path, int, datetime], str]


def _seal(incoming: Path, name: bytes, data: bytes, sidecar: bool = True) -> None:
    """Write an archive and its sha256sum sidecar under a raw name: dot-name, then rename."""
    incoming.mkdir(parents=True, exist_ok=True)
    base = os.fsencode(incoming)
    files = [(name, data)]
    if sidecar:
        digest = hashlib.sha256(data).hexdigest().encode()
        files.append((name + b".sha256", digest + b"  " + name + b"\n"))
    for file_name, content in files:
        partial = os.path.join(base, b".partial-" + hashlib.sha256(file_name).hexdigest().encode())
        with open(partial, "wb") as out:
            out.write(content)
        os.replace(partial, os.path.join(base, file_name))


def _name(cut: datetime, index: int, fmt: str = "zip") -> bytes:
    return f"{cut_id(cut)}_PREP_P{index:02d}.{fmt}".encode()


def _files(cut: datetime) -> dict[str, bytes]:
    csv_bytes, _ = results_csv(cut, 3, SETTINGS)
    return {
        "GUB_2024.csv": csv_bytes,
        "metadata.json": metadata_document(cut, synthetic=True).encode(),
        "index.html": b"<!DOCTYPE html><title>poison</title>\n",
    }


def _zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


def long_name(incoming: Path, index: int, cut: datetime) -> str:
    """249 bytes: with `.sha256` over NAME_MAX (listing it raised ENAMETOOLONG)."""
    name = _name(cut, index)[:-4] + b"X" * (249 - len(_name(cut, index))) + b".zip"
    _seal(incoming, name, _zip(_files(cut)), sidecar=False)
    return "long name"


def not_utf8(incoming: Path, index: int, cut: datetime) -> str:
    _seal(incoming, _name(cut, index)[:-4] + b"\xff\xfe.zip", _zip(_files(cut)))
    return "name not UTF-8"


def newline_name(incoming: Path, index: int, cut: datetime) -> str:
    name = _name(cut, index)[:-4] + b"\npublished 20991231_2359_PREP.zip"
    _seal(incoming, name, _zip(_files(cut)))
    return "newline in name"


def deep_json(incoming: Path, index: int, cut: datetime) -> str:
    files = {**_files(cut), "metadata.json": b"[" * 100_000 + b"]" * 100_000}
    _seal(incoming, _name(cut, index), _zip(files))
    return "metadata 100,000 deep"


def year_one(incoming: Path, index: int, cut: datetime) -> str:
    files = _files(cut)
    files["GUB_2024.csv"] = files["GUB_2024.csv"].replace(
        format_csv_cut(cut).encode(), b"01/01/0001 00:00 (UTC+14)"
    )
    _seal(incoming, _name(cut, index), _zip(files))
    return "CSV cut in year 1"


def long_name_chain(incoming: Path, index: int, cut: datetime) -> str:
    body = b"".join(tar_blocks(name.encode(), data) for name, data in _files(cut).items())
    body += b"".join(tar_blocks(b"././@LongLink", b"x" * 50 + b"\0", b"L") for _ in range(3000))
    body += tar_blocks(b"short.txt", b"x") + bytes(1024)
    _seal(incoming, _name(cut, index, "tar.gz"), gzip.compress(body, mtime=0))
    return "3,000 chained long names"


def huge_name(incoming: Path, index: int, cut: datetime) -> str:
    """A long-name header announcing 400 MiB (the reader must refuse it at the header)."""
    body = tar_header(b"././@LongLink", 400 * 1024**2, b"L") + bytes(2 * 1024**2)
    _seal(incoming, _name(cut, index, "tar.gz"), gzip.compress(body, compresslevel=1, mtime=0))
    return "400 MiB member name"


def deep_member(incoming: Path, index: int, cut: datetime) -> str:
    files = {**_files(cut), "d/" * 1300 + "app.js": b"x" * 300}
    _seal(incoming, _name(cut, index), _zip(files))
    return "member 1,300 deep"


def many_entries(incoming: Path, index: int, cut: datetime) -> str:
    data = bytearray(_zip(_files(cut)))
    end = data.rindex(b"PK\x05\x06")
    struct.pack_into("<2H", data, end + 8, 400_000 & 0xFFFF, 400_000 & 0xFFFF)
    _seal(incoming, _name(cut, index), bytes(data))
    return "zip declaring 400,000 entries"


def sparse(incoming: Path, index: int, cut: datetime) -> str:
    """2 GiB without a block on disk (`rsync -S`): over the size limit, refused unread."""
    name = _name(cut, index)
    _seal(incoming, name, b"PK\x03\x04")
    path = os.path.join(os.fsencode(incoming), name)
    os.truncate(path, 2 * SETTINGS.max_archive_bytes)
    digest = b"0" * 64
    with open(path + b".sha256", "wb") as out:
        out.write(digest + b"  " + name + b"\n")
    return "sparse 2 GiB"


def future(incoming: Path, index: int, cut: datetime) -> str:
    typo = cut.replace(month=12)  # month mistyped
    _seal(incoming, _name(typo, index), _zip(_files(typo)))
    return "future cut (month typo)"


def gz_sibling(incoming: Path, index: int, cut: datetime) -> str:
    files = {**_files(cut), "GUB_2024.csv.gz": gzip.compress(b"the previous cut's data")}
    _seal(incoming, _name(cut, index), _zip(files))
    return "shipped .gz sibling"


def no_index(incoming: Path, index: int, cut: datetime) -> str:
    files = _files(cut)
    del files["index.html"]
    _seal(incoming, _name(cut, index), _zip(files))
    return "no index.html"


def link_and_fifo(incoming: Path, index: int, cut: datetime) -> str:
    incoming.mkdir(parents=True, exist_ok=True)
    name = os.fsdecode(_name(cut, index))
    os.symlink("/etc/shadow", incoming / name)
    os.mkfifo(incoming / (name + ".sha256"))
    return "symlink + FIFO sidecar"


def truncated(incoming: Path, index: int, cut: datetime) -> str:
    data = _zip(_files(cut))
    _seal(incoming, _name(cut, index), data)
    path = os.path.join(os.fsencode(incoming), _name(cut, index))
    os.truncate(path, len(data) - 40)
    return "truncated transfer"


def replayed(incoming: Path, index: int, cut: datetime) -> str:
    older = cut - timedelta(minutes=30)
    _seal(incoming, _name(older, index), _zip(_files(older)))
    return "replayed older cut"


KINDS: tuple[Maker, ...] = (
    long_name,
    not_utf8,
    deep_json,
    year_one,
    long_name_chain,
    deep_member,
    sparse,
    future,
    gz_sibling,
    no_index,
    link_and_fifo,
    truncated,
    huge_name,
    many_entries,
    replayed,
    newline_name,
)
