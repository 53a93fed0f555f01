"""Render the report document in each format; write files with their .sha256 sidecars."""

from __future__ import annotations

import hashlib
import json
import textwrap
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

from difusor.compliance.messages import Messages
from difusor.compliance.verdicts import FAIL, MANUAL, NA, PASS, VERDICTS, WAIVED
from difusor.pdf import html_to_pdf

FORMATS = ("html", "pdf", "md", "json", "junit")
EXTENSIONS = {"html": "html", "pdf": "pdf", "md": "md", "json": "json", "junit": "junit.xml"}
TEMPLATES = Path(__file__).parent / "templates"
WRAP = 118  # characters of command output per line: fits A4 and Letter at 7 pt


def css_class(verdict: str) -> str:
    return "NA" if verdict == NA else verdict


def wrap(text: str, width: int = WRAP) -> str:
    """Hard-wrap long lines of command output, so that they print inside the page."""
    lines = []
    for line in str(text or "").splitlines() or [""]:
        lines.extend(
            textwrap.wrap(line, width, break_long_words=True, replace_whitespace=False) or [""]
        )
    return "\n".join(lines)


def overall(report: dict[str, Any], t: Messages) -> str:
    code = report["exit_code"]
    return t("overall_ok") if code == 0 else t("overall_fail") if code == 1 else t("overall_none")


def html(report: dict[str, Any], paper: str | None = None) -> str:
    import jinja2  # lazy: not on the servers

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    t = Messages(report["lang"])
    return env.get_template("report.html.j2").render(
        r=report,
        t=t,
        verdicts=VERDICTS,
        css=css_class,
        wrap=wrap,
        paper=paper,
        overall=overall(report, t),
    )


def pdf(report: dict[str, Any], paper: str = "a4") -> bytes:
    """The same HTML, laid out on A4 or Letter pages by xhtml2pdf (pure Python)."""
    return html_to_pdf(html(report, paper=paper), "the audit report")


def _md_cell(text: Any) -> str:
    return str(text if text is not None else "").replace("|", "\\|").replace("\n", " ")


def markdown(report: dict[str, Any]) -> str:
    t = Messages(report["lang"])
    cat = report["catalog"]
    out = [
        f"# {t('title')}",
        "",
        f"- {t('catalog')}: {cat['title_' + report['lang']]} (`{cat['file']}`, "
        f"{t('catalog_version')} {cat['version']}, SHA-256 `{cat['sha256']}`)",
        f"- {t('toolkit')}: {report['toolkit']['name']} {report['toolkit']['version']}",
        f"- {t('generated')}: {report['generated']['utc']} · {t('local_time')}: "
        f"{report['generated']['local']}",
        f"- {t('exit')}: **{report['exit_code']}** — {overall(report, t)}",
        f"- SHA-256: `{report['content_sha256']}`",
        "",
        f"## {t('summary')}",
        "",
        f"| {t('host')} | " + " | ".join(t.verdict(v) for v in VERDICTS) + " |",
        "|---|" + "---:|" * len(VERDICTS),
    ]
    for host in report["hosts"]:
        if host["status"] == "ok":
            counts = " | ".join(str(host["counts"][v]) for v in VERDICTS)
            out.append(f"| {_md_cell(host['name'])} | {counts} |")
        else:
            out.append(
                f"| {_md_cell(host['name'])} | **{t('unreachable')}**: {_md_cell(host['error'])} |"
                + " |" * (len(VERDICTS) - 1)
            )
    out += [
        "",
        f"**{t('rules_title')}.** {t('rules_text')}",
        "",
        f"**{t('hash_title')}.** {t('hash_text')}",
        "",
    ]
    for host in report["hosts"]:
        out += [f"## {t('host')}: {host['name']}", ""]
        if host["status"] != "ok":
            out += [f"**{t('unreachable')}**", "", "```", host["error"], "```", ""]
            continue
        out += [f"- {t('connection')}: `{host['url']}`"]
        out += [
            f"- {t.label('id_' + key, key)}: {value}"
            for key, value in host["identity"].items()
            if key not in ("name", "connection")
        ]
        out += [
            "",
            f"| {t('requirement')} | {t('kind')} | {t('mandatory')} | {t('verdict')} | "
            f"{t('reason')} |",
            "|---|---|---|---|---|",
        ]
        for row in host["requirements"]:
            out.append(
                f"| **{row['id']}** {_md_cell(row['title_' + report['lang']])} | "
                f"{t.kind(row['kind'])} | {t('yes') if row['mandatory'] else t('no')} | "
                f"**{t.verdict(row['verdict'])}** | {_md_cell(row['reason'])} |"
            )
        out += ["", f"### {t('evidence')}", ""]
        for row in host["requirements"]:
            out += [
                f"#### {row['id']} — {t.verdict(row['verdict'])}",
                "",
                f"> {row['text_es']}",
                "",
            ]
            if row["evidence_required"]:
                out += [f"*{t('evidence_required')}:* {row['evidence_required']}", ""]
            if row["waiver"]:
                waiver = row["waiver"]
                out += [
                    f"*{t('waiver')}* ({t('waiver_by')} {waiver['by']}): "
                    f"{waiver['justification']} — {t('waiver_replaces')}: "
                    f"{t.verdict(row['checked'])}",
                    "",
                ]
            for test in row["tests"]:
                out.append(
                    f"- `{test['name']}` ({t.test_status(test['status'])}): {test['summary']}"
                )
                for item in test["evidence"]:
                    if "command" in item:
                        out += ["", "  ```", f"  $ {item['command']}   [rc {item['rc']}]"]
                        out += [f"  {line}" for line in item["output"].splitlines()]
                        out += ["  ```"]
                    elif item.get("measured"):
                        out.append(
                            f"  - {t('measured')}: "
                            + "; ".join(f"{k}={v}" for k, v in item["measured"].items())
                        )
            out.append("")
    return "\n".join(out) + "\n"


