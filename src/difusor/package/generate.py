"""Synthetic results packages in the real layout, for tests, drills and the demo.

The same (cut, rows, format) always gives the same bytes. Which actas are captured grows with
the cut time (so consecutive cuts look like a real night); everything is marked synthetic.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import os
import random
import tarfile
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

from difusor import __version__
from difusor.package.layout import (
    Settings,
    archive_name,
    cut_id,
    format_csv_cut,
    metadata_document,
    sha256_line,
    sidecar_path,
)

ENTITY_ID, ENTITY = 30, "VERACRUZ"
ELECTION, ELECTION_CODE, YEAR = "GUBERNATURA", "GUB", 2024
VERACRUZ_ACTAS = 11_000
PARTIES = ("PAN", "PRI", "PRD", "PVEM", "PT", "MC", "MORENA")
COALITIONS = (
    "PAN_PRI_PRD",
    "PAN_PRI",
    "PAN_PRD",
    "PRI_PRD",
    "PVEM_PT_MORENA",
    "PVEM_PT",
    "PT_MORENA",
)
VOTE_COLUMNS = (*PARTIES, *COALITIONS, "NO_REGISTRADAS", "NULOS")
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
ROW_COLUMNS = (
    "CLAVE_CASILLA",
    "CLAVE_ACTA",
    "ID_ENTIDAD",
    "ENTIDAD",
    "ID_DISTRITO_LOCAL",
    "DISTRITO_LOCAL",
    "SECCION",
    "ID_CASILLA",
    "TIPO_CASILLA",
    "EXT_CONTIGUA",
    "UBICACION_CASILLA",
    "TIPO_ACTA",
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
DISTRICTS = (
    "PÁNUCO",
    "TANTOYUCA",
    "TÚXPAM",
    "ÁLAMO TEMAPACHE",
    "POZA RICA",
    "PAPANTLA",
    "MARTÍNEZ DE LA TORRE",
    "MISANTLA",
    "PEROTE",
    "XALAPA I",
    "XALAPA II",
    "COATEPEC",
    "EMILIANO ZAPATA",
    "VERACRUZ I",
    "VERACRUZ II",
    "BOCA DEL RÍO",
    "MEDELLÍN",
    "HUATUSCO",
    "CÓRDOBA",
    "ORIZABA",
    "CAMERINO Z. MENDOZA",
    "ZONGOLICA",
    "COSAMALOAPAN",
    "SANTIAGO TUXTLA",
    "SAN ANDRÉS TUXTLA",
    "COSOLEACAQUE",
    "ACAYUCAN",
    "MINATITLÁN",
    "COATZACOALCOS I",
    "COATZACOALCOS II",
)
CASILLA_TYPES = ("B", "C", "C", "E", "S")
NIGHT_START = datetime(2024, 6, 2, 20, 0)  # local time; progress is measured from here
NIGHT_HOURS = 20


def progress(cut: datetime, settings: Settings) -> float:
    """Share of actas captured at this cut: grows over the night; 30 % in drills before it."""
    start = NIGHT_START.replace(tzinfo=settings.tz)
    hours = (cut - start) / timedelta(hours=1)
    if hours < 0:
        return 0.3
    return min(1.0, 0.02 + 0.98 * hours / NIGHT_HOURS)


def _stamp(moment: datetime) -> str:
    return moment.strftime("%d/%m/%Y %H:%M:%S")


def results_csv(cut: datetime, rows: int, settings: Settings) -> tuple[bytes, dict]:
    """The results CSV (UTF-8 with BOM, header block, one row per acta) and its summary."""
    local = cut.astimezone(settings.tz)
    share = progress(cut, settings)
    rng = random.Random(f"difusor-synthetic:{rows}")  # the same actas whatever the cut
    body = io.StringIO()
    writer = csv.writer(body, lineterminator="\n")
    totals = dict.fromkeys(VOTE_COLUMNS, 0)
    captured = counted = nominal_counted = votes_counted = 0
    night = NIGHT_START.replace(tzinfo=settings.tz)
    span = max(60.0, (local - night).total_seconds())
    for index in range(rows):
        section = 1 + index // 3
        district = index % len(DISTRICTS)
        kind = CASILLA_TYPES[index % len(CASILLA_TYPES)]
        number = 1 + index % 3
        casilla = f"{ENTITY_ID}{section:04d}{kind}{number:02d}00"
        nominal = rng.randint(350, 750)
        threshold = rng.random()
        votes = [rng.randint(0, 60) for _ in VOTE_COLUMNS]
        odd = rng.random()
        offset = rng.random()
        is_captured = threshold < share
        if is_captured:
            cells = [str(vote) for vote in votes]
            if odd < 0.01:
                cells[rng.randrange(len(cells))] = "Ilegible"
            elif odd < 0.02:
                cells[rng.randrange(len(cells))] = "Sin dato"
            total = sum(int(cell) for cell in cells if cell.isdigit())
            is_counted = odd >= 0.02
            arrival = night + timedelta(seconds=span * offset * threshold / max(share, 1e-9))
            arrival = min(arrival, local)
            integrity = hashlib.sha256(f"acta:{casilla}:{rows}".encode()).hexdigest()
            row_tail = [
                str(total),
                str(total),
                str(nominal),
                str(rng.randint(0, 14)),
                "" if is_counted else "Excede lista nominal",
                "1" if is_counted else "0",
                "N/A",
                integrity,
                _stamp(arrival),
                _stamp(arrival + timedelta(minutes=1)),
                _stamp(arrival + timedelta(minutes=2)),
                "CASILLA",
                "ESCANER",
                "ACTA PREP",
                "1",
            ]
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
            row_tail = ["-", "-", str(nominal), "-", "Sin acta", "0", "N/A", "-"] + ["-"] * 7
        writer.writerow(
            [
                f"'{casilla}'",
                f"'{casilla}04'",
                str(ENTITY_ID),
                ENTITY,
                str(district + 1),
                DISTRICTS[district],
                str(section),
                str(number),
                kind,
                "0",
                "URBANA" if index % 4 else "NO URBANA",
                "ACTA DE ESCRUTINIO Y CÓMPUTO",
                *cells,
                *row_tail,
            ]
        )
    summary = {
        "ACTAS_ESPERADAS": rows,
        "ACTAS_REGISTRADAS": captured,
        "ACTAS_FUERA_CATALOGO": 0,
        "ACTAS_CAPTURADAS": captured,
        "PORCENTAJE_ACTAS_CAPTURADAS": f"{100 * captured / max(rows, 1):.4f}",
        "ACTAS_CONTABILIZADAS": counted,
        "PORCENTAJE_ACTAS_CONTABILIZADAS": f"{100 * counted / max(rows, 1):.4f}",
        "PORCENTAJE_ACTAS_INCONSISTENCIAS": f"{100 * (captured - counted) / max(rows, 1):.4f}",
        "ACTAS_NO_CONTABILIZADAS": captured - counted,
        "LISTA_NOMINAL_ACTAS_CONTABILIZADAS": nominal_counted,
        "TOTAL_VOTOS_C_CS": votes_counted,
        "TOTAL_VOTOS_S_CS": votes_counted,
        "PORCENTAJE_PARTICIPACION_CIUDADANA": (
            f"{100 * votes_counted / max(nominal_counted, 1):.4f}"
        ),
    }
    header = {
        settings.csv_election_line: ELECTION,
        settings.csv_cut_line: format_csv_cut(cut, settings),
        settings.csv_summary_header_line: ",".join(SUMMARY_COLUMNS),
        settings.csv_summary_values_line: ",".join(str(summary[c]) for c in SUMMARY_COLUMNS),
        settings.csv_rows_header_line: ",".join(ROW_COLUMNS),
    }
    block = "".join(f"{header.get(line, '')}\n" for line in range(1, max(header) + 1))
    text = block + body.getvalue()
    return text.encode("utf-8-sig"), {"summary": summary, "votes": totals}


def candidates_csv() -> bytes:
    lines = ["PARTIDO_CI,CANDIDATURA"] + [
        f"{party},CANDIDATURA SINTÉTICA {index}" for index, party in enumerate(PARTIES, 1)
    ]
    return ("\n".join(lines) + "\n").encode("utf-8-sig")


def site_files(cut: datetime, data: dict, settings: Settings) -> dict[str, bytes]:
    """The static site: index.html shows the cut; JS renders assets/data/resumen.json."""
    shown, ident = format_csv_cut(cut, settings), cut_id(cut, settings)
    index = f"""<!DOCTYPE html>
