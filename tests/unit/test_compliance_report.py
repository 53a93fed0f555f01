"""The report: every format from one document, the content hash, unreachable hosts."""

import hashlib
import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest

from difusor.compliance import catalog
from difusor.compliance.report import model, render
from difusor.compliance.verdicts import Waiver

CATALOG = catalog.load()
NOW = datetime(2024, 6, 3, 2, 30, tzinfo=UTC)


def results(status_by_id):
    return {
        "identity": {"hostname": "prep1", "os": "Ubuntu 22.04.4 LTS"},
        "started_utc": "2024-06-03T02:29:00+00:00",
        "finished_utc": "2024-06-03T02:30:00+00:00",
        "tests": [
            {
                "name": f"test_{ident}",
                "doc": "a check",
                "requirements": [ident],
                "status": status,
                "summary": f"{ident} measured <value>",
                "evidence": [
                    {"host": "prep1", "command": "cat /proc/meminfo", "rc": 0, "output": "x" * 300},
                    {"measured": {"MemTotal_GiB": 15.5}},
                ],
            }
            for ident, status in status_by_id.items()
        ],
    }


@pytest.fixture
def report():
    waivers = {"II.C.b": Waiver("II.C.b", "NAT 1:1 del proveedor", "Jefatura de TI", None)}
    hosts = [
        model.host_entry(
            {"name": "prep1", "url": "ssh://prep@prep1"},
            results({"II.A.b": "pass", "II.C.b": "fail", "II.B.d": "fail"}),
            CATALOG,
            waivers,
        ),
        model.host_entry(
            {"name": "prep2", "url": "ssh://prep@prep2"},
            {"host_error": "host prep2 unreachable: ssh: connect to host prep2 port 22: refused"},
            CATALOG,
            waivers,
        ),
    ]
    return model.build(CATALOG, hosts, waivers, "es", {"inventory": None}, NOW)


def test_document(report):
    first, second = report["hosts"]
    assert first["status"] == "ok" and len(first["requirements"]) == len(CATALOG.requirements)
    assert first["counts"]["WAIVED"] == 1 and first["counts"]["FAIL"] == 1
    assert second["status"] == "error" and "unreachable" in second["error"]
    assert report["exit_code"] == 1
    assert report["generated"]["utc"] == "2024-06-03 02:30:00 UTC"
    assert report["generated"]["local"] == "2024-06-02 20:30:00 (UTC-6)"
    assert report["catalog"]["sha256"] == CATALOG.sha256


def test_content_hash_covers_the_data(report):
    assert report["content_sha256"] == model.content_hash(report)
    recomputed = json.loads(render.json_text(report))
    assert model.content_hash(recomputed) == report["content_sha256"]
    recomputed["hosts"][0]["requirements"][0]["verdict"] = "PASS"
    assert model.content_hash(recomputed) != report["content_sha256"]


def test_html_markdown_junit(report):
    html = render.html(report)
    assert "Informe de auditoría de cumplimiento" in html
    assert report["content_sha256"] in html
    assert "NAT 1:1 del proveedor" in html and "DISPENSADO" in html
    assert "NO SE PUDO AUDITAR" in html and "refused" in html
    assert "measured &lt;value&gt;" in html  # escaped
    for req in CATALOG.requirements:
        assert f"<b>{req.id}</b>" in html
    md = render.markdown(report)
    assert "| prep1 |" in md and report["content_sha256"] in md
    suites = ET.fromstring(render.junit(report))
    prep1, prep2 = suites.findall("testsuite")
    assert prep1.get("failures") == "1"
    assert len(prep1.findall("testcase")) == len(CATALOG.requirements)
    assert prep2.find("testcase/error") is not None


def test_english(report):
    report = {**report, "lang": "en"}
    html = render.html(report)
    assert "Compliance audit report" in html and "WAIVED" in html
    assert "Informe de auditoría" not in html


def test_long_output_is_wrapped():
    wrapped = render.wrap("y" * 300)
    assert max(len(line) for line in wrapped.splitlines()) <= render.WRAP


def test_write_with_sidecars_and_pdf(report, tmp_path):
    written = render.write(report, ["html", "md", "json", "junit", "pdf"], tmp_path, "informe")
    assert [path.name for path, _ in written] == [
        "informe.html", "informe.md", "informe.json", "informe.junit.xml", "informe.pdf",
    ]  # fmt: skip
    for path, digest in written:
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest
        assert path.with_name(path.name + ".sha256").read_text() == f"{digest}  {path.name}\n"
    assert (tmp_path / "informe.pdf").read_bytes().startswith(b"%PDF")
