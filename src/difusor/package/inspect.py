"""`difusor package inspect`: what an operator wants to see of a package on election night.

The package is verified as `verify` does (every rule, nothing written); the report then says the
preset in force, the cut, each election's summary line (actas esperadas, capturadas,
contabilizadas, participation) and every file with its size, inner archives' members included.
A rejected package gives the rejection instead. Spanish by default, English with lang="en".
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from difusor.package.errors import PackageRejected
from difusor.package.layout import Settings, format_csv_cut
from difusor.package.verify import csv_records, examine

SUMMARY_FIELDS = (
    ("ACTAS_ESPERADAS", "expected"),
    ("ACTAS_CAPTURADAS", "captured"),
    ("ACTAS_CONTABILIZADAS", "counted"),
    ("PORCENTAJE_PARTICIPACION_CIUDADANA", "participation"),
)
LABELS = {
    "es": {
        "valid": "válido",
        "rejected": "rechazado",
        "preset": "formato (preset)",
        "cut": "corte",
        "elections": "elecciones",
        "expected": "actas esperadas",
        "captured": "capturadas",
        "counted": "contabilizadas",
        "participation": "participación",
        "files": "archivos",
        "bytes": "bytes",
        "synthetic": "datos sintéticos",
        "rule": "regla",
    },
    "en": {
        "valid": "valid",
        "rejected": "rejected",
        "preset": "preset",
        "cut": "cut",
        "elections": "elections",
        "expected": "actas expected",
        "captured": "captured",
        "counted": "counted",
        "participation": "participation",
        "files": "files",
        "bytes": "bytes",
        "synthetic": "synthetic data",
        "rule": "rule",
    },
}


def summary_of(head: bytes, whole: bool, settings: Settings) -> dict[str, Any]:
    """The election and its summary line (as numbers where they are numbers)."""
    lines = csv_records(head, whole, settings, settings.csv_summary_values_line)

    def line(number: int) -> list[str]:
        return [cell.strip() for cell in lines[number - 1]] if len(lines) >= number else []

    names = line(settings.csv_summary_header_line)
    values = dict(zip(names, line(settings.csv_summary_values_line), strict=False))
    election = next((cell for cell in line(settings.csv_election_line) if cell), "")
    summary: dict[str, Any] = {"election": election}
    for column, key in SUMMARY_FIELDS:
        summary[key] = _number(values.get(column, ""))
    return summary


def _number(text: str) -> int | float | str | None:
    if not text:
        return None
    if text.isdigit():
        return int(text)
    try:
        return float(text)
    except ValueError:
        return text


def inspect(archive: Path, settings: Settings | None = None) -> dict[str, Any]:
    """The report of one package (a rejection is a report too: `valid` false)."""
    archive = Path(archive)
    settings = (settings or Settings()).for_archive(archive.name)
    try:
        verified, extraction = examine(archive, settings)
    except PackageRejected as exc:
        return {
            "archive": archive.name,
            "valid": False,
            "preset": settings.preset,
            "rule": exc.rule,
            "member": exc.member,
            "reason": str(exc),
        }
    records = {**extraction.files, **extraction.inner}
    elections = []
    for path in verified.results_csv:
        record = records[path]
        elections.append(
            {"path": path, **summary_of(record.head, len(record.head) >= record.size, settings)}
        )
    return {
        "archive": archive.name,
        "valid": True,
        "preset": verified.preset,
        "cut_id": verified.cut_id,
        "cut": format_csv_cut(verified.cut, settings),
        "sha256": verified.sha256,
        "synthetic": verified.synthetic,
        "manifest": verified.manifest,
        "elections": elections,
        "files": [{"path": path, "bytes": records[path].size} for path in sorted(records)],
        "total_bytes": sum(record.size for record in records.values()),
    }


def render(report: dict[str, Any], fmt: str = "text", lang: str = "es") -> str:
    if fmt == "json":
        return json.dumps(report, ensure_ascii=False, indent=2) + "\n"
    words = LABELS[lang]
    if not report["valid"]:
        return (
            f"{report['archive']}: {words['rejected']} ({words['preset']} {report['preset']}, "
            f"{words['rule']} {report['rule']})\n  {report['reason']}\n"
        )
    lines = [
        f"{report['archive']}: {words['valid']}",
        f"  {words['preset']}: {report['preset']}",
        f"  {words['cut']}: {report['cut_id']} ({report['cut']})"
        + (f", {words['synthetic']}" if report["synthetic"] else ""),
        f"  {words['elections']}:",
    ]
    for election in report["elections"]:
        lines.append(f"    {election['election']} ({election['path']})")
        lines.append(
            "      "
            + ", ".join(
                f"{words[key]} {_shown(election[key])}" + ("%" if key == "participation" else "")
                for _, key in SUMMARY_FIELDS
            )
        )
    lines.append(f"  {words['files']} ({len(report['files'])}, {report['total_bytes']} bytes):")
    lines.extend(f"    {item['bytes']:>12}  {item['path']}" for item in report["files"])
    return "\n".join(lines) + "\n"


def _shown(value: Any) -> str:
    return "?" if value is None else f"{value:,}" if isinstance(value, int) else str(value)
