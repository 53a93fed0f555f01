"""Verification of a results package: sidecar, safe extraction, manifest, cut agreement, the
served files (an index page, no precompressed sibling that would shadow a file).

The format in force is the settings' preset (`presets`; under `auto`, chosen by the archive
name). Inner archives are opened by `extract` under the same rules; here their names must match
`inner_archive_pattern` and carry the outer name's cut, and so must line 2 of every results CSV,
served or inside an inner archive. A rejection names what the file had and, through `hints`,
the preset or setting that would accept it.

Everything is read from one snapshot of the archive (`arrival.take`): hashing and extraction see
the same bytes, whatever a writer does to the arrival meanwhile.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from difusor.package import arrival
from difusor.package.errors import PackageRejected, shown
from difusor.package.extract import INNER_SEP, Extraction, FileRecord, extract
from difusor.package.hints import listed, preset_hint
from difusor.package.layout import (
    Settings,
    cut_id,
    format_csv_cut,
    parse_archive_name,
    parse_csv_cut,
    parse_cut_arg,
    parse_cut_id,
    parse_sha256_lines,
    sidecar_path,
)

CSV_HEAD_BYTES = 64 * 1024  # enough for the 7-line header block
MAX_SIDECAR_BYTES = 64 * 1024
MAX_JSON_DEPTH = 64  # nesting of the metadata file (json.loads recurses once per level)
PRECOMPRESSED = (".gz", ".br")
_END = "\ue000"  # a private-use character: marks where a cut head ends


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
    preset: str = ""  # the format in force (a name of presets.PRESETS)
    inner_archives: tuple[str, ...] = ()


def check_sidecar(
    archive: Path, digest: str, settings: Settings, sidecar: bytes | None = None
) -> str:
    """The archive's SHA-256 (of its snapshot) once it matches the sidecar's. `sidecar` is its
    content when the caller read it already (ingest); else it is read beside the archive."""
    label = shown(archive.name)
    path = sidecar_path(archive, settings)
    name = shown(path.name)
    if sidecar is None:
        try:
            sidecar, _ = arrival.read_small(path, MAX_SIDECAR_BYTES, "sidecar-invalid")
        except PackageRejected as exc:
            if exc.rule == "unreadable" and exc.detail == "no such file":
                raise PackageRejected("sidecar-missing", label, f"no {name} beside it") from None
            raise
        except arrival.StillWriting as exc:
            raise PackageRejected("unreadable", name, str(exc)) from None
    if len(sidecar) > MAX_SIDECAR_BYTES:
        raise PackageRejected("sidecar-invalid", name, "too large for a checksum file")
    try:
        pairs = parse_sha256_lines(sidecar.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise PackageRejected("unreadable", name, str(exc)) from None
    except ValueError as exc:
        raise PackageRejected("sidecar-invalid", name, str(exc)) from None
    wanted = archive.name
    named = [digest for digest, listed in pairs if Path(listed).name == wanted]
    if len(pairs) == 1 and not named:
        raise PackageRejected(
            "sidecar-invalid", name, f"names '{shown(pairs[0][1])}', not '{label}'"
        )
    if len(named) != 1:
        raise PackageRejected("sidecar-invalid", name, f"no single line for '{label}'")
    if digest != named[0]:
        raise PackageRejected(
            "sidecar-mismatch", label, f"SHA-256 is {digest}, {name} says {named[0]}"
        )
    return digest


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


def csv_records(head: bytes, whole: bool, settings: Settings, count: int) -> list[list[str]]:
    """The first `count` records of a CSV from its first bytes, as a CSV reader sees them (a
    quoted newline belongs to its field; only \\r and \\n end a record). `whole` says the
    head is the whole file; otherwise a multi-byte character that the cut splits is left out,
    and so is the last record, which the cut may have shortened. UnicodeDecodeError for bytes
    that are not in the encoding."""
    decoder = codecs.getincrementaldecoder(settings.csv_encoding)(errors="strict")
    text = decoder.decode(head, final=whole)
    if not whole:
        # A marker after the text tells whether the head ends on a record boundary (the marker
        # is then a record of its own) or inside a record (which may be cut short: left out).
        text += _END
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=settings.csv_delimiter)
    records = []
    try:
        for record in reader:
            records.append(record)
            if len(records) > count:
                break
    except csv.Error:
        pass  # malformed: only the complete records before it count
    if not whole and len(records) <= count and records:
        records.pop()  # the marker's own record, or the one it completed by mistake
    return records[:count]


def csv_cut(
    label: str, path: str, head: bytes, settings: Settings, whole: bool | None = None
) -> datetime:
    """The cut on record 2 of a results CSV, after checking its header block. `whole`: the
    head is the whole file (default: when it is shorter than CSV_HEAD_BYTES)."""
    needed = max(
        settings.csv_election_line,
        settings.csv_cut_line,
        settings.csv_summary_header_line,
        settings.csv_rows_header_line,
    )
    if whole is None:
        whole = len(head) < CSV_HEAD_BYTES
    try:
        lines = csv_records(head, whole, settings, needed)
    except UnicodeDecodeError as exc:
        raise PackageRejected(
            "bad-csv", label, f"not {settings.csv_encoding}: {exc}", path
        ) from None
    except LookupError as exc:
        raise PackageRejected("bad-csv", label, f"unknown encoding: {exc}", path) from None
    if len(lines) < needed:
        where = "" if whole else f" in its first {len(head)} bytes"
        raise PackageRejected("bad-csv", label, f"fewer than {needed} records{where}", path)

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
            f"'{format_csv_cut(settings.publish_from, settings)}': '{shown(text)}'",
            path,
        ) from None


def checked_csv_cut(
    label: str, path: str, head: bytes, settings: Settings, whole: bool | None = None
) -> datetime:
    """`csv_cut`, with a rejection saying which preset reads this header block."""
    try:
        return csv_cut(label, path, head, settings, whole)
    except PackageRejected as exc:
        hint = preset_hint(
            settings,
            lambda other: bool(csv_cut(label, path, head, other, whole)),
            "the csv_* settings",
        )
        raise PackageRejected(exc.rule, exc.file, exc.detail + hint, exc.member) from None


def metadata_of(label: str, head: bytes, settings: Settings) -> tuple[datetime, dict[str, Any]]:
    name = settings.metadata_name
    if len(head) > settings.max_metadata_bytes:
        raise PackageRejected("bad-metadata", label, "larger than the limit", name)
    try:
        text = head.decode("utf-8")
        depth = json_depth(text)
        if depth > MAX_JSON_DEPTH:
            raise ValueError(f"nested {depth} levels deep (the limit is {MAX_JSON_DEPTH})")
        data = json.loads(text)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
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


def json_depth(text: str) -> int:
    """How deep arrays and objects nest in JSON text (strings skipped), counted without
    recursion, so that a metadata file nested 100,000 deep is refused before it is parsed."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _format_cut(cut: datetime, settings: Settings) -> str:
    try:
        return format_csv_cut(cut, settings)
    except (OverflowError, ValueError):
        return cut.isoformat()


