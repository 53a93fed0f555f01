"""The report's data: hosts, verdicts, evidence, times, versions, and its content hash.

Every format is rendered from this one document; `content_sha256` is the SHA-256 of its
canonical JSON (sorted keys, UTF-8, compact) without that field, so it is the same in all
formats and anyone can recompute it from the JSON report.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from difusor import __version__
from difusor.compliance.catalog import Catalog
from difusor.compliance.messages import check_text
from difusor.compliance.verdicts import VERDICTS, Waiver, exit_code, host_verdicts
from difusor.package.layout import format_offset

HASH_FIELD = "content_sha256"


def _times(moment: datetime, zone: str) -> dict[str, str]:
    local = moment.astimezone(ZoneInfo(zone))
    return {
        "utc": moment.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "local": f"{local:%Y-%m-%d %H:%M:%S} ({format_offset(local)})",
        "zone": zone,
    }


def localized(tests: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    """Test results with their summaries in the report's language (when they carry a message)."""
    out = []
    for test in tests:
        message = test.get("message")
        if message:
            test = {**test, "summary": check_text(message["key"], message["values"], lang)}
        out.append(test)
    return out


def host_entry(
    target: dict[str, Any],
    results: dict[str, Any],
    catalog: Catalog,
    waivers: dict[str, Waiver],
    lang: str = "es",
) -> dict[str, Any]:
    """One host of the report from its results file (or its failure to run)."""
    error = results.get("host_error") or ""
    tests = localized(results.get("tests", []), lang)
    if not error and not tests:
        error = results.get("run_error") or "the suite ran no test on this host"
    entry: dict[str, Any] = {
        "name": target["name"],
        "url": target["url"],
        "status": "error" if error else "ok",
        "error": error,
        "identity": results.get("identity", {}),
        "started_utc": results.get("started_utc"),
        "finished_utc": results.get("finished_utc"),
        "requirements": [],
        "counts": {},
    }
    if not error:
        today = datetime.now(ZoneInfo(catalog.timezone)).date()
        entry["requirements"] = host_verdicts(catalog, tests, waivers, today, lang)
        counts = Counter(row["verdict"] for row in entry["requirements"])
        entry["counts"] = {verdict: counts.get(verdict, 0) for verdict in VERDICTS}
    return entry


def build(
    catalog: Catalog,
    hosts: list[dict[str, Any]],
    waivers: dict[str, Waiver],
    lang: str,
    options: dict[str, Any],
    now: datetime,
) -> dict[str, Any]:
    report: dict[str, Any] = {
        "format": "difusor-audit/1",
        "lang": lang,
        "generated": _times(now, catalog.timezone),
        "toolkit": {"name": "difusor", "version": __version__},
        "catalog": {
            "id": catalog.id,
            "version": catalog.version,
            "title_es": catalog.title_es,
            "title_en": catalog.title_en,
            "file": catalog.path.name,
            "sha256": catalog.sha256,
        },
        "options": options,
        "waivers": [waiver.as_dict() for waiver in waivers.values()],
        "hosts": hosts,
        "exit_code": exit_code(hosts),
    }
    report[HASH_FIELD] = content_hash(report)
    return report


def canonical(report: dict[str, Any]) -> bytes:
    data = {key: value for key, value in report.items() if key != HASH_FIELD}
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def content_hash(report: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(report)).hexdigest()
