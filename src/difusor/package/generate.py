"""Synthetic results packages in the real layouts, for tests, drills and the demo.

The layouts are those of 2024 (`synthetic`: state PREP by default, INE's PREP, cómputos), with
the site (`site`: an Angular-shaped single-page application, its bundles and JSON data),
metadata.json and MANIFEST.sha256 at the top.
The same (cut, rows, format, layout, elections) always gives the same bytes. Which actas are
captured grows with the cut time (so consecutive cuts look like a real night); everything is
marked synthetic.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import tarfile
from datetime import datetime, timedelta
from pathlib import Path

from difusor import __version__, call
from difusor.package import site, synthetic
from difusor.package.layout import (
    Settings,
    cut_id,
    metadata_document,
    sha256_line,
    sidecar_path,
)

ENTITY_ID, ENTITY = 30, "VERACRUZ"
ELECTION, ELECTION_CODE, YEAR = "GUBERNATURA", "GUB", 2024
VERACRUZ_ACTAS = 11_000
NIGHT_START = call.PUBLISH_FROM  # progress is measured from here
NIGHT_HOURS = 20


def progress(cut: datetime, settings: Settings) -> float:
    """Share of actas captured at this cut: grows over the night; 30 % in drills before it."""
    start = NIGHT_START
    hours = (cut - start) / timedelta(hours=1)
    if hours < 0:
        return 0.3
    return min(1.0, 0.02 + 0.98 * hours / NIGHT_HOURS)


def results_csv(cut: datetime, rows: int, settings: Settings) -> tuple[bytes, dict]:
    """One governor's results CSV in the state layout, and its summary and vote totals."""
    table = synthetic.results_table(
        cut,
        rows,
        synthetic.Election(ELECTION_CODE, "VER"),
        "state",
        settings,
        progress(cut, settings),
    )
    return table.data, {"summary": table.summary, "votes": table.votes}


def package_files(
    cut: datetime,
    rows: int,
    settings: Settings,
    layout: str = "state",
    elections: tuple[synthetic.Election, ...] = (),
) -> dict[str, bytes]:
    """Every file of the package, by path, with the manifest last. `settings`: those of the
    layout's preset (synthetic.layout_settings)."""
    elections = elections or tuple(
        synthetic.Election(code, "VER" if layout == "state" else "NAC")
        for code in synthetic.DEFAULT_ELECTIONS[layout]
    )
    files, tables, link = synthetic.election_files(
        cut, rows, elections, layout, settings, progress(cut, settings)
    )
    files.update(
        {
            settings.metadata_name: metadata_document(
                cut,
                synthetic=True,
                settings=settings,
                generator=f"difusor {__version__}",
                layout=layout,
                elections=[election.code for election in elections],
                entity=elections[0].entity,
                actas=rows,
            ).encode(),
        }
    )
    files.update(site.site_files(cut, tables, elections, settings, link))
    manifest = "".join(
        sha256_line(hashlib.sha256(content).hexdigest(), path)
        for path, content in sorted(files.items())
    )
    files[settings.manifest_name] = manifest.encode()
    return files


def write_zip(target: Path, files: dict[str, bytes], cut: datetime, settings: Settings) -> None:
    target.write_bytes(synthetic.zip_bytes(files, cut, settings))


def write_tar_gz(target: Path, files: dict[str, bytes], cut: datetime) -> None:
    mtime = int(cut.timestamp())
    with (
        open(target, "wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=mtime, compresslevel=6) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as archive,
    ):
        for path in sorted(files):
            info = tarfile.TarInfo(path)
            info.size = len(files[path])
            info.mtime = mtime
            info.mode = 0o644
            archive.addfile(info, io.BytesIO(files[path]))


def generate(
    cut: datetime,
    out: Path,
    *,
    rows: int = 200,
    fmt: str = "zip",
    settings: Settings | None = None,
    layout: str = "state",
    elections: tuple[str, ...] = (),
    entity: str = "VER",
) -> Path:
    """Write ARCHIVE and ARCHIVE.sha256 into `out`; returns the archive's path. `layout`: one
    of synthetic.LAYOUTS (state, ine, computos); `elections`: their codes (default: the
    layout's own, GUB and DIP_LOC for a state); `entity`: the state's code (state layout)."""
    settings = synthetic.layout_settings(layout, settings or Settings())
    if rows < 1:
        raise ValueError("rows must be at least 1")
    chosen = tuple(
        synthetic.Election(code, entity if layout == "state" else "NAC")
        for code in elections or synthetic.DEFAULT_ELECTIONS[layout]
    )
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    target = out / f"{cut_id(cut, settings)}_{synthetic.label(layout, chosen)}.{fmt}"
    files = package_files(cut, rows, settings, layout, chosen)
    partial = target.with_name(f".{target.name}.partial")
    if fmt == "zip":
        write_zip(partial, files, cut, settings)
    else:
        write_tar_gz(partial, files, cut)
    digest = hashlib.sha256(partial.read_bytes()).hexdigest()
    sidecar = sidecar_path(target, settings)
    sidecar_partial = sidecar.with_name(f".{sidecar.name}.partial")
    sidecar_partial.write_text(sha256_line(digest, target.name), encoding="utf-8")
    os.replace(partial, target)
    os.replace(sidecar_partial, sidecar)
    return target
