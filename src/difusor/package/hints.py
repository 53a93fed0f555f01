"""What a rejection adds for the operator: which preset (or setting) would accept the file.

A rejection says what the file had; when another named preset would have accepted it, the
message says so (`preset 'ine' accepts it`), so that nobody tunes regular expressions on
election night. Each hint tries the other presets with the settings' own overrides kept.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable

from difusor.package import presets
from difusor.package.errors import PackageRejected, shown
from difusor.package.layout import Settings

SHOWN_NAMES = 5  # file names a message lists


def accepting_preset(settings: Settings, accepts: Callable[[Settings], bool]) -> str | None:
    """The first preset other than the one in force under which `accepts` holds."""
    for name in presets.PRESETS:
        if name == settings.preset:
            continue
        try:
            if accepts(dataclasses.replace(settings, preset=name)):
                return name
        except (PackageRejected, ValueError):
            continue
    return None


def preset_hint(settings: Settings, accepts: Callable[[Settings], bool], setting: str) -> str:
    """`: preset 'ine' accepts it (setting preset: ine)`, or which setting to change."""
    name = accepting_preset(settings, accepts)
    if name is not None:
        return f"; preset '{name}' accepts it (setting preset: {name})"
    return f"; no preset accepts it (preset in force: {settings.preset}): set {setting}"


def listed(paths: Iterable[str]) -> str:
    names = sorted(shown(path) for path in paths)
    more = f" and {len(names) - SHOWN_NAMES} more" if len(names) > SHOWN_NAMES else ""
    return ", ".join(names[:SHOWN_NAMES]) + more
