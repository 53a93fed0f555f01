"""The results package format, in one place: names, cut times, sidecar, CSV header block.

The electoral body defines the real format only after registration, so everything that may
change lives in `Settings` (defaults follow the public INE/OPLE PREP packages of 2018-2024).
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from difusor import call
from difusor.errors import DifusorError
from difusor.package import presets

TIMEZONE = call.TIMEZONE
CUT_ID_FORMAT = "%Y%m%d_%H%M"  # also the name of a release directory
CUT_ID_RE = re.compile(r"\d{8}_\d{4}")
FROM_PRESET: Any = None  # the default of a format field: its preset's value
SHA256_LINE_RE = re.compile(r"([0-9a-fA-F]{64}) [ *](.+)")
# The ISO 8601 times that datetime.fromisoformat reads alike on Python 3.10 to 3.13 (3.11 also
# reads compact and other forms, 3.10 does not), plus a final Z for UTC.
_ISO_TIME_RE = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[ T]\d{2}(?::\d{2}(?::\d{2}(?:\.\d{3}(?:\d{3})?)?)?)?"
    r"(?:Z|[+-]\d{2}:\d{2})?)?"
)


@dataclass(frozen=True)
class Settings:
    """Everything about the package format and publishing that may change."""

    timezone: str = TIMEZONE
    # The named format (`presets`): it gives every field marked FROM_PRESET below a value; a
    # field set explicitly overrides it. `auto` picks state or INE PREP by the archive name.
    preset: str = presets.AUTO
    # The archive name carries the cut time (group `cut`, CUT_ID_FORMAT); full match.
    archive_pattern: str = FROM_PRESET
    # Archives inside the package (opened and checked like the outer one; served as shipped):
    # their base name carries the same cut; how deep they may nest, and the largest one read.
    inner_archive_pattern: str = FROM_PRESET
    max_nesting: int = 2
    max_inner_archive_bytes: int = 256 * 1024**2
    sidecar_suffix: str = ".sha256"
    manifest_name: str = "MANIFEST.sha256"
    require_manifest: bool = False
    metadata_name: str = "metadata.json"
    metadata_cut_key: str = "cut"
    require_metadata: bool = False
    # Results CSVs (base name, full match) carry the header block; catalogs do not.
    results_csv_pattern: str = FROM_PRESET
    require_results_csv: bool = True
    csv_encoding: str = FROM_PRESET
    csv_delimiter: str = FROM_PRESET
    csv_election_line: int = FROM_PRESET
    csv_cut_line: int = FROM_PRESET
    csv_summary_header_line: int = FROM_PRESET
    csv_summary_values_line: int = FROM_PRESET
    csv_rows_header_line: int = FROM_PRESET
    csv_summary_first_column: str = FROM_PRESET  # "" to skip the check
    csv_rows_first_column: str = FROM_PRESET  # "" to skip the check
    csv_cut_format: str = "%d/%m/%Y %H:%M"  # followed by " (UTC-6)"
    # The top page of the site ("" to skip the check): without it the site shows the waiting page.
    index_name: str = "index.html"
    # Limits of a package (the archive's size is checked before a byte of it is read).
    max_archive_bytes: int = 1024**3
    max_files: int = 50_000
    max_total_bytes: int = 1024**3
    max_depth: int = 32  # directories a member may lie in
    max_path_bytes: int = 1024  # of a member's path
    max_manifest_bytes: int = 16 * 1024**2
    max_metadata_bytes: int = 1024**2
    # Publishing.
    keep_releases: int = 8
    # Outside drill mode, a cut more than this far ahead of the server's clock is refused
    # (`future-cut`): a mistyped date must not freeze the site on a cut no real one can follow.
    max_cut_ahead_min: int = 10
    # Outside drill mode a package whose metadata says `synthetic: true` is refused; a test or
    # demo set-up (never a real difusor) may accept them.
    accept_synthetic: bool = False
    # The publication window (VI.a); on a host, the host's facts give it
    # (hostfacts.package_settings).
    publish_from: datetime = call.PUBLISH_FROM
    # The last results stay online at least until then (VI.a): nothing may take the site down.
    keep_until: datetime = call.KEEP_UNTIL
    precompress_suffixes: tuple[str, ...] = (
        ".html",
        ".htm",
        ".css",
        ".js",
        ".json",
        ".csv",
        ".svg",
        ".txt",
        ".xml",
    )
    precompress_min_bytes: int = 128
    gzip_level: int = 6
    brotli_quality: int = 5
    # Files whose name carries a content hash (main.3f2a9c1e.js) never change, so their copies are
    # made once a night (later cuts take them over: carryover.py): they are compressed harder.
    gzip_level_hashed: int = 9
    brotli_quality_hashed: int = 9
    # (field, value) of the format fields that came from the preset, so that a copy with
    # another preset (dataclasses.replace) takes that preset's values and keeps the overrides.
    _from_preset: tuple[tuple[str, Any], ...] = dataclasses.field(
        default=(), repr=False, compare=False
    )

    def __post_init__(self) -> None:
        inherited = dict(self._from_preset)
        chosen = presets.values(self.preset)  # DifusorError naming the known presets
        filled = []
        for name in presets.FORMAT_FIELDS:
            value = getattr(self, name)
            if value is FROM_PRESET or (name in inherited and inherited[name] == value):
                object.__setattr__(self, name, chosen[name])
                filled.append((name, chosen[name]))
        object.__setattr__(self, "_from_preset", tuple(filled))

    def for_archive(self, name: str) -> Settings:
        """The settings in force for the archive `name`: under `auto`, those of the first
        candidate preset whose archive pattern matches the name (the first one if none does)."""
        if self.preset != presets.AUTO:
            return self
        options = [dataclasses.replace(self, preset=one) for one in presets.candidates(self.preset)]
        return next((s for s in options if re.fullmatch(s.archive_pattern, name)), options[0])

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> Settings:
        """Settings from a mapping (a YAML/JSON file); unknown keys and bad types are errors."""
        fields = {f.name: f for f in dataclasses.fields(cls) if not f.name.startswith("_")}
        unknown = sorted(set(data) - set(fields))
        if unknown:
            raise DifusorError(f"unknown package settings: {', '.join(unknown)}")
        defaults = cls()
        values: dict[str, Any] = {}
        for key, value in data.items():
            default = getattr(defaults, key)
            if key in ("publish_from", "keep_until"):
                tz = ZoneInfo(str(data.get("timezone", defaults.timezone)))
                try:
                    values[key] = parse_cut_arg(str(value), tz)
                except ValueError as exc:
                    raise DifusorError(f"package setting {key}: {exc}") from None
            elif isinstance(default, tuple):
                if not isinstance(value, list | tuple):
                    raise DifusorError(f"package setting {key} must be a list")
                values[key] = tuple(str(item) for item in value)
            elif isinstance(default, bool) or isinstance(value, bool):
                if not isinstance(value, bool) or not isinstance(default, bool):
                    raise DifusorError(f"package setting {key} must be a {type(default).__name__}")
                values[key] = value
            elif not isinstance(value, type(default)):
                raise DifusorError(f"package setting {key} must be a {type(default).__name__}")
            else:
                values[key] = value
        return dataclasses.replace(defaults, **values)


def load_settings(path: Path, base: dict[str, Any] | None = None) -> Settings:
    """Settings from a YAML (or JSON) file holding a mapping of Settings fields, over `base`."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise DifusorError(f"cannot read package settings {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise DifusorError(f"package settings {path} must be a mapping")
    return Settings.from_mapping({**(base or {}), **data})


# --- cut times --------------------------------------------------------------------------------


def cut_id(cut: datetime, settings: Settings | None = None) -> str:
    """`YYYYMMDD_HHMM` in Tiempo del Centro: the archive prefix and the release directory."""
    return cut.astimezone((settings or Settings()).tz).strftime(CUT_ID_FORMAT)


def representable(moment: datetime, tz: ZoneInfo | None = None) -> datetime:
    """The moment, once it is known to convert to UTC and to Tiempo del Centro (a year-1 or
    year-9999 time with an offset does not: OverflowError); ValueError otherwise."""
    try:
        moment.astimezone(timezone.utc)
        moment.astimezone(tz or ZoneInfo(TIMEZONE))
    except (OverflowError, ValueError):
        raise ValueError(f"time out of range: {moment.isoformat()}") from None
    return moment


def parse_cut_id(text: str, settings: Settings | None = None) -> datetime:
    if not CUT_ID_RE.fullmatch(text):
        raise ValueError(f"not a cut id (YYYYMMDD_HHMM): {text!r}")
    tz = (settings or Settings()).tz
    return representable(datetime.strptime(text, CUT_ID_FORMAT).replace(tzinfo=tz), tz)


def parse_cut_arg(text: str, tz: ZoneInfo | None = None) -> datetime:
    """A cut given by a person: `YYYY-MM-DD HH:MM` (local), ISO 8601, or `YYYYMMDD_HHMM`."""
    tz = tz or ZoneInfo(TIMEZONE)
    text = text.strip()
    if CUT_ID_RE.fullmatch(text):
        return datetime.strptime(text, CUT_ID_FORMAT).replace(tzinfo=tz)
    try:
        if not _ISO_TIME_RE.fullmatch(text):
            raise ValueError
        moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    except ValueError:
        raise ValueError(f"not a cut time (YYYY-MM-DD HH:MM): {text!r}") from None
    return moment.replace(tzinfo=tz) if moment.tzinfo is None else moment


def format_offset(moment: datetime) -> str:
    """`UTC-6`, `UTC+5:30`: the offset as the CSV line 2 writes it."""
    offset = moment.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def format_csv_cut(cut: datetime, settings: Settings | None = None) -> str:
    """The cut as CSV line 2 writes it: `02/06/2024 20:15 (UTC-6)`."""
    settings = settings or Settings()
    local = cut.astimezone(settings.tz)
    return f"{local.strftime(settings.csv_cut_format)} ({format_offset(local)})"


_OFFSET_RE = re.compile(r"(.*\S)\s*\(UTC(?:([+-])(\d{1,2})(?::?(\d{2}))?)?\)")


def parse_csv_cut(text: str, settings: Settings | None = None) -> datetime:
    """The cut from CSV line 2 (`02/06/2024 20:15 (UTC-6)`); without offset, local time."""
    settings = settings or Settings()
    text = text.strip().strip('"').strip()
    match = _OFFSET_RE.fullmatch(text)
    stamp = match.group(1) if match else text
    moment = datetime.strptime(stamp, settings.csv_cut_format)
    if not match:
        return representable(moment.replace(tzinfo=settings.tz), settings.tz)
    sign, hours, minutes = match.group(2), match.group(3), match.group(4)
    offset = timedelta(hours=int(hours or 0), minutes=int(minutes or 0))
    if offset >= timedelta(hours=24):
        raise ValueError(f"offset out of range: {text[:80]!r}")
    return representable(
        moment.replace(tzinfo=timezone(-offset if sign == "-" else offset)), settings.tz
    )


# --- archive names and sha256sum files ---------------------------------------------------------


@dataclass(frozen=True)
class ArchiveName:
    cut: datetime
    format: str  # "zip" or "tar.gz"


def parse_archive_name(name: str, settings: Settings | None = None) -> ArchiveName:
    """The cut time and the format that an archive name carries; ValueError when it has none."""
    settings = (settings or Settings()).for_archive(name)
    match = re.fullmatch(settings.archive_pattern, name)
    if not match:
        raise ValueError(f"the name does not match {settings.archive_pattern!r}")
    if name.endswith(".zip"):
        fmt = "zip"
    elif name.endswith((".tar.gz", ".tgz")):
        fmt = "tar.gz"
    else:
        raise ValueError("the name ends neither in .zip nor in .tar.gz")
    try:
        cut = parse_cut_id(match.group("cut"), settings)
    except (IndexError, ValueError) as exc:
        raise ValueError(f"no valid cut time in the name: {exc}") from None
    return ArchiveName(cut, fmt)


def archive_name(
    cut: datetime, fmt: str = "zip", label: str = "VER", settings: Settings | None = None
) -> str:
    """`20240602_2015_PREP_VER.zip`: the name a state package of this cut gets."""
    if fmt not in ("zip", "tar.gz"):
        raise ValueError(f"unknown archive format {fmt!r}")
    return f"{cut_id(cut, settings)}_PREP_{label}.{fmt}"


def sidecar_path(archive: Path, settings: Settings | None = None) -> Path:
    archive = Path(archive)
    return archive.with_name(archive.name + (settings or Settings()).sidecar_suffix)


def sha256_line(digest: str, name: str) -> str:
    """One line in sha256sum format (text mode: two spaces)."""
    return f"{digest}  {name}\n"


def parse_sha256_lines(text: str) -> list[tuple[str, str]]:
    """(digest, name) pairs of a sha256sum file; ValueError naming the first bad line."""
    pairs = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = SHA256_LINE_RE.fullmatch(line.rstrip("\r"))
        if not match:
            raise ValueError(f"line {number} is not '<sha256>  <name>'")
        pairs.append((match.group(1).lower(), match.group(2)))
    return pairs


def metadata_document(
    cut: datetime, *, synthetic: bool, settings: Settings | None = None, **extra: Any
) -> str:
    """The metadata file: the cut (ISO 8601 with offset) and whether the data is synthetic."""
    settings = settings or Settings()
    local = cut.astimezone(settings.tz)
    data = {
        settings.metadata_cut_key: local.isoformat(timespec="minutes"),
        "cut_id": cut_id(local, settings),
        "timezone": settings.timezone,
        "synthetic": synthetic,
        **extra,
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
