"""Synthetic packages: real layout, deterministic, Veracruz scale quickly."""

import csv
import hashlib
import io
import json
import re
import time
import zipfile

from package_kit import CUT, LATER, served_csv

from difusor.package import generate, verify
from difusor.package.generate import VERACRUZ_ACTAS


def read(archive, name):
    with zipfile.ZipFile(archive) as handle:
        return handle.read(name)


def test_same_inputs_give_the_same_bytes(tmp_path):
    for fmt in ("zip", "tar.gz"):
        first = generate(CUT, tmp_path / "a", rows=50, fmt=fmt).read_bytes()
        second = generate(CUT, tmp_path / "b", rows=50, fmt=fmt).read_bytes()
        assert hashlib.sha256(first).digest() == hashlib.sha256(second).digest()


def test_csv_header_block_and_rows(tmp_path):
    archive = generate(CUT, tmp_path, rows=400)
    data = read(archive, served_csv())
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0] == "GUBERNATURA"
    assert lines[1] == "02/06/2024 20:15 (UTC-6)"
    assert lines[2] == "" and lines[5] == ""
    assert lines[3].startswith("ACTAS_ESPERADAS,ACTAS_REGISTRADAS,ACTAS_FUERA_CATALOGO,")
    summary = dict(zip(lines[3].split(","), lines[4].split(","), strict=True))
    assert int(summary["ACTAS_ESPERADAS"]) + int(summary["ACTAS_FUERA_CATALOGO"]) == 400
    header = lines[6].split(",")
    assert header[:2] == ["CLAVE_CASILLA", "CLAVE_ACTA"]
    assert {"CODIGO_INTEGRIDAD", "FECHA_HORA_ACOPIO"} <= set(header)
    rows = list(csv.DictReader(io.StringIO("\n".join(lines[6:]))))
    assert len(rows) == 400
    assert re.fullmatch(r"'30\d{4}[A-Z]\d{4}", rows[0]["CLAVE_CASILLA"])
    assert rows[-1]["CLAVE_CASILLA"] == "" and rows[-1]["CONTABILIZADA"] == "2"
    captured = [row for row in rows if row["CODIGO_INTEGRIDAD"] != "-" and row["CLAVE_CASILLA"]]
    assert captured and all(re.fullmatch(r"[0-9a-f]{64}", r["CODIGO_INTEGRIDAD"]) for r in captured)
    assert int(summary["ACTAS_CAPTURADAS"]) == len(captured)
    cells = {row["PAN"] for row in rows}
    assert "-" in cells


def test_site_and_metadata_show_the_cut(tmp_path):
    archive = generate(LATER, tmp_path, rows=5)
    assert "02/06/2024 20:30 (UTC-6)" in read(archive, "index.html").decode()
    assert re.search(rb'<script src="main\.[0-9a-f]{16}\.js"', read(archive, "index.html"))
    summary = json.loads(read(archive, "assets/data/resumen.json"))
    assert summary["corte_id"] == "20240602_2030" and summary["sintetico"] is True
    metadata = json.loads(read(archive, "metadata.json"))
    assert metadata["synthetic"] is True and metadata["cut"] == "2024-06-02T20:30-06:00"
    sidecar = archive.with_name(archive.name + ".sha256").read_text()
    assert sidecar == f"{hashlib.sha256(archive.read_bytes()).hexdigest()}  {archive.name}\n"


def test_later_cuts_have_more_actas_captured(tmp_path):
    def captured(cut):
        archive = generate(cut, tmp_path / cut.strftime("%H%M"), rows=300)
        lines = read(archive, served_csv(cut))
        return int(lines.decode("utf-8-sig").splitlines()[4].split(",")[3])

    assert captured(CUT) < captured(LATER.replace(hour=23))


def test_veracruz_scale_is_quick(tmp_path):
    start = time.perf_counter()
    archive = generate(CUT, tmp_path, rows=VERACRUZ_ACTAS)
    result = verify(archive)
    assert time.perf_counter() - start < 2.0
    assert result.total_bytes > 1_000_000
