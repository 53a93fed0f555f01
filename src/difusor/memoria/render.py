"""The memoria técnica as Markdown, HTML or PDF (xhtml2pdf, pure pip, from the HTML)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from difusor.memoria.build import Memoria
from difusor.memoria.incidents import KINDS, POINT_KINDS
from difusor.memoria.period import DUE, long_date, short
from difusor.memoria.text import TEXT, describe
from difusor.pdf import html_to_pdf
from difusor.stats import render as stats_render
from difusor.stats.render import duration

FORMATS = ("html", "pdf", "md")


def incident_rows(memoria: Memoria, lang: str) -> list[list[str]]:
    text = TEXT[lang]
    return [
        [
            short(incident.start),
            "-"
            if incident.kind in POINT_KINDS
            else short(incident.end)
            if incident.end
            else text["open"],
            duration(incident.duration_s) if incident.duration_s is not None else "",
            incident.host,
            text[f"k_{incident.kind}"],
            describe(incident, lang),
        ]
        for incident in memoria.incidents
    ]


def kind_counts(memoria: Memoria, lang: str) -> list[list[str]]:
    counts = Counter(incident.kind for incident in memoria.incidents)
    return [[TEXT[lang][f"k_{kind}"], str(counts[kind])] for kind in KINDS if counts[kind]]


def observations(memoria: Memoria, lang: str) -> list[str]:
    """Improvement points the data suggests, for the team to keep, edit or drop."""
    text = TEXT[lang]
    found = []
    rejected = [i for i in memoria.incidents if i.kind == "rejected"]
    if rejected:
        rules = ", ".join(sorted({str(i.fields["rule"]) for i in rejected}))
        found.append(text["s3_rejected"].format(n=len(rejected), rules=rules))
    late = sum(1 for i in memoria.incidents if i.kind == "late_cut")
    if late:
        found.append(text["s3_late"].format(n=late))
    notices = sum(1 for i in memoria.incidents if i.kind == "notice")
    if notices:
        found.append(text["s3_notice"].format(n=notices))
    hours = [
        (row["visits"], day, row["hour"])
        for day, figures in memoria.stats["by_day"].items()
        for row in figures["by_hour"]
    ]
    if hours:
        visits, day, hour = max(hours)
        if visits:
            found.append(text["s3_peak"].format(hour=f"{day} {hour:02d}:00", visits=visits))
    return found


def context(memoria: Memoria, lang: str, chart_format: str = "svg") -> dict[str, Any]:
    text = TEXT[lang]
    thresholds = memoria.thresholds
    span = memoria.log_span
    publication = []
    for host in memoria.hosts:
        summary = memoria.publication.get(host.name)
        publication.append(
            {
                "host": host.name,
                "summary": summary,
                "first": short(summary["first_cut"]) if summary else "",
                "last": short(summary["last_cut"]) if summary else "",
                "events": ", ".join(f"{k}: {v}" for k, v in summary["events"].items())
                if summary
                else "",
            }
        )
    return {
        "m": memoria,
        "tx": text,
        "lang": lang,
        "draft": text["draft"].format(generated=short(memoria.generated)),
        "due": text["due"].format(due=long_date(DUE, lang)),
        "hosts": ", ".join(host.name for host in memoria.hosts),
        "publication": publication,
        "incident_header": [
            text["start"],
            text["end"],
            text["duration"],
            text["host"],
            text["kind"],
            text["detail"],
        ],
        "incidents": incident_rows(memoria, lang),
        "kinds": kind_counts(memoria, lang),
        "thresholds": text["thresholds"].format(
            gap=thresholds.period_min + thresholds.tolerance_min,
            late=thresholds.late_arrival_min,
            silent=thresholds.silent_min,
        ),
        "log_span": text["log_span"].format(first=short(span[0]), last=short(span[1]))
        if span
        else text["no_logs"],
        "prompts": text["s3_prompts"].split("|"),
        "observations": observations(memoria, lang),
        **{
            "stats_" + k: v
            for k, v in stats_render.html_context(memoria.stats, lang, chart_format).items()
        },
    }


def _md_table(header: list[str], rows: list[list[str]]) -> str:
    def line(cells: list[str]) -> str:
        return (
            "| " + " | ".join(str(c).replace("|", "\\|").replace("\n", " ") for c in cells) + " |"
        )

    return "\n".join([line(header), line(["---"] * len(header)), *(line(row) for row in rows)])


def to_markdown(memoria: Memoria, lang: str = "es") -> str:
    text = TEXT[lang]
    ctx = context(memoria, lang, chart_format="none")
    parts = [
        f"# {text['title']}",
        f"**{text['subtitle']}**",
        f"> {ctx['draft']}\n>\n> **{ctx['due']}**",
    ]
    if memoria.difusor:
        parts.append(f"{text['difusor']}: {memoria.difusor}")
    parts += [f"{text['hosts']}: {ctx['hosts']}. {text['sources']}", f"## {text['s1']}"]
    parts.append(text["s1_intro"])
    parts.append(f"### {text['publication']}")
    parts.append(
        _md_table(
            [
                text["host"],
                text["published_cuts"],
                text["first_cut"],
                text["last_cut"],
                text["events"],
            ],
            [
                [p["host"], str(p["summary"]["published_cuts"]), p["first"], p["last"], p["events"]]
                if p["summary"]
                else [p["host"], text["no_journal"], "", "", ""]
                for p in ctx["publication"]
            ],
        )
    )
    if ctx["incidents"]:
        parts.append(f"### {text['summary_by_kind']}")
        parts.append(_md_table([text["kind"], text["count"]], ctx["kinds"]))
        parts.append(_md_table(ctx["incident_header"], ctx["incidents"]))
    else:
        parts.append(f"**{text['no_incidents']}**")
    parts += [ctx["thresholds"], f"## {text['s2']}", text["s2_intro"], ctx["log_span"]]
    parts.append(stats_render.to_markdown(memoria.stats, lang, level=3).split("\n", 2)[2])
    parts += [f"## {text['s3']}", text["s3_intro"]]
    if ctx["observations"]:
        parts.append(f"### {text['s3_from_data']}")
        parts.append("\n".join(f"- {item}" for item in ctx["observations"]))
    for prompt in ctx["prompts"]:
        parts.append(f"### {prompt}\n\n{text['to_complete']}")
    return "\n\n".join(parts) + "\n"


def to_html(memoria: Memoria, lang: str = "es", chart_format: str = "svg") -> str:
    from difusor.stats.render import environment

    env = environment()
    env.loader = _loader()
    return env.get_template("memoria.html.j2").render(**context(memoria, lang, chart_format))


def _loader() -> Any:
    import jinja2

    return jinja2.ChoiceLoader(
        [
            jinja2.PackageLoader("difusor.memoria", "templates"),
            jinja2.PackageLoader("difusor.stats", "templates"),
        ]
    )


def to_pdf(memoria: Memoria, lang: str = "es") -> bytes:
    """PDF through xhtml2pdf (pure pip; charts as PNG, since it draws no inline SVG)."""
    return html_to_pdf(to_html(memoria, lang, chart_format="png"), "the memoria")


def write(memoria: Memoria, directory: Path, formats: list[str], lang: str) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in formats:
        path = directory / f"memoria_tecnica.{fmt}"
        if fmt == "pdf":
            path.write_bytes(to_pdf(memoria, lang))
        elif fmt == "html":
            path.write_text(to_html(memoria, lang), encoding="utf-8")
        else:
            path.write_text(to_markdown(memoria, lang), encoding="utf-8")
        written.append(path)
    return written