def json_text(report: dict[str, Any]) -> str:
    return json.dumps(report, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def junit(report: dict[str, Any]) -> str:
    """One testsuite per host, one testcase per requirement (CI systems read it)."""
    suites = ET.Element("testsuites", name=f"difusor audit {report['catalog']['id']}")
    for host in report["hosts"]:
        suite = ET.SubElement(suites, "testsuite", name=host["name"])
        rows = host["requirements"]
        if host["status"] != "ok":
            case = ET.SubElement(suite, "testcase", classname=host["name"], name="reachable")
            ET.SubElement(case, "error", message=host["error"][:500]).text = host["error"]
            rows = []
        failures = skipped = 0
        for row in rows:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=f"{host['name']}.{row['id']}",
                name=f"{row['id']} {row['title_en']}",
            )
            detail = "\n".join(
                f"{test['name']}: {test['status']}: {test['summary']}" for test in row["tests"]
            )
            if row["verdict"] == FAIL:
                failures += 1
                ET.SubElement(case, "failure", message=row["reason"][:500]).text = detail
            elif row["verdict"] in (MANUAL, NA, WAIVED):
                skipped += 1
                ET.SubElement(case, "skipped", message=f"{row['verdict']}: {row['reason'][:480]}")
            elif row["verdict"] == PASS:
                ET.SubElement(case, "system-out").text = detail
        suite.set("tests", str(len(rows) or 1))
        suite.set("failures", str(failures))
        suite.set("skipped", str(skipped))
        suite.set("errors", "0" if host["status"] == "ok" else "1")
    ET.indent(suites)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suites, "unicode") + "\n"


RENDERERS: dict[str, Callable[..., str | bytes]] = {
    "html": html,
    "pdf": pdf,
    "md": markdown,
    "json": json_text,
    "junit": junit,
}


def write(
    report: dict[str, Any], formats: list[str], out_dir: Path, stem: str, paper: str = "a4"
) -> list[tuple[Path, str]]:
    """Write each format and FILE.sha256 beside it; returns (path, sha256) pairs."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in formats:
        content = pdf(report, paper) if fmt == "pdf" else RENDERERS[fmt](report)
        data = content.encode("utf-8") if isinstance(content, str) else content
        path = out_dir / f"{stem}.{EXTENSIONS[fmt]}"
        path.write_bytes(data)
        digest = hashlib.sha256(data).hexdigest()
        path.with_name(path.name + ".sha256").write_text(f"{digest}  {path.name}\n")
        written.append((path, digest))
    return written
