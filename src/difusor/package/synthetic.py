"""Synthetic results in the 2024 layouts (`presets`): state PREP, INE's PREP, cómputos.

What a real 2024 package has, at its size and shape: per election a results CSV with the header
block where the preset puts it, about 64 columns per acta (keys with a leading apostrophe, or
`="..."` in cómputos), the special cells (`N/A`, `-`, `SIN ACTA`, `SIN DATO`, `ILEGIBLE`),
`OBSERVACIONES`, dates `dd/mm/yyyy HH:MM:SS`, the SHA-256 of each acta image, out-of-catalogue
actas last (empty keys, `CONTABILIZADA` 2), about 445 bytes per acta; its candidates catalog;
and a `LEEME.txt` (UTF-8 with BOM). The same (layout, cut, rows, elections) gives the same
bytes; which actas are captured grows with the cut (`generate.progress`).

Layouts (file trees, inner archives as bytes):
- state: `YYYYMMDD_HHMM_PREP_<ELECTION>_<ENT>/<ENT>_<ELECTION>_2024.csv` and
  `<ENT>_<ELECTION>_Candidaturas_2024.csv`, one folder per election;
- ine and computos: one inner zip per election, `YYYYMMDD_HHMM_PREP_PRES.zip` (or `_COMPUTOS_`)
  holding `PRES_2024.csv` and `PRES_CANDIDATURAS_2024.csv`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import itertools
import math
import random
import zipfile
from dataclasses import dataclass
from datetime import datetime, timedelta

from difusor.package.layout import Settings, cut_id, format_csv_cut

LAYOUTS = ("state", "ine", "computos")
YEAR = 2024
ENTITIES = {"VER": (30, "VERACRUZ"), "PUE": (21, "PUEBLA"), "NAC": (0, "NACIONAL")}
ELECTIONS = {
    "GUB": "GUBERNATURA",
    "DIP_LOC": "DIPUTACIONES LOCALES (INCLUYE RESULTADOS DE MAYORÍA RELATIVA Y "
    "REPRESENTACIÓN PROPORCIONAL)",
    "AYUN": "AYUNTAMIENTOS",
    "PRES": "PRESIDENCIA DE LA REPÚBLICA",
    "SEN": "SENADURÍAS",
    "DIP_FED": "DIPUTACIONES FEDERALES",
}
DEFAULT_ELECTIONS = {
    "state": ("GUB", "DIP_LOC"),
    "ine": ("PRES", "SEN", "DIP_FED"),
    "computos": ("PRES", "SEN", "DIP_FED"),
}
PARTIES = ("PAN", "PRI", "PRD", "PVEM", "PT", "MC", "MORENA", "FXMV")
COALITIONS = (("PAN", "PRI", "PRD"), ("PVEM", "PT", "MORENA", "FXMV"))
COMBINATIONS = tuple(
    "C_" + "_".join(combo)
    for group in COALITIONS
    for size in range(len(group), 1, -1)
    for combo in itertools.combinations(group, size)
)
VOTE_COLUMNS = (*PARTIES, *COMBINATIONS, "CAND_IND_1", "CAND_IND_2", "NO_REGISTRADAS", "NULOS")
# A vote cell is 0 .. spread-1 (a casilla has 350 to 860 voters on its list).
VOTE_SPREADS = (90,) * len(PARTIES) + (8,) * len(COMBINATIONS) + (10, 10, 3, 15)
ROW_COLUMNS = (
    "CLAVE_CASILLA",
    "CLAVE_ACTA",
    "ID_ENTIDAD",
    "ENTIDAD",
    "ID_DISTRITO",
    "DISTRITO",
    "ID_MUNICIPIO",
    "MUNICIPIO",
    "SECCION",
    "ID_CASILLA",
    "TIPO_CASILLA",
    "EXT_CONTIGUA",
    "UBICACION_CASILLA",
    "TIPO_ACTA",
    "TOTAL_BOLETAS_SOBRANTES",
    "TOTAL_PERSONAS_VOTARON",
    "TOTAL_REP_PARTIDO_CI_VOTARON",
    "TOTAL_VOTOS_SACADOS",
    *VOTE_COLUMNS,
    "TOTAL_VOTOS_ASENTADO",
    "TOTAL_VOTOS_CALCULADO",
    "LISTA_NOMINAL",
    "REPRESENTANTES_PP_CI",
    "OBSERVACIONES",
    "CONTABILIZADA",
    "MECANISMOS_TRASLADO",
    "CODIGO_INTEGRIDAD",
    "FECHA_HORA_ACOPIO",
    "FECHA_HORA_CAPTURA",
    "FECHA_HORA_VERIFICACION",
    "ORIGEN",
    "DIGITALIZACION",
    "TIPO_DOCUMENTO",
    "COTEJADA",
)
SUMMARY_COLUMNS = (
    "ACTAS_ESPERADAS",
    "ACTAS_REGISTRADAS",
    "ACTAS_FUERA_CATALOGO",
    "ACTAS_CAPTURADAS",
    "PORCENTAJE_ACTAS_CAPTURADAS",
    "ACTAS_CONTABILIZADAS",
    "PORCENTAJE_ACTAS_CONTABILIZADAS",
    "PORCENTAJE_ACTAS_INCONSISTENCIAS",
    "ACTAS_NO_CONTABILIZADAS",
    "LISTA_NOMINAL_ACTAS_CONTABILIZADAS",
    "TOTAL_VOTOS_C_CS",
    "TOTAL_VOTOS_S_CS",
    "PORCENTAJE_PARTICIPACION_CIUDADANA",
)
OUT_OF_CATALOGUE_EVERY = 500  # one acta in 500 is out of the catalogue (at least one)
ILLEGIBLE = "ALGUN CAMPO ILEGIBLE O SIN DATO"
EXCEEDS = "LA CANTIDAD DE VOTOS ASENTADA EN EL ACTA EXCEDE EL NUMERO DE CIUDADANOS EN LA LISTA"
DISTRICTS = ("XALAPA I", "VERACRUZ I", "CÓRDOBA", "ORIZABA", "PAPANTLA", "COATZACOALCOS I")
MUNICIPALITIES = ("XALAPA", "VERACRUZ", "BOCA DEL RÍO", "CÓRDOBA", "TÚXPAM", "MINATITLÁN")
CASILLA_TYPES = ("B", "C", "C", "E", "S")
TRANSFER = ("D", "F", "I", "N/A")


@dataclass(frozen=True)
class Election:
    code: str  # GUB, DIP_LOC, PRES...
    entity: str  # VER, PUE, NAC


@dataclass(frozen=True)
class Table:
    """One results CSV: its bytes and what its summary line says."""

    data: bytes
    summary: dict[str, str]
    votes: dict[str, int]


def _stamp(moment: datetime) -> str:
    return moment.strftime("%d/%m/%Y %H:%M:%S")


def _percent(part: int, whole: int) -> str:
    """A percentage with 4 decimals, truncated (as the PREP writes them)."""
    return f"{math.floor(10000 * 100 * part / max(whole, 1)) / 10000:.4f}"


def _key(text: str, layout: str) -> str:
    return f'="{text}"' if layout == "computos" else f"'{text}"


def results_table(
    cut: datetime,
    rows: int,
    election: Election,
    layout: str,
    settings: Settings,
    share: float,
) -> Table:
    """The results CSV of one election in the layout's dialect (settings of its preset);
    `share`: the part of the actas captured at this cut."""
    local = cut.astimezone(settings.tz)
    night = settings.publish_from.astimezone(settings.tz)
    # The same actas whatever the cut: the seed names the election and the size only.
    rng = random.Random(f"difusor-synthetic:{election.code}:{election.entity}:{rows}")
    entity_id, entity_name = ENTITIES.get(election.entity, (30, election.entity))
    body = io.StringIO()
    delimiter = settings.csv_delimiter  # no cell holds it, a quote or a newline: no quoting
    totals = dict.fromkeys(VOTE_COLUMNS, 0)
    captured = counted = nominal_counted = votes_counted = 0
    span = max(60.0, (local - night).total_seconds())
    outside = max(1, rows // OUT_OF_CATALOGUE_EVERY)
    for index in range(rows):
        draw = rng.randbytes(len(VOTE_COLUMNS) + 8)
        threshold, odd = draw[-1] / 256 + draw[-2] / 65536, draw[-3]
        nominal = 350 + draw[-4] + draw[-5]
        in_catalogue = index < rows - outside
        section = 1 + index // 3
        kind = CASILLA_TYPES[index % len(CASILLA_TYPES)]
        number = 1 + index % 3
        casilla = f"{entity_id:02d}{section:04d}{kind}{number:02d}00"
        district = index % len(DISTRICTS)
        if threshold < share or not in_catalogue:
            votes = [byte % spread for byte, spread in zip(draw, VOTE_SPREADS, strict=False)]
            cells = [str(vote) for vote in votes]
            observation = ""
            if odd < 3:
                cells[draw[-6] % len(cells)] = "ILEGIBLE" if odd < 2 else "SIN DATO"
                observation = ILLEGIBLE
            total = sum(int(cell) for cell in cells if cell.isdigit())
            arrival = night + timedelta(seconds=span * threshold / max(share, 1e-9))
            arrival = min(arrival, local)
            is_counted = in_catalogue and not 3 <= odd < 7
            if not is_counted and in_catalogue:
                observation = EXCEEDS
            state = "1" if is_counted else "2" if not in_catalogue else "0"
            tail = [
                str(total),
                str(total) if odd else "SIN DATO",
                str(nominal),
                str(draw[-7] % 15),
                observation,
                state,
                TRANSFER[draw[-8] % len(TRANSFER)],
                hashlib.sha256(f"acta:{casilla}:{election.code}:{index}".encode()).hexdigest(),
                _stamp(arrival),
                _stamp(arrival + timedelta(minutes=1)),
                _stamp(arrival + timedelta(minutes=2)),
                "CASILLA" if odd % 2 else "CATD",
                "MOVIL" if odd % 3 else "ESCANER",
                "ACTA PREP",
                "1" if odd % 5 else "0",
            ]
            head_numbers = [str(nominal - total), str(total), str(draw[-7] % 15), str(total)]
            captured += 1
            if is_counted:
                counted += 1
                nominal_counted += nominal
                votes_counted += total
                for column, cell in zip(VOTE_COLUMNS, cells, strict=True):
                    if cell.isdigit():
                        totals[column] += int(cell)
        else:
            cells = ["-"] * len(VOTE_COLUMNS)
            head_numbers = ["-"] * 4
            tail = ["-", "-", str(nominal), "-", "SIN ACTA", "0", "N/A", "-"]
            tail += ["-"] * 6 + ["0"]
        keys = [_key(casilla, layout), _key(f"{casilla}04", layout)] if in_catalogue else ["", ""]
        row = delimiter.join(
            [
                *keys,
                _key(f"{entity_id:02d}", layout) if layout == "computos" else str(entity_id),
                entity_name,
                str(district + 1),
                DISTRICTS[district],
                str(index % 212 + 1),
                MUNICIPALITIES[index % len(MUNICIPALITIES)],
                str(section),
                str(number),
                kind,
                "0",
                "URBANA" if index % 4 else "NO URBANA",
                "ACTA DE ESCRUTINIO Y CÓMPUTO DE CASILLA",
                *head_numbers,
                *cells,
                *tail,
            ]
        )
        body.write(row + "\n")
    votes = votes_counted
    summary = {
        "ACTAS_ESPERADAS": str(rows - outside),
        "ACTAS_REGISTRADAS": str(captured),
        "ACTAS_FUERA_CATALOGO": str(outside),
        "ACTAS_CAPTURADAS": str(captured - outside),
        "PORCENTAJE_ACTAS_CAPTURADAS": _percent(captured - outside, rows - outside),
        "ACTAS_CONTABILIZADAS": str(counted),
        "PORCENTAJE_ACTAS_CONTABILIZADAS": _percent(counted, rows - outside),
        "PORCENTAJE_ACTAS_INCONSISTENCIAS": _percent(captured - outside - counted, rows),
        "ACTAS_NO_CONTABILIZADAS": str(rows - outside - counted),
        "LISTA_NOMINAL_ACTAS_CONTABILIZADAS": str(nominal_counted),
        "TOTAL_VOTOS_C_CS": f"{votes}.0",
        "TOTAL_VOTOS_S_CS": f"{votes}.0",
        "PORCENTAJE_PARTICIPACION_CIUDADANA": _percent(votes, nominal_counted),
    }
    header = {
        settings.csv_election_line: ELECTIONS.get(election.code, election.code),
        settings.csv_cut_line: format_csv_cut(cut, settings),
        settings.csv_summary_header_line: delimiter.join(SUMMARY_COLUMNS),
        settings.csv_summary_values_line: delimiter.join(summary[c] for c in SUMMARY_COLUMNS),
        settings.csv_rows_header_line: delimiter.join(ROW_COLUMNS),
    }
    if layout == "computos":
        header[1] = f"sep={delimiter}"
    block = "".join(f"{header.get(line, '')}\n" for line in range(1, max(header) + 1))
    data = (block + body.getvalue()).encode(settings.csv_encoding)
    return Table(data, summary, totals)


def candidates_csv(election: Election, layout: str, settings: Settings) -> bytes:
    """The candidates catalog: ID_ENTIDAD, PARTIDO_CI, CANDIDATURA."""
    entity_id = ENTITIES.get(election.entity, (30, ""))[0]
    delimiter = settings.csv_delimiter
    lines = [delimiter.join(("ID_ENTIDAD", "PARTIDO_CI", "CANDIDATURA"))] + [
        delimiter.join((str(entity_id), party, f"CANDIDATURA SINTÉTICA {index}"))
        for index, party in enumerate((*PARTIES, *COMBINATIONS), 1)
    ]
    return ("\n".join(lines) + "\n").encode(settings.csv_encoding)


def readme(layout: str, elections: tuple[Election, ...]) -> bytes:
    """LEEME.txt (UTF-8 with BOM): what the package holds and what the fields mean."""
    lines = [
        "Paquete de difusión SINTÉTICO generado por difusor para pruebas y simulacros.",
        "Los datos no son resultados reales.",
        f"Formato: {layout}. Elecciones: {', '.join(e.code for e in elections)}.",
        "",
        "CLAVE_CASILLA: clave única de la casilla. CLAVE_ACTA: clave del acta.",
        "CONTABILIZADA: 0 no contabilizada, 1 contabilizada, 2 fuera de catálogo.",
        "CODIGO_INTEGRIDAD: SHA-256 de la imagen del acta.",
        "FECHA_HORA_ACOPIO, FECHA_HORA_CAPTURA, FECHA_HORA_VERIFICACION: dd/mm/aaaa HH:MM:SS.",
        "Celdas: '-' sin dato capturado, 'ILEGIBLE', 'SIN DATO', 'N/A' no aplica.",
    ]
    return ("\n".join(lines) + "\n").encode("utf-8-sig")


def zip_bytes(files: dict[str, bytes], cut: datetime, settings: Settings) -> bytes:
    """A zip of `files` in memory (the same bytes for the same input)."""
    stamp = cut.astimezone(settings.tz).timetuple()[:6]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(files):
            info = zipfile.ZipInfo(path, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o100644 << 16
            archive.writestr(info, files[path], compresslevel=6)
    return buffer.getvalue()


def layout_settings(layout: str, settings: Settings) -> Settings:
    """The settings a layout is written with: its preset, the explicit overrides kept."""
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}; known: {', '.join(LAYOUTS)}")
    return dataclasses.replace(settings, preset=layout)


def label(layout: str, elections: tuple[Election, ...]) -> str:
    """What follows the cut in the outer archive's name: `PREP_VER`, `PREP`, `COMPUTOS`."""
    if layout == "state":
        return f"PREP_{elections[0].entity}"
    return "PREP" if layout == "ine" else "COMPUTOS"