<html lang="es">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="prep-corte" content="{ident}">
<title>PREP {YEAR} Veracruz · {ELECTION} · corte {shown}</title>
<link rel="stylesheet" href="assets/css/prep.css">
</head>
<body data-corte="{ident}">
<header>
<img src="assets/img/logo.svg" alt="" width="48" height="48">
<h1>Programa de Resultados Electorales Preliminares {YEAR}</h1>
<p class="aviso">DATOS SINTÉTICOS DE PRUEBA: no son resultados reales.</p>
<p>Corte de información: <time id="corte" datetime="{cut.astimezone(settings.tz).isoformat()}">{shown}</time> (Tiempo del Centro)</p>
</header>
<main id="resultados"><p>Cargando resultados…</p></main>
<footer><a href="{ELECTION_CODE}_{YEAR}.csv">Base de datos (CSV)</a></footer>
<script src="assets/js/prep.js"></script>
</body>
</html>
"""  # noqa: E501
    script = f"""/* PREP {YEAR} synthetic site, corte {ident} */
"use strict";
(function () {{
  var main = document.getElementById("resultados");
  fetch("assets/data/resumen.json", {{cache: "no-store"}})
    .then(function (r) {{ return r.json(); }})
    .then(function (d) {{
      if (d.corte_id !== document.body.dataset.corte) {{ location.reload(); return; }}
      var rows = Object.keys(d.votos).map(function (k) {{
        return "<tr><th>" + k + "</th><td>" + d.votos[k] + "</td></tr>";
      }}).join("");
      main.innerHTML = "<p>Actas contabilizadas: " + d.resumen.ACTAS_CONTABILIZADAS +
        " de " + d.resumen.ACTAS_ESPERADAS + "</p><table>" + rows + "</table>";
    }});
}}());
"""
    style = (
        "body{font-family:system-ui,sans-serif;margin:0 auto;max-width:60rem;padding:1rem}"
        "\n.aviso{background:#fde68a;padding:.5rem}\ntable{border-collapse:collapse}"
        "\nth,td{border-bottom:1px solid #ccc;padding:.25rem 1rem;text-align:left}\n"
    )
    logo = (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 48 48">'
        '<circle cx="24" cy="24" r="22" fill="#7c2d12"/>'
        '<text x="24" y="30" font-size="14" text-anchor="middle" fill="#fff">PREP</text></svg>\n'
    )
    summary = {
        "corte": shown,
        "corte_id": ident,
        "sintetico": True,
        "eleccion": ELECTION,
        "entidad": ENTITY,
        "resumen": data["summary"],
        "votos": data["votes"],
    }
    return {
        "index.html": index.encode(),
        "assets/js/prep.js": script.encode(),
        "assets/css/prep.css": style.encode(),
        "assets/img/logo.svg": logo.encode(),
        "assets/data/resumen.json": (
            json.dumps(summary, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
        ).encode(),
    }


def package_files(cut: datetime, rows: int, settings: Settings) -> dict[str, bytes]:
    """Every file of the package, by path, with the manifest last."""
    csv_bytes, data = results_csv(cut, rows, settings)
    files = {
        f"{ELECTION_CODE}_{YEAR}.csv": csv_bytes,
        f"{ELECTION_CODE}_CANDIDATURAS_{YEAR}.csv": candidates_csv(),
        "LEEME.txt": (
            "Paquete de difusión SINTÉTICO generado por difusor para pruebas y simulacros.\n"
            "Los datos no son resultados reales.\n"
        ).encode(),
        settings.metadata_name: metadata_document(
            cut,
            synthetic=True,
            settings=settings,
            generator=f"difusor {__version__}",
            election=ELECTION,
            entity=ENTITY,
            actas=rows,
        ).encode(),
        **site_files(cut, data, settings),
    }
    manifest = "".join(
        sha256_line(hashlib.sha256(content).hexdigest(), path)
        for path, content in sorted(files.items())
    )
    files[settings.manifest_name] = manifest.encode()
    return files


def write_zip(target: Path, files: dict[str, bytes], cut: datetime, settings: Settings) -> None:
    stamp = cut.astimezone(settings.tz).timetuple()[:6]
    with zipfile.ZipFile(target, "w") as archive:
        for path in sorted(files):
            info = zipfile.ZipInfo(path, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (0o100644) << 16
            archive.writestr(info, files[path], compresslevel=6)


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
) -> Path:
    """Write ARCHIVE and ARCHIVE.sha256 into `out`; returns the archive's path."""
    settings = settings or Settings()
    if rows < 1:
        raise ValueError("rows must be at least 1")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    target = out / archive_name(cut, fmt, settings=settings)
    files = package_files(cut, rows, settings)
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
