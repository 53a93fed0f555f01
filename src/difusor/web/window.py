"""The publication window (VI.a): from the start of publication until the last results may go."""

from __future__ import annotations

from datetime import datetime, timezone

from difusor.errors import DifusorError
from difusor.package.layout import Settings


def in_window(now: datetime, settings: Settings) -> bool:
    return settings.publish_from <= now <= settings.keep_until


def window_open_now(publish_from: str, keep_until: str) -> bool:
    """For Ansible: is now inside the window given as 'YYYY-MM-DD HH:MM' (Tiempo del Centro)?"""
    settings = Settings.from_mapping({"publish_from": publish_from, "keep_until": keep_until})
    return in_window(datetime.now(timezone.utc), settings)


def refuse_in_window(now: datetime, settings: Settings, what: str, force: bool) -> None:
    """Stop an action that takes the results down while they must stay online, unless forced."""
    if force or not in_window(now, settings):
        return
    start = settings.publish_from.astimezone(settings.tz).strftime("%d/%m/%Y %H:%M")
    end = settings.keep_until.astimezone(settings.tz).strftime("%d/%m/%Y %H:%M")
    raise DifusorError(
        f"refusing to {what}: the results must stay online from {start} to {end} "
        "(Tiempo del Centro, call VI.a); pass --force if the electoral body asked for it"
    )
