"""The 2024 layouts: generated packages of each verify and publish with no settings (cómputos
with its preset), presets and overrides, and rejections that name the preset that accepts."""

import dataclasses
import io
import zipfile
from datetime import datetime

import pytest
from package_kit import AFTER_WINDOW, CUT, SETTINGS, TZ, base_files, make_zip, served_csv

from difusor.errors import DifusorError
from difusor.package import PackageRejected, Settings, generate, publish, verify
from difusor.package.layout import cut_id
from difusor.package.presets import FORMAT_FIELDS, PRESETS

COMPUTOS = dataclasses.replace(SETTINGS, preset="computos")
# The row header of a Veracruz 2024 state CSV (issue 15): the common set, with Veracruz's
# ID_MUNICIPIO, MUNICIPIO, CAND_IND_n and COTEJADA, its local party (FXMV) and the four
# combinations of each three-party coalition.
VERACRUZ_HEADER = ",".join(
    (
        "CLAVE_CASILLA,CLAVE_ACTA,ID_ENTIDAD,ENTIDAD,ID_DISTRITO,DISTRITO,ID_MUNICIPIO,MUNICIPIO",
        "SECCION,ID_CASILLA,TIPO_CASILLA,EXT_CONTIGUA,UBICACION_CASILLA,TIPO_ACTA",
        "TOTAL_BOLETAS_SOBRANTES,TOTAL_PERSONAS_VOTARON,TOTAL_REP_PARTIDO_CI_VOTARON",
        "TOTAL_VOTOS_SACADOS,PAN,PRI,PRD,PVEM,PT,MC,MORENA,FXMV",
        "C_PAN_PRI_PRD,C_PAN_PRI,C_PAN_PRD,C_PRI_PRD",
        "C_PVEM_PT_MORENA,C_PVEM_PT,C_PVEM_MORENA,C_PT_MORENA",
        "CAND_IND_1,CAND_IND_2,NO_REGISTRADAS,NULOS,TOTAL_VOTOS_ASENTADO,TOTAL_VOTOS_CALCULADO",
        "LISTA_NOMINAL,REPRESENTANTES_PP_CI,OBSERVACIONES,CONTABILIZADA,MECANISMOS_TRASLADO",
        "CODIGO_INTEGRIDAD,FECHA_HORA_ACOPIO,FECHA_HORA_CAPTURA,FECHA_HORA_VERIFICACION",
        "ORIGEN,DIGITALIZACION,TIPO_DOCUMENTO,COTEJADA",
    )
)
EVERY_ACTA_CAPTURED = datetime(2024, 6, 3, 20, 0, tzinfo=TZ)


@pytest.mark.parametrize(
    ("layout", "settings", "preset"),
    [("state", SETTINGS, "state"), ("ine", SETTINGS, "ine"), ("computos", COMPUTOS, "computos")],
)
def test_each_layout_verifies_and_publishes(tmp_path, layout, settings, preset):
    archive = generate(CUT, tmp_path / "out", rows=60, layout=layout)
    result = verify(archive, settings)
    assert result.preset == preset and result.cut_id == cut_id(CUT)
    assert len(result.results_csv) == (2 if layout == "state" else 3)
    published = publish(archive, tmp_path / "srv", now=AFTER_WINDOW, settings=settings)
    assert published.live
    events = [line for line in (tmp_path / "srv" / "journal.jsonl").read_text().splitlines()]
    assert all(f'"preset": "{preset}"' in line for line in events)


def test_the_state_layout_is_the_real_one(tmp_path):
    archive = generate(CUT, tmp_path, rows=30, elections=("GUB", "DIP_LOC"), entity="VER")
    assert archive.name == f"{cut_id(CUT)}_PREP_VER.zip"
    with zipfile.ZipFile(archive) as handle:
        names = set(handle.namelist())
        readme = handle.read("LEEME.txt")
        data = handle.read(served_csv())
    folder = f"{cut_id(CUT)}_PREP_DIP_LOC_VER"
    assert {served_csv(), f"{folder}/VER_DIP_LOC_2024.csv"} <= names
    assert f"{folder}/VER_DIP_LOC_Candidaturas_2024.csv" in names
    assert readme.startswith(b"\xef\xbb\xbf") and "index.html" in names
    lines = data.decode("utf-8-sig").split("\n")
    assert lines[1] == "02/06/2024 20:15 (UTC-6)" and lines[3].startswith("ACTAS_ESPERADAS,")
    assert lines[6].startswith("CLAVE_CASILLA,CLAVE_ACTA,ID_ENTIDAD,ENTIDAD,")
    assert lines[7].startswith("'30") and ",SIN ACTA," in data.decode("utf-8-sig")