def check_served(label: str, extraction: Extraction, settings: Settings) -> None:
    """What the web server would serve beyond the files themselves: a shipped NAME.gz or
    NAME.br beside NAME is refused (nginx gives it to the clients that accept that encoding, so
    they could get other bytes than the rest; the difusor writes its own copies of NAME), and the
    site must have its index page."""
    for path in sorted(extraction.files):
        base, dot, suffix = path.rpartition(".")
        if dot and f".{suffix}" in PRECOMPRESSED and base in extraction.files:
            raise PackageRejected(
                "precompressed-sibling",
                label,
                f"ships a .{suffix} copy of '{shown(base)}': the difusor writes its own "
                "precompressed copies of every text file; send the file alone",
                path,
            )
    if settings.index_name and settings.index_name not in extraction.files:
        raise PackageRejected(
            "no-index",
            label,
            f"no {settings.index_name} at the top of the package: the site would show the "
            "waiting page",
        )


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
                f"{source} says {_format_cut(cut, settings)}, the archive name {expected}",
                path,
            )

    metadata = None
    record = extraction.files.get(settings.metadata_name)
    if record is not None:
        cut, metadata = metadata_of(label, record.head, settings)
        agree(cut, "the metadata", settings.metadata_name)
    elif settings.require_metadata:
        raise PackageRejected("bad-metadata", label, f"no {settings.metadata_name}")
    for path in extraction.archives:
        agree(inner_archive_cut(label, path, settings), "the inner archive's name", path)
    records = {**extraction.files, **extraction.inner}
    results = sorted(path for path in records if is_results_csv(path, settings))
    if not results and settings.require_results_csv:
        raise PackageRejected("no-results-csv", label, no_results_detail(records, settings))
    for path in results:
        record: FileRecord = records[path]
        whole = len(record.head) >= record.size
        agree(
            checked_csv_cut(label, path, record.head, settings, whole),
            f"line {settings.csv_cut_line}",
            path,
        )
    return tuple(results), metadata


