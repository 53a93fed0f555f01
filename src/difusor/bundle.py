"""A deterministic tar.gz of the difusor package, for installing the library on a host.

The same source tree always gives the same bytes (sorted entries, zero times, root owner, no
caches), so Ansible's copy of the bundle changes only when the code does.
Usage: python -m difusor.bundle SRC_DIR OUT_FILE
"""

from __future__ import annotations

import gzip
import io
import sys
import tarfile
from pathlib import Path

SKIPPED = {"__pycache__"}


def bundle(source: Path, out: Path) -> Path:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        # The top directory too: left implicit, tar would make it with the host's umask (0027
        # on a hardened host: the publisher's account could not read the library).
        for path in [source, *sorted(source.rglob("*"))]:
            relative = path.relative_to(source.parent)
            if SKIPPED & set(relative.parts) or path.suffix == ".pyc":
                continue
            info = tar.gettarinfo(str(path), arcname=str(relative))
            info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "root", "root"
            info.mode = 0o755 if path.is_dir() else 0o644
            if path.is_file():
                with path.open("rb") as handle:
                    tar.addfile(info, handle)
            else:
                tar.addfile(info)
    data = gzip.compress(buffer.getvalue(), compresslevel=9, mtime=0)
    out.parent.mkdir(parents=True, exist_ok=True)
    if not out.exists() or out.read_bytes() != data:
        out.write_bytes(data)
    return out


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    print(bundle(Path(sys.argv[1]), Path(sys.argv[2])))
