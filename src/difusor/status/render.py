"""`difusor status` printed: a table per refresh (rich, as the CLI's progress output), or JSON
for scripts. Texts in Spanish, or English with --lang en."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

from difusor import call
from difusor.status.view import HostView

LABELS: dict[str, dict[str, str]] = {
    "es": {
        "title": "difusores: corte en línea, vigilancia y portal",
        "host": "Servidor",
        "cut": "Corte en línea",
        "age": "Edad / periodo",
        "level": "Estado",
        "watchdog": "Vigilancia",
        "notice": "Aviso",
        "rpm": "Solicitudes/min",
        "errors": "5xx",
        "bans": "Bloqueos",
        "rejections": "Rechazos",
        "events": "Últimas llegadas y veredictos",
        "on": "SÍ",
        "off": "no",
        "missed": "{n} periodo(s) sin corte",
        "none": "ninguno",
        "unreachable": "sin datos",
        "refreshed": "actualizado {time} (Tiempo del Centro)",
    },
    "en": {
        "title": "difusores: live cut, watchdog and portal",
        "host": "Host",
        "cut": "Live cut",
        "age": "Age / period",
        "level": "State",
        "watchdog": "Watchdog",
        "notice": "Notice",
        "rpm": "Requests/min",
        "errors": "5xx",
        "bans": "Bans",
        "rejections": "Rejections",
        "events": "Last arrivals and verdicts",
        "on": "ON",
        "off": "off",
        "missed": "{n} period(s) missed",
        "none": "none",
        "unreachable": "no data",
        "refreshed": "refreshed {time} (Tiempo del Centro)",
    },
}
LEVEL_STYLE = {"fresh": "green", "warning": "yellow", "critical": "red", "incident": "bold red"}


def minutes(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    sign = "-" if seconds < 0 else ""
    whole = int(abs(seconds))
    return f"{sign}{whole // 60}m{whole % 60:02d}s"


def _optional(value: Any, form: str = "{}") -> str:
    return "-" if value is None else form.format(value)


def table(views: Sequence[HostView], lang: str = "es", now: datetime | None = None):
    """The rich renderable of one refresh."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    text = LABELS[lang]
    moment = (now or datetime.now(timezone.utc)).astimezone(call.TIEMPO_DEL_CENTRO)
    hosts = Table(title=text["title"], caption=text["refreshed"].format(time=f"{moment:%H:%M:%S}"))
    for key in ("host", "cut", "age", "level", "watchdog", "notice", "rpm", "errors", "bans",
                "rejections"):  # fmt: skip
        hosts.add_column(text[key])
    events = Table(title=text["events"], show_header=False, box=None)
    for view in views:
        if view.error:
            hosts.add_row(view.name, Text(f"{text['unreachable']}: {view.error}", "red"))
            continue
        age = f"{minutes(view.age_s)} / {minutes(view.period_s)}"
        if view.missed_periods:
            age += f" ({text['missed'].format(n=view.missed_periods)})"
        hosts.add_row(
            view.name,
            view.cut or text["none"],
            age,
            Text(view.level or "-", LEVEL_STYLE.get(view.level or "", "")),
            view.watchdog or "-",
            Text(text["on"], "bold red") if view.notice else text["off"],
            _optional(view.requests_per_minute, "{:.1f}"),
            _optional(None if view.error_ratio is None else view.error_ratio * 100, "{:.1f} %"),
            _optional(view.bans),
            str(view.rejections),
        )
        for event in view.events:
            verdict = event.get("event", "")
            detail = event.get("rule") or ""
            events.add_row(
                view.name,
                str(event.get("time") or "")[:19].replace("T", " "),
                Text(verdict, "red" if verdict == "rejected" else ""),
                str(event.get("cut") or "-"),
                detail,
            )
    return Group(hosts, events)


def as_json(views: Sequence[HostView], snapshots: Sequence[Any], now: datetime) -> str:
    """The snapshot for scripts: what is shown, and each host's raw figures."""
    return json.dumps(
        {
            "generated": now.isoformat(),
            "hosts": [
                {**view.as_dict(), "snapshot": snapshot.data}
                for view, snapshot in zip(views, snapshots, strict=True)
            ],
        },
        ensure_ascii=False,
        sort_keys=True,
    )
