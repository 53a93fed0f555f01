"""The audit on a cluster (docs/cluster.md): which checks apply to which part, and the verdicts of
the cluster's own checks (tests/compliance/test_cluster.py).

A host's part is the host facts' `cluster_part` (receiver, web_node, balancer; none for a
single-server difusor). A compliance test names the parts it applies to with the marker
`@pytest.mark.parts(*PARTS)` (on the test, or `pytestmark` for its module; the closest wins; no
marker: every part); on a host of another part the suite's autouse fixture records it N/A with
`not_applicable` (the reason names the host's part and who does that job instead).
"""

from __future__ import annotations

import json
from typing import Any

from difusor.compliance.checks import FAIL, MANUAL, NOT_APPLICABLE, PASS, Check, msg

RECEIVER, WEB_NODE, BALANCER, NONE = "receiver", "web_node", "balancer", "none"
ALL = (NONE, RECEIVER, WEB_NODE, BALANCER)
# What a check is about, and the parts that do it:
SITE = (NONE, WEB_NODE)  # the web container serves the site: HTTPS, the page, its logs, Docker
PACKAGES = (NONE, RECEIVER)  # the packages arrive, are verified and published: rsync, ingest
CUT = (NONE, RECEIVER, WEB_NODE)  # a live cut and its release tree
DISTRIBUTION = (RECEIVER,)  # the receiving node distributes the live cut to the web nodes
BALANCING = (BALANCER,)  # HAProxy in front of the web nodes
PORTAL = (NONE, BALANCER)  # the portal's public address, its certificate seen from outside
# The sentence of an N/A, by the parts a check applies to (messages.CHECK_TEXTS).
NA_SENTENCES = {
    SITE: "na_site",
    PACKAGES: "na_packages",
    CUT: "na_cut",
    DISTRIBUTION: "na_distribution",
    BALANCING: "na_balancing",
    PORTAL: "na_portal",
}


# II.C.c on each part (docs/cluster.md, section 7): (TCP ports open to anyone, ports open to
# trusted sources only). A single server keeps the catalog's. On a web node, 80 is open to the
# balancers only and 22 to the receiving node and the administration.
FIREWALL_PORTS = {
    BALANCER: ((80, 443), (22,)),
    RECEIVER: ((), (22, 873)),
    WEB_NODE: ((), (22, 80)),
}
BALANCERS_ONLY = {WEB_NODE: (80,)}  # what only the balancers reach: no vantage point probes it


# The receiving node runs no watchdog (it serves no site: each web node watches its own cut); it
# distributes instead.
DISTRIBUTOR_UNIT = "difusor-cluster.service"
WATCHDOG_UNIT = "difusor-watchdog.service"


def publisher_units(part: str, units: list[str]) -> list[str]:
    """The catalog's publisher units as they run on a host of `part`."""
    if part != RECEIVER:
        return units
    return [DISTRIBUTOR_UNIT if unit == WATCHDOG_UNIT else unit for unit in units]


def firewall_params(part: str, params: dict[str, Any]) -> dict[str, Any]:
    """The catalog's II.C.c parameters with the ports of the host's part."""
    if part not in FIREWALL_PORTS:
        return params
    public, trusted = FIREWALL_PORTS[part]
    return {**params, "public_tcp_ports": list(public), "trusted_tcp_ports": list(trusted)}


def probe_expectation(part: str, port: int, trusted: bool, params: dict[str, Any]) -> Check | bool:
    """Whether `port` should answer a trusted (or untrusted) vantage point on a host of `part`;
    a Check (N/A) for a port only the balancers reach."""
    if trusted and port in BALANCERS_ONLY.get(part, ()):
        return Check(
            NOT_APPLICABLE,
            msg("na_balancers_only", part=msg(f"part_{part}"), port=port),
            {"cluster_part": part, "port": port},
        )
    settings = firewall_params(part, params)
    allowed = set(settings["public_tcp_ports"])
    if trusted:
        allowed |= set(settings["trusted_tcp_ports"])
    return port in allowed


