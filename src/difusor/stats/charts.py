"""Charts for the HTML output: visits per hour and top pages, as inline SVG (matplotlib, lazy)."""

from __future__ import annotations

import io
from typing import Any

TOP_PAGES = 15


def available() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def _figure(width: float, height: float) -> Any:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def _save(figure: Any, fmt: str) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format=fmt, metadata={"Date": None} if fmt == "svg" else None)
    return buffer.getvalue()


def hourly_series(result: dict[str, Any]) -> list[tuple[str, int, int]]:
    """(day, hour, visits) for every hour of every day in the result, zeros included."""
    series = []
    for day, figures in result["by_day"].items():
        visits = {row["hour"]: row["visits"] for row in figures["by_hour"]}
        series.extend((day, hour, visits.get(hour, 0)) for hour in range(24))
    return series


def visits_per_hour(result: dict[str, Any], labels: dict[str, str], fmt: str = "svg") -> bytes:
    series = hourly_series(result)
    figure = _figure(10, 3.2)
    axes = figure.add_subplot()
    axes.bar(range(len(series)), [visits for _, _, visits in series], width=1.0, color="#3b6ea5")
    ticks = [index for index, (_, hour, _) in enumerate(series) if hour == 0]
    axes.set_xticks(ticks, [series[index][0][5:] for index in ticks], fontsize=8)
    axes.set_xlim(-0.5, max(len(series), 1) - 0.5)
    axes.set_ylabel(labels["visits"])
    axes.set_title(labels["chart_visits"], fontsize=10)
    axes.grid(axis="y", alpha=0.3)
    return _save(figure, fmt)


def top_pages(result: dict[str, Any], labels: dict[str, str], fmt: str = "svg") -> bytes:
    pages = result["pages"][:TOP_PAGES]
    figure = _figure(10, 0.6 + 0.28 * max(len(pages), 1))
    axes = figure.add_subplot()
    names = [
        page["path"] if len(page["path"]) <= 60 else page["path"][:57] + "..." for page in pages
    ]
    axes.barh(range(len(pages)), [page["views"] for page in pages], color="#5a9e6f")
    axes.set_yticks(range(len(pages)), names, fontsize=8)
    axes.invert_yaxis()
    axes.set_xlabel(labels["page_views"])
    axes.set_title(labels["chart_pages"], fontsize=10)
    axes.grid(axis="x", alpha=0.3)
    return _save(figure, fmt)


def render_all(
    result: dict[str, Any], labels: dict[str, str], fmt: str = "svg"
) -> dict[str, bytes]:
    """{'visitas_por_hora': ..., 'paginas': ...}, or {} when matplotlib is missing or no data."""
    if result["empty"] or not available():
        return {}
    return {
        "visitas_por_hora": visits_per_hour(result, labels, fmt),
        "paginas": top_pages(result, labels, fmt),
    }
