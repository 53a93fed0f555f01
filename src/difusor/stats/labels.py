"""What readers see, in Spanish (default) and English."""

from __future__ import annotations

LABELS: dict[str, dict[str, str]] = {
    "es": {
        "title": "Estadísticas del portal",
        "period": "Periodo",
        "all": "todo el registro",
        "range": "del {start} al {end}",
        "timezone": "Fechas y horas en Tiempo del Centro (America/Mexico_City)",
        "empty": "No hay solicitudes en el periodo indicado.",
        "summary": "Resumen",
        "visitors": "Visitantes (suma de únicos por día)",
        "visitors_distinct": "Visitantes distintos en todo el periodo",
        "page_views": "Páginas consultadas",
        "hits": "Hits (todas las solicitudes, bots incluidos)",
        "human_hits": "Hits de personas",
        "bot_hits": "Hits de bots",
        "bot_visitors": "Bots (suma de únicos por día)",
        "malformed": "Líneas mal formadas (contadas y omitidas)",
        "out_of_range": "Líneas fuera del periodo",
        "visits": "Visitas",
        "mean": "Permanencia media",
        "median": "Permanencia mediana",
        "by_day": "Por día",
        "day": "Día",
        "hour": "Hora",
        "by_hour": "Por hora",
        "pages": "Listado de páginas consultadas",
        "path": "Página",
        "views": "Consultas",
        "distribution": "Distribución del tiempo de permanencia",
        "duration": "Duración de la visita",
        "chart_visits": "Visitas por hora (inicio de la visita, Tiempo del Centro)",
        "chart_pages": "Páginas más consultadas",
        "no_charts": "Gráficas no disponibles: instale matplotlib.",
        "files": "Archivos leídos",
        "definitions": "Definiciones",
        "def_text": (
            "Página consultada: solicitud GET de una persona, con estado 2xx o 304, de un "
            "documento HTML (ruta terminada en /, .html o .htm). Hit: toda solicitud bien "
            "formada, bots incluidos. Visitante: huella con sal secreta de IP y agente de usuario"
            " (ninguna IP aparece en el informe), única por día. Visita: solicitudes de un "
            "visitante sin pausas de más de 30 minutos; dura desde la primera hasta la última "
            "solicitud (una visita de una sola solicitud dura 0 s) y cuenta en el día y la hora "
            "en que empieza. Bot: agente de usuario vacío o que coincide con la lista documentada"
            " (bot, crawler, spider, curl, wget, python-requests, ...); se cuenta aparte y no "
            "entra en visitantes, páginas ni permanencia."
        ),
        "seconds": "s",
    },
    "en": {
        "title": "Portal statistics",
        "period": "Period",
        "all": "the whole log",
        "range": "{start} to {end}",
        "timezone": "Dates and hours in Tiempo del Centro (America/Mexico_City)",
        "empty": "No requests in the given period.",
        "summary": "Summary",
        "visitors": "Visitors (sum of daily uniques)",
        "visitors_distinct": "Distinct visitors over the whole period",
        "page_views": "Page views",
        "hits": "Hits (every request, bots included)",
        "human_hits": "Hits by people",
        "bot_hits": "Hits by bots",
        "bot_visitors": "Bots (sum of daily uniques)",
        "malformed": "Malformed lines (counted and skipped)",
        "out_of_range": "Lines outside the period",
        "visits": "Visits",
        "mean": "Mean time on site",
        "median": "Median time on site",
        "by_day": "Per day",
        "day": "Day",
        "hour": "Hour",
        "by_hour": "Per hour",
        "pages": "Pages viewed",
        "path": "Page",
        "views": "Views",
        "distribution": "Time on site distribution",
        "duration": "Visit duration",
        "chart_visits": "Visits per hour (visit start, Tiempo del Centro)",
        "chart_pages": "Most viewed pages",
        "no_charts": "Charts not available: install matplotlib.",
        "files": "Files read",
        "definitions": "Definitions",
        "def_text": (
            "Page view: a GET request by a person, status 2xx or 304, of an HTML document (path "
            "ending in /, .html or .htm). Hit: every well-formed request, bots included. Visitor: "
            "a secretly salted hash of IP and user agent (no IP appears in the report), unique per "
            "day. Visit: a visitor's requests with no pause longer than 30 minutes; it lasts from "
            "the first request to the last (a single-request visit lasts 0 s) and counts on the "
            "day and hour it starts. Bot: an empty user agent or one matching the documented list "
            "(bot, crawler, spider, curl, wget, python-requests, ...); counted apart, excluded "
            "from visitors, page views and time on site."
        ),
        "seconds": "s",
    },
}


def labels(lang: str) -> dict[str, str]:
    return LABELS[lang]
