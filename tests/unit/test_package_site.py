"""The site of a synthetic package: an Angular-shaped SPA at a production build's sizes, code
that compresses as real minified code does (never better), data that changes with the cut
while bundles and catalogs stay byte-identical, and the first page view."""

import gzip
import hashlib
import json
import re
import shutil
import subprocess
from datetime import timedelta

import pytest
from package_kit import CUT

from difusor.package import site, synthetic
from difusor.package.generate import VERACRUZ_ACTAS, package_files
from difusor.package.layout import Settings

STATE = synthetic.layout_settings("state", Settings())
VERACRUZ = (synthetic.Election("GUB", "VER"), synthetic.Election("DIP_LOC", "VER"))
CATALOGS = ("assets/data/catalogos/entidad.json", "assets/data/GUB/candidaturas.json")


def state_package(cut=CUT, rows=VERACRUZ_ACTAS):
    return package_files(cut, rows, STATE, "state", VERACRUZ)


@pytest.fixture(scope="module")
def night():
    """Two consecutive cuts of a Veracruz-sized state package."""
    return state_package(), state_package(CUT + timedelta(minutes=15))


def ratio(data: bytes) -> float:
    return len(data) / len(gzip.compress(data, 9))


def static(kind: str, files) -> bytes:
    suffix = "css" if kind == "styles" else "js"
    return files[site.bundle_path(files, kind, suffix)]


def test_bundles_have_production_sizes_and_compress_like_minified_code():
    files = site.static_files("VER", ("GUB", "DIP_LOC"))
    sizes = {
        "main": (450_000, 600_000),
        "vendor": (250_000, 350_000),
        "polyfills": (30_000, 40_000),
        "runtime": (2_000, 4_500),
        "styles": (60_000, 120_000),
    }
    for kind, (low, high) in sizes.items():
        assert low <= len(static(kind, files)) <= high, kind
    # gzip -9: an Angular build's JS about 4.5x, CSS 5-7x; more would flatter any benchmark.
    for kind in ("main", "vendor"):
        assert 4.0 <= ratio(static(kind, files)) <= 5.0, kind
    assert 5.0 <= ratio(static("styles", files)) <= 7.0
    (font,) = (path for path in files if path.endswith(".woff2"))
    assert files[font].startswith(b"wOF2") and 20_000 <= len(files[font]) <= 40_000
    assert ratio(files[font]) < 1.02  # woff2 is compressed already
    logos = [path for path in files if path.startswith("assets/img/partidos/")]
    assert {path.rsplit("/", 1)[1] for path in logos} >= {"PAN.svg", "MORENA.svg", "FXMV.svg"}
    assert all(1_000 <= len(files[path]) <= 6_000 for path in logos)
    assert files["favicon.ico"].startswith(b"\x00\x00\x01\x00")


def test_names_carry_the_content_hash():
    files = site.static_files("VER", ("GUB", "DIP_LOC"))
    for path, data in files.items():
        match = re.fullmatch(r"(?:.*/)?[\w-]+\.([0-9a-f]{16})\.(?:js|css|woff2)", path)
        if match:
            assert match.group(1) == hashlib.sha256(data).hexdigest()[:16]


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_bundles_are_valid_javascript(tmp_path):
    files = site.static_files("VER", ("GUB", "DIP_LOC"))
    for kind in site.BUNDLES:
        script = tmp_path / f"{kind}.mjs"
        script.write_bytes(static(kind, files))
        subprocess.run(["node", "--check", str(script)], check=True, capture_output=True)


def test_a_veracruz_package_has_hundreds_of_data_files_of_a_real_size(night):
    files, _ = night
    data = [path for path in files if path.startswith("assets/data/")]
    assert 300 <= len(data) <= 800
    assert "assets/data/GUB/distrito/30.json" in files
    assert "assets/data/DIP_LOC/seccion/1/1.json" in files
    for path in data:
        document = json.loads(files[path])
        assert 200 <= len(files[path]) <= 30_000, path
        if path not in CATALOGS and "candidaturas" not in path:
            assert document["corte_id"] == "20240602_2015", path
    summary = json.loads(files["assets/data/resumen.json"])
    assert set(summary) == {"corte", "corte_id", "sintetico", "eleccion", "entidad", "resumen"} | {
        "votos"
    }


def test_the_site_and_the_csv_agree(night):
    files, _ = night
    entity = json.loads(files["assets/data/GUB/entidad.json"])
    summary = json.loads(files["assets/data/resumen.json"])
    votes = {row["clave"]: row["votos"] for row in entity["votos"]}
    assert votes == summary["votos"]
    assert entity["actas"]["contabilizadas"] == int(summary["resumen"]["ACTAS_CONTABILIZADAS"])
    counted = sum(district["contabilizadas"] for district in entity["distritos"])
    assert counted == entity["actas"]["contabilizadas"]
    district = json.loads(files["assets/data/GUB/distrito/1.json"])
    page = json.loads(files["assets/data/GUB/seccion/1/1.json"])
    casillas = [casilla for section in page["secciones"] for casilla in section["casillas"]]
    assert len(page["columnas"]) == len(casillas[0][page["campos"].index("votos")])
    assert district["secciones"][0]["seccion"] == page["secciones"][0]["seccion"] == 1


