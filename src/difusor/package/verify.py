"""Verification of a results package: sidecar, safe extraction, manifest, cut agreement."""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from difusor.package.errors import PackageRejected
from difusor.package.extract import Extraction, extract
from difusor.package.layout import (
    Settings,
    cut_id,
    format_csv_cut,
    parse_archive_name,
    parse_csv_cut,
    parse_cut_arg,
    parse_sha256_lines,
    sidecar_path,
)

CSV_HEAD_BYTES = 64 * 1024  # enough for the 7-line header block
MAX_SIDECAR_BYTES = 64 * 1024


@dataclass(frozen=True)
class Verified:
    """A package that passed every rule."""

    archive: Path
    format: str
    cut: datetime
    cut_id: str
    sha256: str
    files: int
    total_bytes: int
    manifest: bool
    synthetic: bool
    results_csv: tuple[str, ...]


def sha256_of(handle: BinaryIO) -> str:
    digest = hashlib.sha256()
    handle.seek(0)
    while chunk := handle.read(1024 * 1024):
        digest.update(chunk)
    return digest.hexdigest()


def check_sidecar(archive: Path, handle: BinaryIO, settings: Settings) -> str:
    """The SHA-256 of the open archive once it matches the sidecar's."""
    label = archive.name
    sidecar = sidecar_path(archive, settings)
    try:
        with open(sidecar, "rb") as sidecar_file:
            raw = sidecar_file.read(MAX_SIDECAR_BYTES + 1)
        text = raw.decode("utf-8")
    except FileNotFoundError:
        raise PackageRejected("sidecar-missing", label, f"no {sidecar.name} beside it") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PackageRejected("unreadable", sidecar.name, str(exc)) from None
    if len(raw) > MAX_SIDECAR_BYTES:
        raise PackageRejected("sidecar-invalid", sidecar.name, "too large for a checksum file")
    try:
        pairs = parse_sha256_lines(text)
    except ValueError as exc:
        raise PackageRejected("sidecar-invalid", sidecar.name, str(exc)) from None
    named = [digest for digest, name in pairs if Path(name).name == label]
    if len(pairs) == 1 and not named:
        raise PackageRejected(
            "sidecar-invalid", sidecar.name, f"names {pairs[0][1]!r}, not {label!r}"
        )
    if len(named) != 1:
        raise PackageRejected("sidecar-invalid", sidecar.name, f"no single line for {label!r}")
    try:
        actual = sha256_of(handle)
    except OSError as exc:
        raise PackageRejected("unreadable", label, str(exc)) from None
    if actual != named[0]:
        raise PackageRejected(
            "sidecar-mismatch",
            label,
            f"SHA-256 is {actual}, {sidecar.name} says {named[0]}",
        )
    return actual


