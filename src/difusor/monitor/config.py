"""PORTALS.yml: what to watch and against which cut.

interval_s: 60            # between rounds (default 60)
timeout_s: 10             # per request (default 10)
period_min: 15            # the update period (default: the call's, I.H)
newest_cut: 20240602_2115 # the newest cut issued; else the `reference` portal's cut; else
reference: ople           #   the newest cut any portal shows
ca_file: /path/ca.pem     # verify TLS against this CA too (optional)
portals:
  - {name: ople, url: "https://prep.oplever.org.mx/"}
  - {name: uv, url: "https://prep.uv.mx/"}
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from difusor import call
from difusor.errors import DifusorError
from difusor.package.layout import CUT_ID_RE

KEYS = {"interval_s", "timeout_s", "period_min", "newest_cut", "reference", "ca_file", "portals"}


@dataclass(frozen=True)
class Portal:
    name: str
    url: str


@dataclass(frozen=True)
class MonitorConfig:
    portals: tuple[Portal, ...]
    interval_s: float = 60
    timeout_s: float = 10
    period_min: int = call.UPDATE_PERIOD_MIN
    newest_cut: str | None = None
    reference: str | None = None
    ca_file: Path | None = None


def load(path: Path) -> MonitorConfig:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise DifusorError(f"{path}: cannot read the portal list: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("portals"), list):
        raise DifusorError(f"{path}: expected a mapping with a list `portals`")
    unknown = sorted(set(data) - KEYS)
    if unknown:
        raise DifusorError(f"{path}: unknown keys {', '.join(unknown)}")
    portals = []
    for entry in data["portals"]:
        if not isinstance(entry, dict) or not entry.get("url"):
            raise DifusorError(f"{path}: each portal needs a url (and a name)")
        url = str(entry["url"])
        if urlsplit(url).scheme not in ("http", "https"):
            raise DifusorError(f"{path}: {url} is not an http(s) URL")
        portals.append(Portal(str(entry.get("name") or urlsplit(url).hostname), url))
    names = [portal.name for portal in portals]
    if len(set(names)) != len(names):
        raise DifusorError(f"{path}: two portals share a name")
    newest = data.get("newest_cut")
    if newest is not None and not CUT_ID_RE.fullmatch(str(newest)):
        raise DifusorError(f"{path}: newest_cut must be YYYYMMDD_HHMM, not {newest!r}")
    reference = data.get("reference")
    if reference is not None and reference not in names:
        raise DifusorError(f"{path}: reference {reference!r} is not a portal of the list")
    return MonitorConfig(
        portals=tuple(portals),
        interval_s=float(data.get("interval_s", 60)),
        timeout_s=float(data.get("timeout_s", 10)),
        period_min=int(data.get("period_min", call.UPDATE_PERIOD_MIN)),
        newest_cut=None if newest is None else str(newest),
        reference=reference,
        ca_file=Path(data["ca_file"]) if data.get("ca_file") else None,
    )
