"""From test results to one verdict per host and requirement: PASS, FAIL, MANUAL, N/A, WAIVED.

Rules (the report explains them too):
- kind manual: MANUAL, with the evidence an auditor must see and whatever the suite measured;
- otherwise, over the tests marked with the requirement: any failed -> FAIL; else any that
  could not decide (a VM disk, a frequency the host hides) -> MANUAL; else any passed -> PASS;
  else (all not applicable, e.g. a probe without a vantage point) -> N/A;
- kind optional: never FAIL; what is not present is N/A;
- a valid waiver turns the verdict into WAIVED; the verdict it replaces stays in the report.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from difusor.compliance.catalog import Catalog, Requirement
from difusor.errors import DifusorError

PASS, FAIL, MANUAL, NA, WAIVED = "PASS", "FAIL", "MANUAL", "N/A", "WAIVED"
VERDICTS = (PASS, FAIL, MANUAL, NA, WAIVED)


@dataclass(frozen=True)
class Waiver:
    id: str
    justification: str
    by: str
    until: date | None

    def active(self, today: date) -> bool:
        return self.until is None or today <= self.until

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "justification": self.justification,
            "by": self.by,
            "until": self.until.isoformat() if self.until else None,
        }


def load_waivers(path: Path | str, catalog: Catalog) -> dict[str, Waiver]:
    """A YAML list of {id, justification, by, until?}; an unknown id or no justification is an
    error that names the entry."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise DifusorError(f"cannot read the waivers {path}: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, list):
        raise DifusorError(f"waivers {path}: expected a list of {{id, justification, by, until}}")
    waivers: dict[str, Waiver] = {}
    problems = []
    for index, entry in enumerate(data):
        where = f"waiver {index}"
        if not isinstance(entry, dict):
            problems.append(f"{where}: not a mapping")
            continue
        ident = str(entry.get("id", ""))
        where += f" ({ident or 'no id'})"
        unknown = sorted(set(entry) - {"id", "justification", "by", "until"})
        if unknown:
            problems.append(f"{where}: unknown fields {', '.join(unknown)}")
        if ident not in catalog:
            problems.append(f"{where}: id {ident!r} is not in the catalog {catalog.path.name}")
        justification = " ".join(str(entry.get("justification") or "").split())
        if not justification:
            problems.append(f"{where}: a written justification is required")
        by = " ".join(str(entry.get("by") or "").split())
        if not by:
            problems.append(f"{where}: 'by' (who grants the waiver) is required")
        until = entry.get("until")
        if until is not None and not isinstance(until, date):
            try:
                until = date.fromisoformat(str(until))
            except ValueError:
                problems.append(f"{where}: until {until!r} is not a date (YYYY-MM-DD)")
                until = None
        if ident in waivers:
            problems.append(f"{where}: a second waiver for {ident}")
        waivers[ident] = Waiver(ident, justification, by, until)
    if problems:
        raise DifusorError(f"invalid waivers {path}:\n  " + "\n  ".join(problems))
    return waivers


def _base_verdict(req: Requirement, tests: list[dict[str, Any]], lang: str) -> tuple[str, str]:
    statuses = [test["status"] for test in tests]
    if req.kind == "manual":
        return MANUAL, req.evidence_text(lang)
    if any(status in ("fail", "error") for status in statuses):
        verdict = FAIL
        reason = next(t["summary"] for t in tests if t["status"] in ("fail", "error"))
    elif "manual" in statuses:
        verdict, reason = MANUAL, next(t["summary"] for t in tests if t["status"] == "manual")
    elif "pass" in statuses:
        verdict = PASS
        passed = [t["summary"] for t in tests if t["status"] == "pass" and t["summary"]]
        reason = "; ".join(passed[:2]) + (f" (+{len(passed) - 2})" if len(passed) > 2 else "")
    elif statuses:
        verdict, reason = NA, tests[0]["summary"]
    else:
        verdict, reason = NA, "no automated check covers it"
    if req.kind == "optional" and verdict in (FAIL, MANUAL):
        return NA, f"optional, not present: {reason}"
    if req.kind == "optional" and verdict == NA:
        return NA, req.evidence_text(lang)
    return verdict, reason


def host_verdicts(
    catalog: Catalog,
    tests: list[dict[str, Any]],
    waivers: dict[str, Waiver],
    today: date,
    lang: str = "es",
) -> list[dict[str, Any]]:
    """One entry per catalog requirement, in catalog order."""
    rows = []
    for req in catalog.requirements:
        covering = [test for test in tests if req.id in test["requirements"]]
        verdict, reason = _base_verdict(req, covering, lang)
        waiver = waivers.get(req.id)
        row: dict[str, Any] = {
            "id": req.id,
            "kind": req.kind,
            "mandatory": req.mandatory,
            "title_es": req.title_es,
            "title_en": req.title_en,
            "text_es": req.text_es,
            "evidence_required": req.evidence_text(lang),
            "params": req.params,
            "verdict": verdict,
            "reason": reason,
            "checked": verdict,
            "waiver": None,
            "tests": [
                {key: test[key] for key in ("name", "doc", "status", "summary", "evidence")}
                for test in covering
            ],
        }
        if waiver is not None:
            row["waiver"] = {**waiver.as_dict(), "active": waiver.active(today)}
            if waiver.active(today) and verdict != PASS:
                row["verdict"] = WAIVED
        rows.append(row)
    return rows


def exit_code(hosts: list[dict[str, Any]]) -> int:
    """0: every mandatory requirement passes or is waived on every host; 1: a failure or an
    unreachable host; 2: nothing could be checked at all."""
    if not hosts or all(host["status"] != "ok" for host in hosts):
        return 2
    if any(host["status"] != "ok" for host in hosts):
        return 1
    for host in hosts:
        for row in host["requirements"]:
            if row["mandatory"] and row["verdict"] == FAIL:
                return 1
    return 0
