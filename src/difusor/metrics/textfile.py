"""Files for node exporter's textfile collector, replaced whole (it reads every *.prom of its
directory at each scrape, and must never read half a file)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

PROM_NAME = "difusor.prom"  # the host's metrics (`difusor metrics write`)


def write_atomically(directory: Path, name: str, text: str) -> Path:
    """Replace DIRECTORY/NAME by `text` in one rename: the collector never reads half a file."""
    target = directory / name
    descriptor, temporary = tempfile.mkstemp(prefix=f".{name}.", dir=directory)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target
