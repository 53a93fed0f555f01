"""Verdict rules, waivers and exit codes of the audit."""

from datetime import date

import pytest

from difusor.compliance import catalog, verdicts
from difusor.errors import DifusorError

CATALOG = catalog.load()
TODAY = date(2024, 5, 20)


def result_of(ids, status, summary="measured"):
    return {
        "name": "t",
        "doc": "",
        "requirements": ids,
        "status": status,
        "summary": summary,
        "evidence": [],
    }


def rows(tests, waivers=None):
    return {row["id"]: row for row in verdicts.host_verdicts(CATALOG, tests, waivers or {}, TODAY)}


def test_rules():
    result = rows([
        result_of(["II.A.b"], "pass", "MemTotal 16.7 GB"),
        result_of(["II.C.c"], "pass"),
        result_of(["II.C.c"], "fail", "22/tcp open"),
        result_of(["II.C.c"], "na"),
        result_of(["II.A.c"], "manual", "rotational=1 in a kvm guest"),
        result_of(["VI.e"], "na", "no vantage"),
        result_of(["II.C.a"], "manual", "link 1000 Mb/s"),
    ])  # fmt: skip
    assert len(result) == len(CATALOG.requirements)
    assert result["II.A.b"]["verdict"] == "PASS" and "16.7" in result["II.A.b"]["reason"]
    assert result["II.C.c"]["verdict"] == "FAIL" and result["II.C.c"]["reason"] == "22/tcp open"
    assert result["II.A.c"]["verdict"] == "MANUAL"
    assert result["VI.e"]["verdict"] == "N/A"
    # manual kind: MANUAL with the evidence the auditor must see, and the measured values kept
    assert result["II.C.a"]["verdict"] == "MANUAL"
    assert "contrato" in result["II.C.a"]["reason"].lower()
    assert result["II.C.a"]["tests"][0]["summary"] == "link 1000 Mb/s"
    assert result["IV.a.ii"]["verdict"] == "MANUAL"
    # optional: N/A when absent, never FAIL
    assert result["II.C.e"]["verdict"] == "N/A"
    # an automated requirement that no test reported on
    assert result["II.B.b"]["verdict"] == "N/A"


def test_optional_never_fails():
    assert rows([result_of(["II.A.d"], "fail", "no UPS")])["II.A.d"]["verdict"] == "N/A"


def write(tmp_path, text):
    path = tmp_path / "waivers.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_waivers(tmp_path):
    path = write(
        tmp_path,
        """
- id: II.C.b
  justification: NAT 1:1 del proveedor; IP pública 148.204.1.10 asignada (contrato 2024-17)
  by: Jefatura de TI
  until: 2024-06-12
- id: II.B.a
  justification: Ubuntu 24.04 LTS autorizado por la UTSI (correo del 2024-04-10)
  by: UTSI
  until: 2024-05-01
""",
    )
    waivers = verdicts.load_waivers(path, CATALOG)
    result = rows(
        [result_of(["II.C.b"], "fail", "10.0.0.5"), result_of(["II.B.a"], "fail")], waivers
    )
    assert result["II.C.b"]["verdict"] == "WAIVED"
    assert result["II.C.b"]["checked"] == "FAIL"
    assert "NAT" in result["II.C.b"]["waiver"]["justification"]
    assert result["II.B.a"]["verdict"] == "FAIL"  # expired on 1 May
    assert result["II.B.a"]["waiver"]["active"] is False


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- id: II.Z.z\n  justification: x\n  by: y\n", "not in the catalog"),
        ("- id: II.C.b\n  justification: '  '\n  by: y\n", "written justification is required"),
        ("- id: II.C.b\n  by: y\n", "written justification is required"),
        ("- id: II.C.b\n  justification: x\n", "'by'"),
        ("- id: II.C.b\n  justification: x\n  by: y\n  until: pronto\n", "not a date"),
        ("id: II.C.b\n", "expected a list"),
    ],
)
def test_bad_waivers(tmp_path, text, message):
    with pytest.raises(DifusorError, match=message):
        verdicts.load_waivers(write(tmp_path, text), CATALOG)


def host(status="ok", failing=False, mandatory=True):
    row = {"mandatory": mandatory, "verdict": "FAIL" if failing else "PASS"}
    return {"status": status, "requirements": [row, {"mandatory": True, "verdict": "MANUAL"}]}


def test_exit_codes():
    assert verdicts.exit_code([host(), host()]) == 0
    assert verdicts.exit_code([host(), host(failing=True)]) == 1
    assert verdicts.exit_code([host(failing=True, mandatory=False)]) == 0
    assert verdicts.exit_code([host(), host(status="error")]) == 1
    assert verdicts.exit_code([host(status="error")]) == 2
    assert verdicts.exit_code([]) == 2


def test_pass_reason_names_two_checks_and_counts_the_rest():
    result = rows([result_of(["II.C.c"], "pass", f"check {n}") for n in range(4)])
    assert result["II.C.c"]["reason"] == "check 0; check 1 (+2)"
    assert len(result["II.C.c"]["tests"]) == 4


def test_manual_evidence_in_the_report_language():
    spanish = rows([])["IV.a.ii"]
    english = {row["id"]: row for row in verdicts.host_verdicts(CATALOG, [], {}, TODAY, "en")}[
        "IV.a.ii"
    ]
    assert spanish["reason"].startswith("Listado con nombre")
    assert english["reason"].startswith("List with name")
    assert english["evidence_required"] == english["reason"]
