"""The requirement catalog: schema validation naming the entry and field; suite coverage; every
entry quotes the call (compliance/sources/), whose digest the catalog records."""

import ast
import copy
import hashlib
import json
import re
from pathlib import Path

import pytest
import yaml

from difusor.compliance import catalog
from difusor.errors import DifusorError

ROOT = Path(__file__).resolve().parents[2]
SUITE = ROOT / "tests" / "compliance"
# The call's requirements on the difusor's server and its operation, in the call's own numbering,
# that the toolkit checks, provides or asks evidence for (the catalog may hold more).
CALL_IDS = [
    "II.A.a",
    "II.A.b",
    "II.A.c",
    "II.B.a",
    "II.B.b",
    "II.B.c",
    "II.B.d",
    "II.B.e",
    "II.C.a",
    "II.C.b",
    "II.C.c",
    "II.C.d",
    "II.C.e",
    "I.E.a",
    "I.E.b",
    "I.E.c",
    "I.E.d",
    "I.H",
    "III.c.ii",
    "III.c.iii",
    "IV.a.i",
    "V.ii.2",
    "V.ii.4",
    "VI.a",
    "VI.b",
    "VI.e",
    "VII.a.i",
    "VII.a.ii",
    "VII.a.iii",
    "VII.b",
]


@pytest.fixture
def document():
    return yaml.safe_load(catalog.default_catalog().read_text(encoding="utf-8"))


def test_default_catalog_is_valid_and_complete():
    loaded = catalog.load()
    assert loaded.id == "oplever-2024"
    missing = [ident for ident in CALL_IDS if ident not in loaded]
    assert not missing
    assert len(loaded.sha256) == 64
    for req in loaded.requirements:
        if req.kind in ("manual", "optional"):
            assert req.evidence and req.evidence_en, req.id
        if req.kind == "optional":
            assert not req.mandatory


def test_missing_field_names_entry_and_field(document):
    del document["requirements"][11]["title_en"]
    problems = catalog.validate(document)
    assert problems == [
        f"entry 11 ({document['requirements'][11]['id']}): missing required field title_en"
    ]


def test_unknown_id_names_the_entry(document):
    document["requirements"][2]["id"] = "II.X.zz"
    (problem,) = catalog.validate(document)
    assert problem.startswith("entry 2 (II.X.zz), field id: unknown requirement id")


def test_duplicate_id_wrong_kind_and_manual_without_evidence(document):
    bad = copy.deepcopy(document)
    bad["requirements"][1]["id"] = bad["requirements"][0]["id"]
    assert catalog.validate(bad) == ["entry 1 (I.A), field id: duplicate of entry 0"]
    bad = copy.deepcopy(document)
    bad["requirements"][0]["kind"] = "sometimes"
    assert "entry 0 (I.A), field kind" in catalog.validate(bad)[0]
    bad = copy.deepcopy(document)
    del bad["requirements"][0]["evidence"]
    assert catalog.validate(bad) == ["entry 0 (I.A): missing required field evidence"]
    bad = copy.deepcopy(document)
    bad["requirements"][0]["colour"] = "red"
    assert "unknown field" in catalog.validate(bad)[0]


def test_load_raises_a_clear_error(tmp_path, document):
    del document["requirements"][0]["text_es"]
    path = tmp_path / "other-call.yml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True))
    with pytest.raises(DifusorError, match=r"entry 0 \(I\.A\): missing required field text_es"):
        catalog.load(path)


def test_schema_is_a_json_schema():
    schema = json.loads(catalog.schema_path().read_text())
    assert schema["$defs"]["requirement"]["properties"]["kind"]["enum"] == list(catalog.KINDS)


def suite_markers() -> dict[str, list[str]]:
    """Test function -> requirement IDs, read from the suite's source (no host needed)."""
    found: dict[str, list[str]] = {}
    for module in sorted(SUITE.glob("test_*.py")):
        tree = ast.parse(module.read_text())
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                ids = [
                    arg.value
                    for deco in node.decorator_list
                    if isinstance(deco, ast.Call) and ast.unparse(deco.func).endswith("requirement")
                    for arg in deco.args
                ]
                found[f"{module.name}::{node.name}"] = ids
    return found


def test_every_suite_test_is_marked_with_catalog_ids():
    loaded = catalog.load()
    markers = suite_markers()
    assert len(markers) > 20
    for name, ids in markers.items():
        assert ids, f"{name} has no requirement marker"
        assert all(ident in loaded for ident in ids), name


def test_every_automated_and_probe_requirement_has_a_test():
    covered = {ident for ids in suite_markers().values() for ident in ids}
    uncovered = [
        req.id
        for req in catalog.load().requirements
        if req.kind in ("automated", "probe") and req.id not in covered
    ]
    assert not uncovered


def test_ids_follow_the_call_numbering():
    for req in catalog.load().requirements:
        assert re.fullmatch(r"(I|II|III|IV|V|VI|VII)(\.\w+)*", req.id)


def call_text(text: str, links: bool = True) -> str:
    """The call's text as the catalog quotes it: one space for any run of whitespace, straight
    quotes; links=False drops the lines that hold only a link, where the PDF's text extraction
    also put link targets (`https://...` in the middle of a sentence)."""
    link = re.compile(r"\s*(https?|mailto):\S+\s*")
    kept = [line for line in text.splitlines() if links or not link.fullmatch(line)]
    joined = " ".join(kept)
    for curly, straight in (("\u201c", '"'), ("\u201d", '"'), ("\u2018", "'"), ("\u2019", "'")):
        joined = joined.replace(curly, straight)
    return " ".join(joined.split())


def test_the_catalog_names_the_call_it_quotes_by_path_and_digest():
    loaded = catalog.load()
    source = loaded.source_path
    assert source is not None and source.is_file(), loaded.source
    assert source.is_relative_to(ROOT)  # in the repository, not beside the checkout
    assert hashlib.sha256(source.read_bytes()).hexdigest() == loaded.source_sha256


def quotes(text: str, quote: str) -> bool:
    """Every part of the quote between "[...]" is in the text, in order."""
    position = 0
    for fragment in (part.strip() for part in quote.split("[...]")):
        found = text.find(fragment, position)
        if found < 0:
            return False
        position = found + len(fragment)
    return True


def test_every_entry_quotes_the_call():
    """text_es is the call's own words; "[...]" marks what is left out."""
    loaded = catalog.load()
    raw = loaded.source_path.read_text(encoding="utf-8")
    texts = [call_text(raw), call_text(raw, links=False)]
    misquoted = [
        f"{req.id}: {req.text_es[:80]!r}"
        for req in loaded.requirements
        if not any(quotes(text, req.text_es) for text in texts)
    ]
    assert not misquoted, "not in the call's text:\n" + "\n".join(misquoted)
    assert not quotes(texts[0], "a. Número de visitantes. [...] I. Registro")  # order counts


def test_call_text_drops_link_lines_only_when_asked():
    raw = "al menos lo \n\nhttps://forms.gle/x\n siguiente: \u201cDifusor\u201d\nmailto:a@b.mx\n"
    assert call_text(raw, links=False) == 'al menos lo siguiente: "Difusor"'
    assert call_text(raw) == 'al menos lo https://forms.gle/x siguiente: "Difusor" mailto:a@b.mx'
    inline = "la página https://forms.gle/x del 27"
    assert call_text(inline, links=False) == inline
