"""Settings of the freshness watchdog (YAML; on a host, the facts' `web_settings`)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from difusor import call
from difusor.errors import DifusorError
from difusor.package.layout import parse_cut_arg


@dataclass(frozen=True)
class WatchdogSettings:
    """When the live cut counts as late (I.H: four cuts an hour; V.ii.4: 45 minutes)."""

    period_min: int = call.UPDATE_PERIOD_MIN  # the electoral body's update period
    grace_min: int = 5  # how late a cut may arrive before its period counts as missed
    watch_until: datetime = call.PREP_CLOSES  # after that no cut is expected
    auto_notice: bool = False  # turn notice mode on by itself after three missed periods

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> WatchdogSettings:
        known = {field.name for field in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise DifusorError(f"unknown watchdog settings: {', '.join(unknown)}")
        values: dict[str, Any] = {}
        for key, value in data.items():
            if key == "watch_until":
                try:
                    values[key] = parse_cut_arg(str(value), call.TIEMPO_DEL_CENTRO)
                except ValueError as exc:
                    raise DifusorError(f"watchdog setting {key}: {exc}") from None
            elif key == "auto_notice":
                if not isinstance(value, bool):
                    raise DifusorError("watchdog setting auto_notice must be true or false")
                values[key] = value
            elif not isinstance(value, int) or isinstance(value, bool) or value < _minimum(key):
                raise DifusorError(
                    f"watchdog setting {key} must be a whole number of minutes, "
                    f"at least {_minimum(key)}"
                )
            else:
                values[key] = value
        return dataclasses.replace(cls(), **values)


def _minimum(key: str) -> int:
    return 0 if key == "grace_min" else 1


def read_settings_file(path: Path, what: str) -> dict[str, Any] | None:
    """The mapping in a YAML settings file of the web side (`what` names it in errors); None
    when the file does not exist."""
    if not path.exists():
        return None
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise DifusorError(f"{path}: cannot read the {what}: {exc}") from exc
    if not isinstance(data, dict):
        raise DifusorError(f"{path}: expected a mapping of {what}")
    return data


def load_watchdog_settings(path: Path) -> WatchdogSettings:
    """The watchdog settings in a YAML file; defaults when it does not exist."""
    data = read_settings_file(path, "watchdog settings")
    return WatchdogSettings() if data is None else WatchdogSettings.from_mapping(data)
