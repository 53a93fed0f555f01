"""The statistics as JSON, CSV, Markdown or HTML (with charts)."""

from __future__ import annotations

import base64
import csv
import io
import json
from typing import Any

from difusor.stats import charts
from difusor.stats.labels import labels

FORMATS = ("json", "csv", "html", "md")
TOP_PAGES_SHOWN = 50
CSV_COLUMNS = (
    "date",
    "visitors",
    "page_views",
    "hits",
    "human_hits",
    "bot_hits",
    "bot_visitors",
    "visits",
    "mean_s",
    "median_s",
)


def duration(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, rest = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {rest:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def period(result: dict[str, Any], lang: str) -> str:
    text = labels(lang)
    if not result["from"] and not result["to"]:
        days = list(result["by_day"])
        return text["range"].format(start=days[0], end=days[-1]) if days else text["all"]
    return text["range"].format(start=result["from"] or "...", end=result["to"] or "...")


def to_json(result: dict[str, Any]) -> str:
    return json.dumps(result, ensure_ascii=False, indent=2) + "\n"


def _csv_row(key: str, figures: dict[str, Any]) -> list[Any]:
    return [
        key,
        figures["visitors"],
        figures["page_views"],
        figures["hits"],
        figures["human_hits"],
        figures["bots"]["hits"],
        figures["bots"]["visitors"],
        figures["time_on_site"]["visits"],
        figures["time_on_site"]["mean_s"],
        figures["time_on_site"]["median_s"],
    ]


def to_csv(result: dict[str, Any]) -> str:
    """One row per day (Tiempo del Centro) and a last row `total`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for key, figures in result["by_day"].items():
        writer.writerow(_csv_row(key, figures))
    writer.writerow(_csv_row("total", result))
    return buffer.getvalue()


def pages_csv(result: dict[str, Any]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(("path", "views"))
    writer.writerows((page["path"], page["views"]) for page in result["pages"])
    return buffer.getvalue()


def hours_csv(result: dict[str, Any]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(("date", "hour", "hits", "page_views", "visits", "bot_hits"))
    for key, figures in result["by_day"].items():
        for row in figures["by_hour"]:
            writer.writerow(
                (key, row["hour"], row["hits"], row["page_views"], row["visits"], row["bot_hits"])
            )
    return buffer.getvalue()


def summary_rows(result: dict[str, Any], lang: str) -> list[tuple[str, str]]:
    text = labels(lang)
    tos = result["time_on_site"]
    return [
        (text["visitors"], f"{result['visitors']:,}"),
        (text["visitors_distinct"], f"{result['visitors_distinct']:,}"),
        (text["page_views"], f"{result['page_views']:,}"),
        (text["hits"], f"{result['hits']:,}"),
        (text["human_hits"], f"{result['human_hits']:,}"),
        (text["bot_hits"], f"{result['bots']['hits']:,}"),
        (text["bot_visitors"], f"{result['bots']['visitors']:,}"),
        (text["visits"], f"{tos['visits']:,}"),
        (text["mean"], duration(tos["mean_s"])),
        (text["median"], duration(tos["median_s"])),
        (text["malformed"], f"{result['malformed_lines']:,}"),
        (text["out_of_range"], f"{result['out_of_range_lines']:,}"),
    ]


def day_rows(result: dict[str, Any]) -> list[list[str]]:
    return [
        [
            key,
            f"{day['visitors']:,}",
            f"{day['page_views']:,}",
            f"{day['hits']:,}",
            f"{day['bots']['hits']:,}",
            f"{day['time_on_site']['visits']:,}",
            duration(day["time_on_site"]["mean_s"]),
            duration(day["time_on_site"]["median_s"]),
        ]
        for key, day in result["by_day"].items()
    ]


def day_header(lang: str) -> list[str]:
    text = labels(lang)
    return [
        text["day"],
        text["visitors"],
        text["page_views"],
        "Hits",
        text["bot_hits"],
        text["visits"],
        text["mean"],
        text["median"],
    ]


def _md_table(header: list[str], rows: list[list[str]]) -> str:
    def line(cells: list[str]) -> str:
        return "| " + " | ".join(str(cell).replace("|", "\\|") for cell in cells) + " |"

    return "\n".join([line(header), line(["---"] * len(header)), *(line(row) for row in rows)])


def to_markdown(result: dict[str, Any], lang: str = "es", level: int = 1) -> str:
    """The report as Markdown; `level` is the level of its top heading (2 inside the memoria)."""
    text = labels(lang)
    h = "#" * level
    parts = [
        f"{h} {text['title']}",
        f"{text['period']}: {period(result, lang)}. {text['timezone']}.",
    ]
    if result["empty"]:
        parts.append(f"**{text['empty']}**")
    parts += [
        f"{h}# {text['summary']}",
        _md_table(["", ""], [list(row) for row in summary_rows(result, lang)]),
        f"{h}# {text['by_day']}",
        _md_table(day_header(lang), day_rows(result)),
        f"{h}# {text['distribution']}",
        _md_table(
            [text["duration"], text["visits"]],
            [
                [row["range"], f"{row['visits']:,}"]
                for row in result["time_on_site"]["distribution"]
            ],
        ),
        f"{h}# {text['pages']}",
        _md_table(
            [text["path"], text["views"]],
            [[page["path"], f"{page['views']:,}"] for page in result["pages"][:TOP_PAGES_SHOWN]],
        ),
    ]
    if len(result["pages"]) > TOP_PAGES_SHOWN:
        parts.append(f"(+{len(result['pages']) - TOP_PAGES_SHOWN} …)")
    parts += [f"{h}# {text['definitions']}", text["def_text"]]
    return "\n\n".join(parts) + "\n"


def chart_markup(result: dict[str, Any], lang: str, chart_format: str) -> dict[str, str]:
    """Charts as inline SVG, or as PNG <img> data URIs (for HTML-to-PDF converters); "none"."""
    if chart_format == "none":
        return {}
    rendered = charts.render_all(result, labels(lang), chart_format)
    if chart_format == "svg":
        return {name: data.decode("utf-8") for name, data in rendered.items()}
    return {
        name: f'<img src="data:image/png;base64,{base64.b64encode(data).decode()}" width="640">'
        for name, data in rendered.items()
    }


def html_context(result: dict[str, Any], lang: str, chart_format: str = "svg") -> dict[str, Any]:
    """What the HTML templates need (stats_body.html.j2)."""
    text = labels(lang)
    rendered = chart_markup(result, lang, chart_format)
    return {
        "r": result,
        "t": text,
        "lang": lang,
        "period": period(result, lang),
        "summary": summary_rows(result, lang),
        "day_header": day_header(lang),
        "days": day_rows(result),
        "pages": result["pages"][:TOP_PAGES_SHOWN],
        "more_pages": max(0, len(result["pages"]) - TOP_PAGES_SHOWN),
        "charts": rendered,
        "charts_missing": not rendered and not result["empty"],
    }


def environment() -> Any:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("difusor.stats", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def to_html(result: dict[str, Any], lang: str = "es") -> str:
    template = environment().get_template("stats.html.j2")
    return template.render(**html_context(result, lang))


def render(result: dict[str, Any], fmt: str, lang: str = "es") -> str:
    if fmt == "json":
        return to_json(result)
    if fmt == "csv":
        return to_csv(result)
    if fmt == "md":
        return to_markdown(result, lang)
    return to_html(result, lang)