def test_a_veracruz_state_csv_has_its_column_set_and_the_real_row_size(tmp_path):
    """Veracruz 2024 at the last cut: 11,000 actas per election, about 445 bytes each."""
    archive = generate(EVERY_ACTA_CAPTURED, tmp_path, rows=11_000, layout="state", entity="VER")
    for election in ("GUB", "DIP_LOC"):
        with zipfile.ZipFile(archive) as handle:
            lines = handle.read(served_csv(EVERY_ACTA_CAPTURED, election)).split(b"\n")
        assert lines[6].decode() == VERACRUZ_HEADER
        rows = [line for line in lines[7:] if line]
        assert len(rows) == 11_000
        assert {row.count(b",") for row in rows} == {VERACRUZ_HEADER.count(",")}
        assert b",SIN ACTA," not in b"\n".join(rows)  # every acta is in
        per_row = sum(len(row) + 1 for row in rows) / len(rows)
        assert 430 <= per_row <= 460, f"{election}: {per_row:.1f} bytes per row"


def test_computos_csvs_are_latin1_pipe_separated_with_quoted_keys(tmp_path):
    archive = generate(CUT, tmp_path, rows=30, layout="computos", elections=("PRES",))
    assert archive.name == f"{cut_id(CUT)}_COMPUTOS.zip"
    with zipfile.ZipFile(archive) as outer:
        inner = outer.read(f"{cut_id(CUT)}_COMPUTOS_PRES.zip")
    with zipfile.ZipFile(io.BytesIO(inner)) as handle:
        data = handle.read("PRES_2024.csv")
    lines = data.decode("latin-1").split("\n")
    assert lines[0] == "sep=|" and lines[1] == "PRESIDENCIA DE LA REPÚBLICA"
    assert lines[7].startswith("CLAVE_CASILLA|") and lines[8].startswith('="')


def test_a_computos_package_under_auto_names_the_preset_that_accepts_it(tmp_path):
    archive = generate(CUT, tmp_path, rows=10, layout="computos")
    with pytest.raises(PackageRejected) as info:
        verify(archive, SETTINGS)
    assert info.value.rule == "bad-name"
    assert "preset 'computos' accepts it (setting preset: computos)" in str(info.value)


def test_no_results_csv_says_what_the_package_has_and_which_preset_reads_it(tmp_path):
    files = {**base_files(), "PUE_GUB_2024.csv": base_files()["GUB_2024.csv"]}
    del files["GUB_2024.csv"]
    settings = dataclasses.replace(SETTINGS, results_csv_pattern=r"[A-Z]+_\d{4}\.csv")
    with pytest.raises(PackageRejected) as info:
        verify(make_zip(tmp_path, base=files), settings)
    message = str(info.value)
    assert info.value.rule == "no-results-csv"
    assert "the package has PUE_GUB_2024.csv" in message
    assert "no preset accepts it (preset in force: state): set results_csv_pattern" in message


def test_a_state_csv_in_an_ine_package_names_the_state_preset(tmp_path):
    state_csv = base_files()["GUB_2024.csv"]
    archive = make_zip(tmp_path, [("PRES_2024.csv", state_csv)], name=f"{cut_id(CUT)}_PREP.zip")
    with pytest.raises(PackageRejected) as info:
        verify(archive, SETTINGS)
    assert info.value.rule == "bad-csv"
    assert "preset 'state' accepts it" in str(info.value)


def test_presets_and_overrides():
    assert Settings().preset == "auto"
    assert Settings().for_archive("20240603_2000_PREP.zip").preset == "ine"
    assert Settings().for_archive("20240603_2000_PREP_PUE.zip").preset == "state"
    custom = Settings.from_mapping({"preset": "ine", "csv_delimiter": "|"})
    assert (custom.csv_delimiter, custom.csv_rows_header_line) == ("|", 5)
    again = dataclasses.replace(custom, preset="state")
    assert (again.csv_delimiter, again.csv_rows_header_line) == ("|", 7)
    assert all(set(preset.values) == set(FORMAT_FIELDS) for preset in PRESETS.values())
    with pytest.raises(DifusorError, match="known presets are: auto, state, ine, computos"):
        Settings.from_mapping({"preset": "oplever"})
