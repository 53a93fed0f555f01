"""The monitor's status page (HTML, Spanish; English with --lang en): one row per portal, the
flagged ones marked, refreshed by the browser every round."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape

from difusor import call
from difusor.monitor.evaluate import Verdict

TEXT: dict[str, dict[str, str]] = {
    "es": {
        "title": "Monitor de portales PREP",
        "newest": "Corte más reciente emitido",
        "probed": "Revisado",
        "portal": "Portal",
        "state": "Estado",
        "cut": "Corte mostrado",
        "lag": "Retraso",
        "tls": "TLS",
        "expiry": "Vence en",
        "time": "Respuesta",
        "embed": "Inserción (VI.e)",
        "ok": "al día",
        "behind": "atrasado {n} periodo(s)",
        "incident": "INCIDENTE: {n} periodos (45 minutos) sin actualizar (V.ii.4)",
        "notice": "muestra el aviso (V.ii.4)",
        "no-cut": "INCIDENTE: la página no muestra corte",
        "down": "INCIDENTE: sin respuesta",
        "valid": "válido",
        "invalid": "NO VÁLIDO",
        "days": "{n:.0f} días",
        "allowed": "permitida",
        "restricted": "restringida",
        "denied": "bloqueada",
        "none": "ninguno",
    },
    "en": {
        "title": "PREP portal monitor",
        "newest": "Newest cut issued",
        "probed": "Probed",
        "portal": "Portal",
        "state": "State",
        "cut": "Cut shown",
        "lag": "Lag",
        "tls": "TLS",
        "expiry": "Expires in",
        "time": "Response",
        "embed": "Embedding (VI.e)",
        "ok": "up to date",
        "behind": "{n} period(s) behind",
        "incident": "INCIDENT: {n} periods (45 minutes) without an update (V.ii.4)",
        "notice": "serves the notice (V.ii.4)",
        "no-cut": "INCIDENT: the page shows no cut",
        "down": "INCIDENT: no answer",
        "valid": "valid",
        "invalid": "NOT VALID",
        "days": "{n:.0f} days",
        "allowed": "allowed",
        "restricted": "restricted",
        "denied": "blocked",
        "none": "none",
    },
}
STYLE = """body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}
td,th{border:1px solid #999;padding:.3em .6em}tr.flagged{background:#fdd}
tr.behind{background:#ffd}"""


def _cut(ident: str | None, text: dict[str, str]) -> str:
    if not ident:
        return text["none"]
    return f"{ident[6:8]}/{ident[4:6]}/{ident[0:4]} {ident[9:11]}:{ident[11:13]}"


def render(
    verdicts: Sequence[Verdict], newest: str | None, now: datetime, lang: str, refresh_s: float
) -> str:
    text = TEXT[lang]
    rows = []
    for verdict in verdicts:
        probe = verdict.probe
        state = text[verdict.state].format(n=verdict.periods_behind)
        css = "flagged" if verdict.flagged and verdict.state != "behind" else verdict.state
        if probe.error:
            state += f" ({probe.error})"
        tls = "-"
        if probe.tls_valid is not None:
            tls = text["valid"] if probe.tls_valid else f"{text['invalid']} ({probe.tls_error})"
        cells = [
            verdict.portal.name,
            state,
            _cut(probe.cut, text),
            "-" if verdict.lag_s is None else f"{verdict.lag_s / 60:.0f} min",
            tls,
            "-" if verdict.tls_days is None else text["days"].format(n=verdict.tls_days),
            "-" if probe.elapsed_s is None else f"{probe.elapsed_s * 1000:.0f} ms",
            text[verdict.embedding],
        ]
        body = "".join(f"<td>{escape(cell)}</td>" for cell in cells)
        rows.append(
            f'<tr class="{css}" data-portal="{escape(verdict.portal.name)}" '
            f'data-state="{verdict.state}">{body}</tr>'
        )
    heads = "".join(
        f"<th>{text[key]}</th>"
        for key in ("portal", "state", "cut", "lag", "tls", "expiry", "time", "embed")
    )
    local = now.astimezone(call.TIEMPO_DEL_CENTRO)
    return f"""<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="{max(5, int(refresh_s))}">
<title>{text["title"]}</title>
<style>{STYLE}</style>
</head>
<body>
<h1>{text["title"]}</h1>
<p>{text["newest"]}: <strong id="corte-emitido">{_cut(newest, text)}</strong> ·
{text["probed"]}: {local:%d/%m/%Y %H:%M:%S} (Tiempo del Centro)</p>
<table id="portales">
<thead><tr>{heads}</tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody>
</table>
</body>
</html>
"""
