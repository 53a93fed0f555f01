"""A portal's probe judged: how far its cut lags behind the newest cut issued, in update
periods (I.H), and the 45-minute condition (V.ii.4: three periods behind); TLS; embedding
(VI.e)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from difusor.monitor.config import MonitorConfig, Portal
from difusor.monitor.probe import Probe
from difusor.package.layout import parse_cut_id

INCIDENT_PERIODS = 3  # V.ii.4: 45 minutes, three periods
STATES = ("ok", "behind", "incident", "notice", "no-cut", "down")


@dataclass(frozen=True)
class Verdict:
    portal: Portal
    probe: Probe
    state: str  # one of STATES
    lag_s: float | None  # newest cut issued minus the cut shown
    periods_behind: int
    embedding: str  # allowed, restricted, denied
    tls_days: float | None  # days until the certificate expires

    @property
    def incident(self) -> bool:
        """The 45-minute condition: three periods behind, or not serving results at all."""
        return self.state in ("incident", "down", "no-cut")

    @property
    def flagged(self) -> bool:
        return self.state != "ok" or self.probe.tls_valid is False


def newest_cut(config: MonitorConfig, probes: dict[str, Probe]) -> str | None:
    """The newest cut issued: the configured one, the reference portal's, else the newest any
    portal shows."""
    if config.newest_cut:
        return config.newest_cut
    if config.reference:
        return probes[config.reference].cut
    shown = [probe.cut for probe in probes.values() if probe.cut]
    return max(shown) if shown else None


def embedding(probe: Probe) -> str:
    """Whether another site may frame the page (VI.e), by X-Frame-Options and CSP."""
    options = (probe.frame_options or "").strip().upper()
    ancestors = (probe.frame_ancestors or "").strip()
    if options == "DENY" or ancestors == "'none'":
        return "denied"
    if options == "SAMEORIGIN" or (ancestors and ancestors != "*"):
        return "restricted"
    return "allowed"


def judge(
    config: MonitorConfig, portal: Portal, probe: Probe, newest: str | None, now: datetime
) -> Verdict:
    lag = None
    behind = 0
    if probe.status == 0 or (probe.status >= 400 and not probe.notice):
        state = "down"
    elif probe.notice:
        state = "notice"
    elif probe.cut is None:
        state = "no-cut"
    else:
        state = "ok"
        if newest is not None:
            lag = (parse_cut_id(newest) - parse_cut_id(probe.cut)).total_seconds()
            behind = max(0, int(lag // (config.period_min * 60)))
            if behind >= INCIDENT_PERIODS:
                state = "incident"
            elif behind >= 1:
                state = "behind"
    days = None
    if probe.tls_expiry is not None:
        days = (probe.tls_expiry - now).total_seconds() / 86400
    return Verdict(portal, probe, state, lag, behind, embedding(probe), days)


def judge_all(
    config: MonitorConfig, probes: dict[str, Probe], now: datetime
) -> tuple[str | None, list[Verdict]]:
    newest = newest_cut(config, probes)
    portals: Sequence[Portal] = config.portals
    return newest, [judge(config, portal, probes[portal.name], newest, now) for portal in portals]
