"""Precompressed copies of text assets (NAME.gz, and NAME.br when brotli is importable).

A web server serves them as they are (nginx gzip_static / brotli_static), so no CPU is spent
compressing on election night. A package that ships its own NAME.gz or NAME.br beside NAME is
refused by verification (`precompressed-sibling`), so every copy here is made from the file it
sits beside. Files are compressed as streams (bounded memory, whatever their size) and the tree
is walked without recursion.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import zlib
from pathlib import Path
from types import ModuleType

from difusor.package.extract import FILE_MODE
from difusor.package.fsutil import walk
from difusor.package.layout import Settings

brotli: ModuleType | None
try:  # optional: not in the standard library
    import brotli  # type: ignore[no-redef]
except ImportError:  # pragma: no cover - depends on the host
    brotli = None

CHUNK = 256 * 1024
# A content hash in the name (`main.3f2a9c1e.js`): role prep_web's nginx.conf serves such names
# immutable for a year; here they are compressed harder, once.
HASHED_NAME = re.compile(r"\.[0-9a-f]{8,}\.[A-Za-z0-9]+$")


class _Gzip:
    """A gzip stream written by zlib itself (mtime 0: the same bytes for the same file)."""

    def __init__(self, level: int) -> None:
        self._deflate = zlib.compressobj(level, zlib.DEFLATED, 16 + zlib.MAX_WBITS)

    def process(self, data: bytes) -> bytes:
        return self._deflate.compress(data)

    def finish(self) -> bytes:
        return self._deflate.flush()


class _Brotli:
    def __init__(self, quality: int) -> None:
        assert brotli is not None
        self._compressor = brotli.Compressor(quality=quality)
        # Google's bindings call it process(), brotlipy compress().
        self._process = getattr(self._compressor, "process", None) or self._compressor.compress

    def process(self, data: bytes) -> bytes:
        return self._process(data)

    def finish(self) -> bytes:
        return self._compressor.finish()


def _write_new(path: Path, data: bytes) -> None:
    """Write a whole new file (kept for callers that have the bytes already)."""
    _stream_to(path, iter([data]))


def _stream_to(path: Path, chunks) -> int:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, FILE_MODE)
    written = 0
    try:
        with os.fdopen(fd, "wb") as out:
            os.fchmod(out.fileno(), FILE_MODE)
            for chunk in chunks:
                out.write(chunk)
                written += len(chunk)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(path)
        raise
    return written


def _compressed(source: Path, encoder) -> tuple[Path, int]:
    """The file compressed into a temporary name beside it; (that name, its size)."""
    temporary = source.with_name(f".{source.name}.{secrets.token_hex(4)}.tmp")

    def chunks():
        fd = os.open(source, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(fd, "rb") as handle:
            while data := handle.read(CHUNK):
                if packed := encoder.process(data):
                    yield packed
        yield encoder.finish()

    return temporary, _stream_to(temporary, chunks())


def precompress_tree(tree: Path, settings: Settings | None = None) -> list[Path]:
    """Write NAME.gz (and NAME.br) beside each text asset of the tree; returns what it wrote."""
    settings = settings or Settings()
    suffixes = tuple(suffix.lower() for suffix in settings.precompress_suffixes)
    tree = Path(tree)
    written = []
    candidates = [
        tree / relative
        for relative, entry in walk(tree)
        if entry.name.lower().endswith(suffixes) and entry.is_file(follow_symlinks=False)
    ]
    for path in candidates:
        size = os.lstat(path).st_size
        if size < settings.precompress_min_bytes:
            continue
        hashed = HASHED_NAME.search(path.name) is not None
        level = settings.gzip_level_hashed if hashed else settings.gzip_level
        quality = settings.brotli_quality_hashed if hashed else settings.brotli_quality
        encoders = [(".gz", lambda level=level: _Gzip(level))]
        if brotli is not None:
            encoders.append((".br", lambda quality=quality: _Brotli(quality)))
        for suffix, make in encoders:
            target = path.with_name(path.name + suffix)
            if os.path.lexists(target):
                continue
            temporary, packed = _compressed(path, make())
            if packed < size:
                # The copy's validators are its source's (nginx's ETag: mtime and size).
                mtime_ns = os.lstat(path).st_mtime_ns
                os.utime(temporary, ns=(mtime_ns, mtime_ns), follow_symlinks=False)
                os.rename(temporary, target)
                written.append(target)
            else:
                os.unlink(temporary)
    return written