def check_manifest(label: str, extraction: Extraction, settings: Settings) -> bool:
    """True when a manifest is present and matches every file; False when there is none."""
    name = settings.manifest_name
    record = extraction.files.get(name)
    if record is None:
        if settings.require_manifest:
            raise PackageRejected("manifest-mismatch", label, f"no {name} in the package")
        return False
    if len(record.head) > settings.max_manifest_bytes:
        raise PackageRejected("manifest-invalid", label, "larger than the limit", name)
    try:
        pairs = parse_sha256_lines(record.head.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise PackageRejected("manifest-invalid", label, str(exc), name) from None
    listed: dict[str, str] = {}
    for digest, listed_name in pairs:
        path = listed_name[2:] if listed_name.startswith("./") else listed_name
        if path in listed:
            raise PackageRejected("manifest-invalid", label, f"{path!r} listed twice", name)
        listed[path] = digest
    present = {path: rec.sha256 for path, rec in extraction.files.items() if path != name}
    changed = sorted(
        path for path in listed.keys() & present.keys() if listed[path] != present[path]
    )
    missing = sorted(listed.keys() - present.keys())
    unlisted = sorted(present.keys() - listed.keys())
    problems = [
        f"{what}: {', '.join(repr(p) for p in paths[:5])}" + (" ..." if len(paths) > 5 else "")
        for what, paths in (
            ("changed", changed),
            ("missing from the archive", missing),
            ("not in the manifest", unlisted),
        )
        if paths
    ]
    if problems:
        first = (changed or missing or unlisted)[0]
        raise PackageRejected("manifest-mismatch", label, "; ".join(problems), first)
    return True


def _csv_lines(head: bytes, settings: Settings, count: int) -> list[list[str]]:
    text = head.decode(settings.csv_encoding, errors="strict")
    lines = text.splitlines()[:count]
    return [next(csv.reader([line], delimiter=settings.csv_delimiter), []) for line in lines]


def csv_cut(label: str, path: str, head: bytes, settings: Settings) -> datetime:
    """The cut on line 2 of a results CSV, after checking its header block."""
    needed = max(
        settings.csv_election_line,
        settings.csv_cut_line,
        settings.csv_summary_header_line,
        settings.csv_rows_header_line,
    )
    try:
        lines = _csv_lines(head, settings, needed)
    except UnicodeDecodeError as exc:
        raise PackageRejected(
            "bad-csv", label, f"not {settings.csv_encoding}: {exc}", path
        ) from None
    if len(lines) < needed:
        raise PackageRejected("bad-csv", label, f"fewer than {needed} lines", path)

    def first(line: int) -> str:
        cells = [cell.strip() for cell in lines[line - 1] if cell.strip()]
        return cells[0] if cells else ""

    if not first(settings.csv_election_line):
        raise PackageRejected(
            "bad-csv", label, f"no election name on line {settings.csv_election_line}", path
        )
    for line, column in (
        (settings.csv_summary_header_line, settings.csv_summary_first_column),
        (settings.csv_rows_header_line, settings.csv_rows_first_column),
    ):
        if column and first(line) != column:
            raise PackageRejected(
                "bad-csv", label, f"line {line} does not start with {column}", path
            )
    text = first(settings.csv_cut_line)
    try:
        return parse_csv_cut(text, settings)
    except ValueError:
        raise PackageRejected(
            "bad-csv",
            label,
            f"line {settings.csv_cut_line} is not a cut time like "
            f"{format_csv_cut(settings.publish_from, settings)!r}: {text!r}",
            path,
        ) from None


def metadata_of(label: str, head: bytes, settings: Settings) -> tuple[datetime, dict[str, Any]]:
    name = settings.metadata_name
    if len(head) > settings.max_metadata_bytes:
        raise PackageRejected("bad-metadata", label, "larger than the limit", name)
    try:
        data = json.loads(head.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise PackageRejected("bad-metadata", label, f"not JSON: {exc}", name) from None
    if not isinstance(data, dict) or not isinstance(data.get(settings.metadata_cut_key), str):
        raise PackageRejected(
            "bad-metadata", label, f"no {settings.metadata_cut_key!r} string", name
        )
    try:
        cut = parse_cut_arg(data[settings.metadata_cut_key], settings.tz)
    except ValueError as exc:
        raise PackageRejected("bad-metadata", label, str(exc), name) from None
    return cut, data


def check_cut(
    label: str, name_cut: datetime, extraction: Extraction, settings: Settings
) -> tuple[tuple[str, ...], dict[str, Any] | None]:
    """(results CSV paths, metadata or None) once every source agrees with the name's cut."""
    expected = format_csv_cut(name_cut, settings)

    def agree(cut: datetime, source: str, path: str) -> None:
        if cut != name_cut:
            raise PackageRejected(
                "cut-mismatch",
                label,
                f"{source} says {format_csv_cut(cut, settings)}, the archive name {expected}",
                path,
            )

    metadata = None
    record = extraction.files.get(settings.metadata_name)
    if record is not None:
        cut, metadata = metadata_of(label, record.head, settings)
        agree(cut, "the metadata", settings.metadata_name)
    elif settings.require_metadata:
        raise PackageRejected("bad-metadata", label, f"no {settings.metadata_name}")
    results = sorted(path for path in extraction.files if is_results_csv(path, settings))
    if not results and settings.require_results_csv:
        raise PackageRejected(
            "no-results-csv", label, f"no file matches {settings.results_csv_pattern!r}"
        )
    for path in results:
        agree(
            csv_cut(label, path, extraction.files[path].head, settings),
            f"line {settings.csv_cut_line}",
            path,
        )
    return tuple(results), metadata


def is_results_csv(path: str, settings: Settings) -> bool:
    return re.fullmatch(settings.results_csv_pattern, path.rsplit("/", 1)[-1]) is not None


def _keep_head(settings: Settings) -> Callable[[str], int]:
    """How many leading bytes of each file verification needs."""

    def keep_head(path: str) -> int:
        if path == settings.manifest_name:
            return settings.max_manifest_bytes + 1
        if path == settings.metadata_name:
            return settings.max_metadata_bytes + 1
        return CSV_HEAD_BYTES if is_results_csv(path, settings) else 0

    return keep_head


def verify(
    archive: Path, settings: Settings | None = None, *, dest: Path | None = None
) -> Verified:
    """Check a package against every rule; with `dest`, leave its files there.

    Raises PackageRejected naming the file and the rule; OSError only from writing below dest.
    """
    settings = settings or Settings()
    archive = Path(archive)
    label = archive.name
    if not archive.is_file():
        raise PackageRejected("unreadable", label, "no such file")
    try:
        name = parse_archive_name(label, settings)
    except ValueError as exc:
        raise PackageRejected("bad-name", label, str(exc)) from None
    try:
        handle = open(archive, "rb")  # noqa: SIM115 (closed below)
    except OSError as exc:
        raise PackageRejected("unreadable", label, str(exc)) from None
    with handle:
        # One open file for hashing and extracting: replacing the archive meanwhile has no
        # effect on what is verified.
        digest = check_sidecar(archive, handle, settings)
        handle.seek(0)
        extraction = extract(handle, name.format, label, dest, settings, _keep_head(settings))
    manifest = check_manifest(label, extraction, settings)
    results, metadata = check_cut(label, name.cut, extraction, settings)
    return Verified(
        archive=archive,
        format=name.format,
        cut=name.cut,
        cut_id=cut_id(name.cut, settings),
        sha256=digest,
        files=len(extraction.files),
        total_bytes=extraction.total_bytes,
        manifest=manifest,
        synthetic=bool(metadata and metadata.get("synthetic") is True),
        results_csv=results,
    )
