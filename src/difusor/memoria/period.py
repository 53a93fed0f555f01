"""The dates the call fixes for the memoria técnica, in Tiempo del Centro."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from difusor import call
from difusor.call import TIEMPO_DEL_CENTRO

STATS_FROM = call.STATS_FROM  # VII.a.ii: "durante el periodo del 2 al 9 de junio de 2024"
STATS_TO = call.STATS_TO
DUE = call.MEMORIA_DUE  # VII.b: "a más tardar el día 12 de junio de 2024"
# VI.a: publication from 20:00 on 2 June until at least 23:59 on 9 June (the end of that minute).
WINDOW_START = call.PUBLISH_FROM
WINDOW_END = call.KEEP_UNTIL + timedelta(minutes=1)

MONTHS_ES = [
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
]
MONTHS_EN = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def long_date(day: date, lang: str) -> str:
    if lang == "es":
        return f"{day.day} de {MONTHS_ES[day.month - 1]} de {day.year}"
    return f"{day.day} {MONTHS_EN[day.month - 1]} {day.year}"


def local(moment: datetime) -> datetime:
    return moment.astimezone(TIEMPO_DEL_CENTRO)


def short(moment: datetime | None) -> str:
    """DD/MM/YYYY HH:MM in Tiempo del Centro, as the PREP shows its cuts."""
    return "" if moment is None else local(moment).strftime("%d/%m/%Y %H:%M")
