"""The dates and periods the official call fixes, in Tiempo del Centro: the one place the Python
code writes them (roles keep their own defaults in role `difusor` and `prep_web`; a unit test
holds those, and the catalog's VI.a window, equal to these).

Each is a default: a drill or a later election sets others through the host's facts
(`difusor.hostfacts`) or the settings files.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

TIMEZONE = "America/Mexico_City"  # Tiempo del Centro (UTC-6 all of 2024)
TIEMPO_DEL_CENTRO = ZoneInfo(TIMEZONE)

# VI.a: publication from 20:00 on 2 June 2024 until at least 23:59 on 9 June 2024.
PUBLISH_FROM = datetime(2024, 6, 2, 20, 0, tzinfo=TIEMPO_DEL_CENTRO)
KEEP_UNTIL = datetime(2024, 6, 9, 23, 59, tzinfo=TIEMPO_DEL_CENTRO)
# The PREP closes 24 hours after it opens: after that no new cut is expected.
PREP_CLOSES = datetime(2024, 6, 3, 20, 0, tzinfo=TIEMPO_DEL_CENTRO)
# I.H: four updates an hour.
UPDATE_PERIOD_MIN = 15
# VII.a.ii: the statistics cover 2 to 9 June 2024; VII.b: the memoria is due by 12 June 2024.
STATS_FROM = date(2024, 6, 2)
STATS_TO = date(2024, 6, 9)
MEMORIA_DUE = date(2024, 6, 12)


def local_text(moment: datetime) -> str:
    """'YYYY-MM-DD HH:MM' in Tiempo del Centro: how role variables and settings write a moment."""
    return moment.astimezone(TIEMPO_DEL_CENTRO).strftime("%Y-%m-%d %H:%M")
