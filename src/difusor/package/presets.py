"""Named presets of the package format: what differs between electoral bodies, by name.

A preset gives a value to every format field of `layout.Settings` (names, CSV encoding,
delimiter and header-block lines, inner archives); a field set explicitly in the settings file
overrides its preset. The layouts published in 2024 (public data):

- `state`: a state PREP (OPLE), `YYYYMMDD_HHMM_PREP_<ENT>.zip`; one folder per election
  `YYYYMMDD_HHMM_PREP_<ELECTION>_<ENT>/` holding `<ENT>_<ELECTION>_2024.csv` and its catalog
  `<ENT>_<ELECTION>_Candidaturas_2024.csv`; UTF-8 with BOM, `,`; line 1 the election, line 2
  the cut, line 4 the summary header, line 5 its values, line 7 the per-casilla header.
- `ine`: INE's federal PREP, `YYYYMMDD_HHMM_PREP.zip` holding one zip per election
  (`YYYYMMDD_HHMM_PREP_PRES.zip` -> `PRES_2024.csv`, `PRES_CANDIDATURAS_2024.csv`); the
  header block without blank lines: election 1, cut 2, summary 3-4, per-casilla header 5.
- `computos`: the official count, `YYYYMMDD_HHMM_COMPUTOS.zip` holding one zip per election;
  Latin-1, `|`, a `sep=|` first line, election 2, cut 3, summary 5-6, per-casilla header 8.

`auto` (the default) takes, for each archive, the first of `AUTO_CANDIDATES` whose archive name
pattern matches its name (a state name carries `_PREP_<something>`, INE's ends in `_PREP`), so
that a difusor with no settings accepts both PREP layouts of 2024; cómputos must be chosen.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from difusor.errors import DifusorError

AUTO = "auto"
AUTO_CANDIDATES = ("state", "ine")

_CUT = r"(?P<cut>\d{8}_\d{4})"
_ARCHIVE_SUFFIX = r"\.(?:zip|tar\.gz)"
# Results CSVs: upper-case base names ending in _YYYY.csv; a candidates catalog is not one.
_RESULTS = r"(?!(?i:.*_candidaturas_))[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*_\d{4}\.csv"
_STATE_BLOCK = {
    "csv_election_line": 1,
    "csv_cut_line": 2,
    "csv_summary_header_line": 4,
    "csv_summary_values_line": 5,
    "csv_rows_header_line": 7,
}


@dataclass(frozen=True)
class Preset:
    name: str
    title: str  # for people, Spanish
    values: dict[str, Any]


PRESETS: dict[str, Preset] = {
    preset.name: preset
    for preset in (
        Preset(
            "state",
            "PREP estatal (OPLE) 2024: YYYYMMDD_HHMM_PREP_<ENT>.zip, una carpeta por elección",
            {
                "archive_pattern": rf"{_CUT}_PREP[_-][A-Za-z0-9_.-]+{_ARCHIVE_SUFFIX}",
                "inner_archive_pattern": rf"{_CUT}_PREP_[A-Za-z0-9_.-]+{_ARCHIVE_SUFFIX}",
                "results_csv_pattern": _RESULTS,
                "csv_encoding": "utf-8-sig",
                "csv_delimiter": ",",
                **_STATE_BLOCK,
                "csv_summary_first_column": "ACTAS_ESPERADAS",
                "csv_rows_first_column": "CLAVE_CASILLA",
            },
        ),
        Preset(
            "ine",
            "PREP federal del INE 2024: YYYYMMDD_HHMM_PREP.zip con un zip por elección",
            {
                "archive_pattern": rf"{_CUT}_PREP{_ARCHIVE_SUFFIX}",
                "inner_archive_pattern": rf"{_CUT}_PREP_[A-Z0-9_]+{_ARCHIVE_SUFFIX}",
                "results_csv_pattern": _RESULTS,
                "csv_encoding": "utf-8-sig",
                "csv_delimiter": ",",
                "csv_election_line": 1,
                "csv_cut_line": 2,
                "csv_summary_header_line": 3,
                "csv_summary_values_line": 4,
                "csv_rows_header_line": 5,
                "csv_summary_first_column": "ACTAS_ESPERADAS",
                "csv_rows_first_column": "CLAVE_CASILLA",
            },
        ),
        Preset(
            "computos",
            "Cómputos 2024: YYYYMMDD_HHMM_COMPUTOS.zip con un zip por elección, CSV con '|'",
            {
                "archive_pattern": rf"{_CUT}_COMPUTOS{_ARCHIVE_SUFFIX}",
                "inner_archive_pattern": rf"{_CUT}_COMPUTOS_[A-Z0-9_]+{_ARCHIVE_SUFFIX}",
                "results_csv_pattern": _RESULTS,
                "csv_encoding": "latin-1",
                "csv_delimiter": "|",
                "csv_election_line": 2,
                "csv_cut_line": 3,
                "csv_summary_header_line": 5,
                "csv_summary_values_line": 6,
                "csv_rows_header_line": 8,
                "csv_summary_first_column": "ACTAS_ESPERADAS",
                "csv_rows_first_column": "CLAVE_CASILLA",
            },
        ),
    )
}
# The fields a preset sets (every preset sets all of them).
FORMAT_FIELDS: tuple[str, ...] = tuple(PRESETS["state"].values)


def names() -> tuple[str, ...]:
    """Every name the `preset` setting takes."""
    return (AUTO, *PRESETS)


def check_name(name: str) -> str:
    if name != AUTO and name not in PRESETS:
        raise DifusorError(
            f"unknown package preset {name!r}; the known presets are: {', '.join(names())}"
        )
    return name


def values(name: str) -> dict[str, Any]:
    """The format values of a preset (`auto`: those of its first candidate)."""
    return PRESETS[AUTO_CANDIDATES[0] if check_name(name) == AUTO else name].values


def candidates(name: str) -> tuple[str, ...]:
    """The presets an archive is matched against when the setting says `name`."""
    return AUTO_CANDIDATES if check_name(name) == AUTO else (name,)
