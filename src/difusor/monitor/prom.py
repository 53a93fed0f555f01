"""The monitor's figures as metrics (OUT/monitor.prom), in the exposition format of the host's
metrics."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from difusor.metrics.exposition import Family, family, gauge, render
from difusor.monitor.evaluate import Verdict
from difusor.package.layout import parse_cut_id

PROM_NAME = "monitor.prom"


def _per_portal(name: str, help: str, verdicts: Sequence[Verdict], value) -> Family:
    pairs = []
    for verdict in verdicts:
        shown = value(verdict)
        if shown is not None:
            pairs.append(({"portal": verdict.portal.name}, shown))
    return family(name, "gauge", help, pairs)


def metrics(verdicts: Sequence[Verdict], newest: str | None, now: datetime) -> str:
    found = [
        gauge(
            "difusor_monitor_probe_timestamp_seconds",
            "When the portals were probed (Unix time).",
            now.timestamp(),
        )
    ]
    if newest is not None:
        found.append(
            gauge(
                "difusor_monitor_newest_cut_timestamp_seconds",
                "The newest cut issued (Unix time).",
                parse_cut_id(newest).timestamp(),
            )
        )
    found += [
        _per_portal(
            "difusor_portal_up",
            "1 when the portal answered with a page.",
            verdicts,
            lambda v: int(v.state != "down"),
        ),
        _per_portal(
            "difusor_portal_incident",
            "1 under the 45-minute condition (V.ii.4): three periods behind, or no results.",
            verdicts,
            lambda v: int(v.incident),
        ),
        _per_portal(
            "difusor_portal_notice",
            "1 when the portal serves the official notice.",
            verdicts,
            lambda v: int(v.probe.notice),
        ),
        _per_portal(
            "difusor_portal_cut_timestamp_seconds",
            "The cut the portal's page shows (Unix time).",
            verdicts,
            lambda v: parse_cut_id(v.probe.cut).timestamp() if v.probe.cut else None,
        ),
        _per_portal(
            "difusor_portal_cut_lag_seconds",
            "The newest cut issued minus the cut the portal shows.",
            verdicts,
            lambda v: v.lag_s,
        ),
        _per_portal(
            "difusor_portal_response_seconds",
            "How long the portal took to answer.",
            verdicts,
            lambda v: v.probe.elapsed_s,
        ),
        _per_portal(
            "difusor_portal_tls_valid",
            "1 when the portal's certificate verifies.",
            verdicts,
            lambda v: None if v.probe.tls_valid is None else int(v.probe.tls_valid),
        ),
        _per_portal(
            "difusor_portal_tls_expiry_timestamp_seconds",
            "When the portal's certificate expires (Unix time).",
            verdicts,
            lambda v: v.probe.tls_expiry.timestamp() if v.probe.tls_expiry else None,
        ),
        _per_portal(
            "difusor_portal_embeddable",
            "1 when another site may frame the pages (VI.e: no DENY, no frame-ancestors 'none').",
            verdicts,
            lambda v: int(v.embedding != "denied"),
        ),
    ]
    return render(found)