def applies(part: str, parts: tuple[str, ...] | None) -> bool:
    return parts is None or part in parts


def not_applicable(part: str, parts: tuple[str, ...]) -> Check:
    """The N/A of a check that applies to `parts` on a host of `part`."""
    key = NA_SENTENCES.get(tuple(parts), "na_part")
    return Check(
        NOT_APPLICABLE,
        msg(key, part=msg(f"part_{part}"), parts=[msg(f"part_{p}") for p in parts]),
        {"cluster_part": part, "applies_to": list(parts)},
    )


def _json(text: str) -> Any:
    lines = (text or "").strip().splitlines()
    try:
        return json.loads(lines[-1]) if lines else None
    except ValueError:
        return None


def check_balancer(haproxy_state: str, status_output: str, config: str) -> Check:
    """On a balancer: HAProxy active; every server of backend prep_web up and not in maintenance;
    the health checks require the cluster's cut (/healthz?min= from the cut map, which holds a
    cut). `status_output`: the balancer agent's `status` ({"cut", "servers"})."""
    status = _json(status_output)
    requires_cut = "/healthz?min=" in config and "difusor-cut.map" in config
    if not isinstance(status, dict) or not isinstance(status.get("servers"), dict):
        error = status.get("error") if isinstance(status, dict) else None
        return Check(
            FAIL,
            msg(
                "balancer_unreadable",
                state=haproxy_state or "-",
                error=str(error or (status_output or "").strip()[-200:] or "-"),
            ),
            {"haproxy": haproxy_state, "status": status},
        )
    servers = status["servers"]
    down = sorted(name for name, s in servers.items() if not s.get("up"))
    maintenance = sorted(name for name, s in servers.items() if s.get("maintenance"))
    cut = status.get("cut")
    ok = (
        haproxy_state == "active"
        and bool(servers)
        and not down
        and not maintenance
        and requires_cut
        and bool(cut)
    )
    return Check(
        PASS if ok else FAIL,
        msg(
            "balancer",
            state=haproxy_state or "-",
            up=len(servers) - len(down),
            total=len(servers),
            down=", ".join(down) or "-",
            maintenance=", ".join(maintenance) or "-",
            cut=cut or "-",
            requires_cut=requires_cut,
        ),
        {
            "haproxy": haproxy_state,
            "cut": cut,
            "servers": servers,
            "health_check_requires_cut": requires_cut,
        },
    )


def check_nodes_serve_live_cut(status_output: str) -> Check:
    """On the receiving node: every web node's live cut is the receiver's (`difusor cluster
    status`: {"live", "nodes": {name: {"live"} | {"error"}}}). Nothing live yet: MANUAL."""
    status = _json(status_output)
    if not isinstance(status, dict) or not isinstance(status.get("nodes"), dict):
        shown = (status_output or "").strip()[-200:] or "-"
        return Check(FAIL, msg("cluster_status_unreadable", output=shown), {"status": status})
    live, nodes = status.get("live"), status["nodes"]
    if not nodes:
        return Check(FAIL, msg("cluster_no_nodes"), {"live": live, "nodes": {}})
    unreachable = {name: n["error"] for name, n in nodes.items() if "error" in n}
    behind = {
        name: n.get("live")
        for name, n in nodes.items()
        if "error" not in n and n.get("live") != live
    }
    measured = {"live": live, "nodes": nodes}
    if live is None and not unreachable:
        return Check(MANUAL, msg("cluster_nothing_live", total=len(nodes)), measured)
    ok = not unreachable and not behind
    return Check(
        PASS if ok else FAIL,
        msg(
            "cluster_nodes",
            cut=live or "-",
            same=len(nodes) - len(unreachable) - len(behind),
            total=len(nodes),
            behind=", ".join(f"{name} {cut or '-'}" for name, cut in sorted(behind.items())) or "-",
            unreachable=", ".join(
                f"{name} ({error})" for name, error in sorted(unreachable.items())
            )
            or "-",
        ),
        measured,
    )