def election_files(
    cut: datetime,
    rows: int,
    elections: tuple[Election, ...],
    layout: str,
    settings: Settings,
    share: float,
) -> tuple[dict[str, bytes], dict[str, Table], str]:
    """(files by path, each election's table, the path the site links) of a layout."""
    ident = cut_id(cut, settings)
    files: dict[str, bytes] = {}
    tables: dict[str, Table] = {}
    links = []
    for election in elections:
        table = results_table(cut, rows, election, layout, settings, share)
        tables[election.code] = table
        if layout == "state":
            folder = f"{ident}_PREP_{election.code}_{election.entity}"
            stem = f"{election.entity}_{election.code}"
            files[f"{folder}/{stem}_{YEAR}.csv"] = table.data
            files[f"{folder}/{stem}_Candidaturas_{YEAR}.csv"] = candidates_csv(
                election, layout, settings
            )
            links.append(f"{folder}/{stem}_{YEAR}.csv")
        else:
            inner = f"{ident}_{label(layout, elections)}_{election.code}.zip"
            files[inner] = zip_bytes(
                {
                    f"{election.code}_{YEAR}.csv": table.data,
                    f"{election.code}_CANDIDATURAS_{YEAR}.csv": candidates_csv(
                        election, layout, settings
                    ),
                },
                cut,
                settings,
            )
            links.append(inner)
    files["LEEME.txt"] = readme(layout, elections)
    return files, tables, links[0]
