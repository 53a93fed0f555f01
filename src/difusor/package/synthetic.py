"""Synthetic results in the 2024 layouts (`presets`): state PREP, INE's PREP, cómputos.

What a real 2024 package has, at its size and shape: per election a results CSV with the header
block where the preset puts it and the column set of its body (`column_set`): for a Veracruz
state package the identification of the casilla (with `ID_MUNICIPIO`, `MUNICIPIO`), the acta's
totals, one column per party, the four combinations of each three-party coalition (`C_PAN_PRI`,
...), the independent candidacies, the tail from `NO_REGISTRADAS` to `TIPO_DOCUMENTO` and
`COTEJADA`; INE's and the other states' files lack what Veracruz adds. Rows: keys with a
leading apostrophe (or `="..."` in cómputos), votes of a casilla's size (a turnout of its list,
split as a party vote splits), the special cells (`N/A` where a candidacy does not run, `-`,
`SIN ACTA`, `SIN DATO`, `ILEGIBLE`), `OBSERVACIONES`, dates `dd/mm/yyyy HH:MM:SS`, the SHA-256
of each acta image, out-of-catalogue actas last (empty keys, `CONTABILIZADA` 2): about 445
bytes per acta in the state layout once every acta is captured. Its candidates catalog; a
`LEEME.txt` (UTF-8 with BOM). The same (layout, cut, rows, elections) gives the same bytes;
which actas are captured grows with the cut (`generate.progress`).

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

from difusor.package.layout import Settings, cut_id, format_csv_cut, format_offset

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
# Parties with a share of the vote in a casilla, per mille (before a casilla's own swing).
NATIONAL_PARTIES = {
    "PAN": 150,
    "PRI": 100,
    "PRD": 25,
    "PVEM": 85,
    "PT": 60,
    "MC": 95,
    "MORENA": 420,
}
VERACRUZ_PARTIES = {**NATIONAL_PARTIES, "FXMV": 20}  # Fuerza por México Veracruz, local
COALITIONS = (("PAN", "PRI", "PRD"), ("PVEM", "PT", "MORENA"))  # 2024, three parties each
COMBINATION_SHARE = 6  # per mille, each combination marked on a ballot
INDEPENDENT_SHARE = 30  # per mille, where an independent candidacy runs
OTHER_SHARES = {"NO_REGISTRADAS": 1, "NULOS": 30}
HEAD_COLUMNS = (
    "CLAVE_CASILLA",
    "CLAVE_ACTA",
    "ID_ENTIDAD",
    "ENTIDAD",
    "ID_DISTRITO",
    "DISTRITO",
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
)
TAIL_COLUMNS = (
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
# Veracruz's 30 local districts, each with its head town (ID_MUNICIPIO, MUNICIPIO); the casillas
# of a package are spread over them in order. Names are real, the numbers illustrative.
DISTRICTS = (
    ("PÁNUCO", 123, "PÁNUCO"),
    ("TANTOYUCA", 155, "TANTOYUCA"),
    ("TUXPAN", 189, "TUXPAN"),
    ("ÁLAMO TEMAPACHE", 160, "ÁLAMO TEMAPACHE"),
    ("POZA RICA", 131, "POZA RICA DE HIDALGO"),
    ("PAPANTLA", 124, "PAPANTLA"),
    ("MARTÍNEZ DE LA TORRE", 102, "MARTÍNEZ DE LA TORRE"),
    ("MISANTLA", 109, "MISANTLA"),
    ("PEROTE", 128, "PEROTE"),
    ("XALAPA I", 87, "XALAPA"),
    ("XALAPA II", 87, "XALAPA"),
    ("COATEPEC", 38, "COATEPEC"),
    ("EMILIANO ZAPATA", 65, "EMILIANO ZAPATA"),
    ("VERACRUZ I", 193, "VERACRUZ"),
    ("VERACRUZ II", 193, "VERACRUZ"),
    ("BOCA DEL RÍO", 28, "BOCA DEL RÍO"),
    ("MEDELLÍN", 105, "MEDELLÍN DE BRAVO"),
    ("HUATUSCO", 71, "HUATUSCO"),
    ("CÓRDOBA", 44, "CÓRDOBA"),
    ("ORIZABA", 118, "ORIZABA"),
    ("CAMERINO Z. MENDOZA", 30, "CAMERINO Z. MENDOZA"),
    ("ZONGOLICA", 201, "ZONGOLICA"),
    ("COSAMALOAPAN", 45, "COSAMALOAPAN DE CARPIO"),
    ("SANTIAGO TUXTLA", 143, "SANTIAGO TUXTLA"),
    ("SAN ANDRÉS TUXTLA", 141, "SAN ANDRÉS TUXTLA"),
    ("COSOLEACAQUE", 48, "COSOLEACAQUE"),
    ("ACAYUCAN", 3, "ACAYUCAN"),
    ("MINATITLÁN", 108, "MINATITLÁN"),
    ("COATZACOALCOS I", 39, "COATZACOALCOS"),
    ("COATZACOALCOS II", 39, "COATZACOALCOS"),
)
CASILLA_TYPES = ("B", "C", "C", "E", "S")
TRANSFER = ("D", "F", "I", "N/A")
# TIPO_ACTA: the title of the acta's form, by election and casilla (`S` has its own form).
ACTA_FORMS = {
    "GUB": "PARA LA GUBERNATURA",
    "DIP_LOC": "PARA LAS DIPUTACIONES LOCALES",
    "AYUN": "PARA LOS AYUNTAMIENTOS",
    "PRES": "PARA LA PRESIDENCIA DE LOS ESTADOS UNIDOS MEXICANOS",
    "SEN": "PARA LAS SENADURÍAS",
    "DIP_FED": "PARA LAS DIPUTACIONES FEDERALES",
}
LOCATIONS = ("URBANA", "URBANA", "URBANA", "NO URBANA")
ORIGINS = ("CASILLA", "CATD")
SCANS = ("MÓVIL", "ESCÁNER")
DOCUMENTS = ("ACTA PREP", "ACTA PREP", "ACTA PREP", "CONSTANCIA INDIVIDUAL")


def _combinations(coalitions: tuple[tuple[str, ...], ...]) -> tuple[str, ...]:
    """`C_PAN_PRI_PRD, C_PAN_PRI, C_PAN_PRD, C_PRI_PRD`: every way a ballot marks two or more
    parties of a coalition (4 for a coalition of 3)."""
    return tuple(
        "C_" + "_".join(combo)
        for group in coalitions
        for size in range(len(group), 1, -1)
        for combo in itertools.combinations(group, size)
    )


@dataclass(frozen=True)
class ColumnSet:
    """The columns of a results CSV's body and how a casilla's votes fall into them."""

    parties: dict[str, int]  # column: share per mille
    combinations: tuple[str, ...]
    independents: int  # CAND_IND_1..n, candidacy n runs in district n only (`N/A` elsewhere)
    municipality: bool  # ID_MUNICIPIO, MUNICIPIO after DISTRITO
    cotejada: bool  # COTEJADA last

    @property
    def vote_columns(self) -> tuple[str, ...]:
        independents = tuple(f"CAND_IND_{n}" for n in range(1, self.independents + 1))
        return (*self.parties, *self.combinations, *independents, *OTHER_SHARES)

    @property
    def shares(self) -> tuple[int, ...]:
        return (
            *self.parties.values(),
            *(COMBINATION_SHARE,) * len(self.combinations),
            *(INDEPENDENT_SHARE,) * self.independents,
            *OTHER_SHARES.values(),
        )

    @property
    def columns(self) -> tuple[str, ...]:
        head = list(HEAD_COLUMNS)
        if self.municipality:
            head[6:6] = ["ID_MUNICIPIO", "MUNICIPIO"]
        return (*head, *self.vote_columns, *TAIL_COLUMNS, *(("COTEJADA",) if self.cotejada else ()))


VERACRUZ = ColumnSet(VERACRUZ_PARTIES, _combinations(COALITIONS), 2, True, True)
NATIONAL = ColumnSet(NATIONAL_PARTIES, _combinations(COALITIONS), 0, False, False)


def column_set(entity: str) -> ColumnSet:
    """Veracruz's files add ID_MUNICIPIO, MUNICIPIO, CAND_IND_n and COTEJADA and its local
    party; INE's (entity NAC) and the other states' have the common set."""
    return VERACRUZ if entity == "VER" else NATIONAL


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


def _percent(part: int, whole: int) -> str:
    """A percentage with 4 decimals, truncated (as the PREP writes them)."""
    return f"{math.floor(10000 * 100 * part / max(whole, 1)) / 10000:.4f}"


def acta_type(code: str, kind: str) -> str:
    """`ACTA DE ESCRUTINIO Y CÓMPUTO DE CASILLA [ESPECIAL ]DE LA ELECCIÓN PARA LA GUBERNATURA`."""
    special = " ESPECIAL" if kind == "S" else ""
    form = ACTA_FORMS.get(code, code.replace("_", " "))
    return f"ACTA DE ESCRUTINIO Y CÓMPUTO DE CASILLA{special} DE LA ELECCIÓN {form}"


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
    night = settings.publish_from.astimezone(settings.tz).replace(tzinfo=None)
    # The same actas whatever the cut: the seed names the election and the size only.
    rng = random.Random(f"difusor-synthetic:{election.code}:{election.entity}:{rows}")
    entity_id, entity_name = ENTITIES.get(election.entity, (30, election.entity))
    columns = column_set(election.entity)
    vote_columns, shares = columns.vote_columns, columns.shares
    width = len(vote_columns)
    independents = range(len(columns.parties) + len(columns.combinations), width - 2)
    body = io.StringIO()
    delimiter = settings.csv_delimiter  # no cell holds it, a quote or a newline: no quoting
    totals = [0] * width
    captured = counted = nominal_counted = votes_counted = 0
    cut_at = local.replace(tzinfo=None)
    span = max(60.0, (cut_at - night).total_seconds())
    outside = max(1, rows // OUT_OF_CATALOGUE_EVERY)
    entity_cells = (
        _key(f"{entity_id:02d}", layout) if layout == "computos" else str(entity_id),
        entity_name,
    )
    missing = ("-",) * width
    missing_tail = delimiter.join(["-", "-", "{}", "-", "SIN ACTA", "0", "N/A", *["-"] * 7])
    if columns.cotejada:
        missing_tail += delimiter + "0"
    sections_per_district = max(1, -(-rows // (3 * len(DISTRICTS))))
    stamp = f"%d/%m/%Y %H:%M:%S ({format_offset(local)})"  # as some bodies write every date
    forms = {kind: acta_type(election.code, kind) for kind in CASILLA_TYPES}
    for index in range(rows):
        draw = rng.randbytes(width + 12)
        threshold, odd = draw[0] / 256 + draw[1] / 65536, draw[2]
        nominal = 350 + draw[3] + draw[4]
        in_catalogue = index < rows - outside
        section = 1 + index // 3
        kind = CASILLA_TYPES[index % len(CASILLA_TYPES)]
        number = 1 + index % 3
        casilla = f"{entity_id:02d}{section:04d}{kind}{number:02d}00"
        district = min((section - 1) // sections_per_district, len(DISTRICTS) - 1)
        district_name, town_id, town = DISTRICTS[district]
        place = [str(district + 1), district_name]
        if columns.municipality:
            place += [str(town_id), town]
        if threshold < share or not in_catalogue:
            voters = nominal * (45 + draw[5] % 30) // 100
            votes = [
                voters * weight * (64 + byte) // 192_000
                for weight, byte in zip(shares, draw[12:], strict=False)
            ]
            cells = [str(vote) for vote in votes]
            for column in independents:  # candidacy n runs in district n
                if column - independents.start != district:
                    cells[column], votes[column] = "N/A", 0
            observation = ""
            if odd < 3:
                spoiled = draw[6] % width
                if cells[spoiled] != "N/A":
                    cells[spoiled], votes[spoiled] = ("ILEGIBLE" if odd < 2 else "SIN DATO"), 0
                    observation = ILLEGIBLE
            total = sum(votes)
            representatives = draw[7] % 15
            # Verified (published) by the cut; captured and collected before, acopio may
            # precede 20:00 (casillas close at 18:00).
            verified_at = min(
                night + timedelta(seconds=span * threshold / max(share, 1e-9)), cut_at
            )
            captured_at = verified_at - timedelta(seconds=30 + draw[9])
            arrival = captured_at - timedelta(seconds=30 + draw[8])
            is_counted = in_catalogue and not 3 <= odd < 7
            if not is_counted and in_catalogue:
                observation = EXCEEDS
            tail = [
                str(total),
                str(total) if odd else "SIN DATO",
                str(nominal),
                str(representatives),
                observation,
                "1" if is_counted else "2" if not in_catalogue else "0",
                TRANSFER[draw[10] % len(TRANSFER)],
                hashlib.sha256(f"acta:{casilla}:{election.code}:{index}".encode()).hexdigest(),
                arrival.strftime(stamp),
                captured_at.strftime(stamp),
                verified_at.strftime(stamp),
                ORIGINS[odd % 2],
                SCANS[odd % 3 == 0],
                DOCUMENTS[draw[11] % len(DOCUMENTS)],
            ]
            if columns.cotejada:
                tail.append("1" if odd % 5 else "0")
            head_numbers = [str(nominal - voters), str(voters), str(representatives), str(total)]
            captured += 1
            if is_counted:
                counted += 1
                nominal_counted += nominal
                votes_counted += total
                totals = [sum(pair) for pair in zip(totals, votes, strict=True)]
            tail_text = delimiter.join(tail)
        else:
            cells = list(missing)
            for column in independents:
                if column - independents.start != district:
                    cells[column] = "N/A"
            head_numbers = ["-"] * 4
            tail_text = missing_tail.format(nominal)
        keys = [_key(casilla, layout), _key(f"{casilla}04", layout)] if in_catalogue else ["", ""]
        body.write(
            delimiter.join(
                [
                    *keys,
                    *entity_cells,
                    *place,
                    str(section),
                    str(number),
                    kind,
                    "0",
                    LOCATIONS[index % len(LOCATIONS)],
                    forms[kind],
                    *head_numbers,
                    *cells,
                    tail_text,
                ]
            )
        )
        body.write("\n")
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
        "TOTAL_VOTOS_C_CS": f"{votes_counted}.0",
        "TOTAL_VOTOS_S_CS": f"{votes_counted}.0",
        "PORCENTAJE_PARTICIPACION_CIUDADANA": _percent(votes_counted, nominal_counted),
    }
    header = {
        settings.csv_election_line: ELECTIONS.get(election.code, election.code),
        settings.csv_cut_line: format_csv_cut(cut, settings),
        settings.csv_summary_header_line: delimiter.join(SUMMARY_COLUMNS),
        settings.csv_summary_values_line: delimiter.join(summary[c] for c in SUMMARY_COLUMNS),
        settings.csv_rows_header_line: delimiter.join(columns.columns),
    }
    if layout == "computos":
        header[1] = f"sep={delimiter}"
    block = "".join(f"{header.get(line, '')}\n" for line in range(1, max(header) + 1))
    data = (block + body.getvalue()).encode(settings.csv_encoding)
    return Table(data, summary, dict(zip(vote_columns, totals, strict=True)))


def candidates_csv(election: Election, layout: str, settings: Settings) -> bytes:
    """The candidates catalog: ID_ENTIDAD, PARTIDO_CI, CANDIDATURA."""
    entity_id = ENTITIES.get(election.entity, (30, ""))[0]
    delimiter = settings.csv_delimiter
    candidacies = column_set(election.entity).vote_columns[: -len(OTHER_SHARES)]
    lines = [delimiter.join(("ID_ENTIDAD", "PARTIDO_CI", "CANDIDATURA"))] + [
        delimiter.join((str(entity_id), party, f"CANDIDATURA SINTÉTICA {index}"))
        for index, party in enumerate(candidacies, 1)
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
        "FECHA_HORA_ACOPIO, FECHA_HORA_CAPTURA, FECHA_HORA_VERIFICACION: dd/mm/aaaa HH:MM:SS",
        "  y el huso horario, p. ej. 03/06/2024 01:15:42 (UTC-6).",
        "CAND_IND_n: candidatura independiente n, solo en su distrito ('N/A' en los demás).",
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
