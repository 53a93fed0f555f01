"""Precompressed copies of text assets (NAME.gz, and NAME.br when brotli is importable).

A web server serves them as they are (nginx gzip_static / brotli_static), so no CPU is spent
compressing on election night. A file the package already ships as NAME.gz is left alone.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path
from types import ModuleType

from difusor.package.extract import FILE_MODE
from difusor.package.layout import Settings

brotli: ModuleType | None
try:  # optional: not in the standard library
    import brotli  # type: ignore[no-redef]
except ImportError:  # pragma: no cover - depends on the host
    brotli = None


def _write_new(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, FILE_MODE)
    with os.fdopen(fd, "wb") as out:
        os.fchmod(out.fileno(), FILE_MODE)
        out.write(data)


def precompress_tree(tree: Path, settings: Settings | None = None) -> list[Path]:
    """Write NAME.gz (and NAME.br) beside each text asset of the tree; returns what it wrote."""
    settings = settings or Settings()
    suffixes = tuple(suffix.lower() for suffix in settings.precompress_suffixes)
    written = []
    for path in sorted(Path(tree).rglob("*")):
        if not path.name.lower().endswith(suffixes) or not path.is_file() or path.is_symlink():
            continue
        data = path.read_bytes()
        if len(data) < settings.precompress_min_bytes:
            continue
        encoders = [(".gz", lambda d: gzip.compress(d, settings.gzip_level, mtime=0))]
        if brotli is not None:
            quality = settings.brotli_quality
            encoders.append((".br", lambda d, q=quality: brotli.compress(d, quality=q)))
        for suffix, encode in encoders:
            target = path.with_name(path.name + suffix)
            if target.exists():
                continue
            packed = encode(data)
            if len(packed) < len(data):
                _write_new(target, packed)
                written.append(target)
    return written