def inner_archive_cut(label: str, path: str, settings: Settings) -> datetime:
    """The cut that an inner archive's base name carries (`inner_archive_pattern`)."""
    base = base_name(path)

    def cut_of(chosen: Settings) -> datetime:
        match = re.fullmatch(chosen.inner_archive_pattern, base)
        if not match:
            raise ValueError(f"the name does not match {chosen.inner_archive_pattern!r}")
        return parse_cut_id(match.group("cut"), chosen)

    try:
        return cut_of(settings)
    except (IndexError, ValueError) as exc:
        hint = preset_hint(settings, lambda other: bool(cut_of(other)), "inner_archive_pattern")
        raise PackageRejected("bad-name", label, f"an inner archive: {exc}{hint}", path) from None


def no_results_detail(records: dict[str, FileRecord], settings: Settings) -> str:
    """What a package without results CSVs has instead, and what would accept it."""
    detail = f"no file matches {settings.results_csv_pattern!r}"
    csvs = [path for path in records if path.lower().endswith(".csv")]
    if not csvs:
        return detail + "; the package has no .csv file at all"
    inside = " (inside inner archives)" if all(INNER_SEP in path for path in csvs) else ""
    hint = preset_hint(
        settings,
        lambda other: any(is_results_csv(path, other) for path in csvs),
        "results_csv_pattern",
    )
    return f"{detail}; the package has {listed(base_name(p) for p in csvs)}{inside}{hint}"


def base_name(path: str) -> str:
    return path.rsplit(INNER_SEP, 1)[-1].rsplit("/", 1)[-1]


def is_results_csv(path: str, settings: Settings) -> bool:
    return re.fullmatch(settings.results_csv_pattern, base_name(path)) is not None


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
    archive: Path,
    settings: Settings | None = None,
    *,
    dest: Path | None = None,
    snapshot: arrival.Snapshot | None = None,
    sidecar: bytes | None = None,
) -> Verified:
    """Check a package against every rule; with `dest`, leave its files there.

    `snapshot` is the archive's private copy when the caller took one (ingest does, to file it
    afterwards); otherwise one is taken here (beside `dest`, or in the temporary directory).
    Raises PackageRejected naming the file and the rule; OSError only from writing (the copy, or
    below dest).
    """
    return examine(archive, settings, dest=dest, snapshot=snapshot, sidecar=sidecar)[0]


def examine(
    archive: Path,
    settings: Settings | None = None,
    *,
    dest: Path | None = None,
    snapshot: arrival.Snapshot | None = None,
    sidecar: bytes | None = None,
) -> tuple[Verified, Extraction]:
    """`verify`, also returning what was read of every file (for `inspect`)."""
    archive = Path(archive)
    settings = (settings or Settings()).for_archive(archive.name)
    label = shown(archive.name)
    try:
        name = parse_archive_name(archive.name, settings)
    except ValueError as exc:
        hint = preset_hint(
            settings, lambda other: bool(parse_archive_name(archive.name, other)), "archive_pattern"
        )
        raise PackageRejected("bad-name", label, f"{exc}{hint}") from None
    own = snapshot is None
    if snapshot is None:
        try:
            snapshot = arrival.take(
                archive, settings.max_archive_bytes, None if dest is None else dest.parent
            )
        except arrival.StillWriting as exc:
            raise PackageRejected("unreadable", label, str(exc)) from None
    try:
        digest = check_sidecar(archive, snapshot.sha256, settings, sidecar)
        snapshot.file.seek(0)
        extraction = extract(
            snapshot.file, name.format, label, dest, settings, _keep_head(settings)
        )
    finally:
        if own:
            snapshot.close()
    manifest = check_manifest(label, extraction, settings)
    check_served(label, extraction, settings)
    results, metadata = check_cut(label, name.cut, extraction, settings)
    verified = Verified(
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
        preset=settings.preset,
        inner_archives=tuple(extraction.archives),
    )
    return verified, extraction