def test_a_new_cut_changes_the_data_not_the_build(night):
    first, second = night
    assert set(first) - {p for p in first if p.endswith((".csv", ".zip"))} <= set(second) | {
        p for p in first if "_PREP_" in p
    }
    build = site.static_files("VER", ("GUB", "DIP_LOC"))
    for path in [*build, *CATALOGS]:
        assert first[path] == second[path], path
    for path in ("assets/data/resumen.json", "assets/data/GUB/entidad.json", "index.html"):
        assert first[path] != second[path], path
    data = [path for path in first if path.startswith("assets/data/")]
    changed = [path for path in data if first[path] != second.get(path)]
    assert len(changed) > 0.9 * len(data)


def test_index_keeps_what_other_tools_read(night):
    files, _ = night
    page = files["index.html"].decode()
    assert '<body data-corte="20240602_2015">' in page
    assert '<meta name="prep-corte" content="20240602_2015">' in page
    assert (
        '<time id="corte" datetime="2024-06-02T20:15:00-06:00">02/06/2024 20:15 (UTC-6)</time> '
        "(Tiempo del Centro)"
    ) in page
    assert "DATOS SINTÉTICOS DE PRUEBA" in page
    assert 'href="20240602_2015_PREP_GUB_VER/VER_GUB_2024.csv"' in page
    for kind in site.BUNDLES:
        assert f'src="{site.bundle_path(files, kind, "js")}"' in page
    main = static("main", files).decode()
    assert "resumen.json" in main and "location.reload()" in main


def test_page_view_lists_a_first_view_in_load_order(night, tmp_path):
    files, _ = night
    view = site.page_view(files)
    assert view[0] == "index.html"
    assert re.fullmatch(r"styles\.[0-9a-f]{16}\.css", view[1])
    assert [path.split(".")[0] for path in view[2:6]] == list(site.BUNDLES)
    assert view[6].startswith("assets/fonts/") and view[7] == "favicon.ico"
    assert view[8:12] == [
        "assets/data/resumen.json",
        "assets/data/catalogos/entidad.json",
        "assets/data/GUB/candidaturas.json",
        "assets/data/GUB/entidad.json",
    ]
    assert all(path.startswith("assets/img/partidos/") for path in view[12:])
    assert len(view[12:]) == len(site.candidacies("VER"))
    assert all(path in files for path in view)
    for path in view:  # the same from a tree (a release directory)
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_bytes(files[path])
    assert site.page_view(tmp_path) == view


@pytest.mark.parametrize("layout", ["ine", "computos"])
def test_other_layouts_have_the_same_site(layout):
    settings = synthetic.layout_settings(layout, Settings())
    elections = tuple(synthetic.Election(code, "NAC") for code in ("PRES", "SEN"))
    files = package_files(CUT, 90, settings, layout, elections)
    view = site.page_view(files)
    assert "assets/data/PRES/entidad.json" in view
    summary = json.loads(files["assets/data/resumen.json"])
    assert summary["corte_id"] == "20240602_2015" and summary["entidad"] == "NACIONAL"
    assert json.loads(files["assets/data/SEN/distrito/1.json"])["corte_id"] == "20240602_2015"


HARNESS = """
import {readFileSync} from "node:fs";
const root = process.argv[2], corte = process.argv[3];
const main = {innerHTML: "", textContent: ""};
globalThis.self = globalThis;
globalThis.location = {reload() { main.innerHTML = "RELOAD"; }};
globalThis.document = {body: {dataset: {corte}}, getElementById: () => main};
globalThis.fetch = async (url) => {
  const body = readFileSync(root + "/" + url, "utf8");
  return {ok: true, status: 200, json: async () => JSON.parse(body)};
};
for (const name of process.argv.slice(4)) await import(root + "/" + name);
setTimeout(() => console.log(main.innerHTML || main.textContent), 50);
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
@pytest.mark.parametrize("corte", ["20240602_2015", "20240602_2000"])
def test_the_main_bundle_renders_the_entity_page(tmp_path, corte):
    """The loader among the filler works: it shows the first election's results, or reloads
    when resumen.json names another cut than the page."""
    files = state_package(rows=120)
    for path, data in files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_bytes(data)
    harness = tmp_path / "harness.mjs"
    harness.write_text(HARNESS)
    scripts = [site.bundle_path(files, kind, "js") for kind in site.BUNDLES]
    shown = subprocess.run(
        ["node", str(harness), str(tmp_path), corte, *scripts],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    if corte == "20240602_2015":
        assert "Actas contabilizadas:" in shown and "assets/img/partidos/PAN.svg" in shown
        assert "GUBERNATURA · VERACRUZ" in shown
    else:
        assert shown.strip() == "RELOAD"
