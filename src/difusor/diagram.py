"""`difusor diagram`: the service diagram the call asks for (IV.a.i), from an inventory.

For each host of group `difusores`: the DNS name and TLS of the portal (nginx container), the
ports open to the Internet (80/443) and to the electoral body's trusted sources only (873 rsync
daemon, 22 rsync over SSH and administration), the results pipeline inside the server (incoming
-> verify -> releases/<cut> + current -> nginx) and NTP out (udp/123). Written as SVG (text kept
as text) and PNG with matplotlib; Spanish labels by default, English with lang="en".

A cluster (groups prep_receivers, prep_web_nodes, prep_balancers inside difusores, issue 18) is
drawn as one panel: the electoral body pushing (873 rsync, 22 rsync over SSH, trusted sources only)
to the receiving node(s), which verify once and distribute each release over SSH (22) to every
web node in two phases and control the balancer; the Internet -> the balancer (HAProxy: 80
redirects, 443 terminates TLS) -> the web nodes on port 80 over the private network (the nodes
trust X-Forwarded-For only from the balancer), with the health check /healthz?min=<cut>. Hosts of
difusores outside those groups are still drawn one panel each, as a single server.

Values come from the inventory (difusor.inventory: host and group variables over the roles'
defaults); simple templates (`{{ var }}`) are resolved, others are shown as written.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from difusor.errors import DifusorError
from difusor.hostfacts import HostFacts
from difusor.inventory import GROUP, Inventory, find_checkout, read, resolve, role_defaults

DEFAULTS = HostFacts()  # what a host has where the inventory says nothing
# The cluster's groups (issue 18), children of difusores.
RECEIVERS, WEB_NODES, BALANCERS = "prep_receivers", "prep_web_nodes", "prep_balancers"
CLUSTER_GROUPS = (RECEIVERS, WEB_NODES, BALANCERS)

LABELS: dict[str, dict[str, str]] = {
    "es": {
        "title": "Diagrama del servicio del Difusor PREP (IV.a.i)",
        "internet": "Internet: visitantes",
        "internet_note": "navegadores y el portal del difusor (VI.e)",
        "dns": "DNS",
        "body": "Órgano electoral (OPLE Veracruz)",
        "trusted": "fuentes de confianza (II.C.c)",
        "no_trusted": "(ninguna declarada)",
        "server": "servidor",
        "firewall": "ufw: entrada denegada salvo estos puertos; fail2ban (SSH, web) (II.C.c)",
        "web": "contenedor nginx",
        "tls": "termina TLS",
        "cert": "certificado",
        "rsyncd": "rsync daemon",
        "module": "módulo",
        "user": "usuario",
        "sshd": "sshd",
        "ssh_push": "rsync por SSH",
        "admin": "administración",
        "incoming": "entrada",
        "verify": "verificar y publicar",
        "verify_note": "SHA-256, manifiesto, corte (V.ii.2)",
        "releases": "cortes publicados",
        "current": "current -> último corte (I.H, VI.b)",
        "ntp": "Servidores NTP (II.B.d)",
        "ntp_out": "udp/123 saliente",
        "chrony": "chrony (cliente NTP)",
        "anyone": "desde cualquier origen",
        "only_trusted": "solo fuentes de confianza",
        "push": "paquete + .sha256 cada 15 min",
        "serves": "sirve",
        "generated": "generado por difusor diagram desde",
        "tls_provided": "del difusor (provided)",
        "tls_selfsigned": "autofirmado, solo pruebas (selfsigned)",
        "cluster_title": "clúster",
        "balancer": "balanceador",
        "haproxy": "HAProxy: termina TLS (un certificado, una renovación)",
        "redirect": "80: redirige a https",
        "backend": "backend prep_web: un servidor por nodo web",
        "health": "prueba de salud: GET /healthz?min=<corte>",
        "health_note": "un nodo atrasado queda fuera (503)",
        "receiver": "nodo receptor",
        "verify_once": "verifica una vez y publica (V.ii.2)",
        "distribute": "difusor-cluster.service: reparte por SSH en dos fases",
        "journal": "bitácora: node_staged, node_switched, node_failed,",
        "journal2": "node_out, node_in, cluster_live",
        "web_node": "nodo web",
        "node_web": "nginx",
        "plain_http": "HTTP sin TLS, red privada",
        "xff_from": "X-Forwarded-For solo de",
        "node_agent": "sshd: agente del nodo (status, stage, switch)",
        "to_nodes": "HTTP 80 + X-Forwarded-For",
        "stage_switch": "SSH 22: stage <corte>, luego switch",
        "control": "SSH 22: cut / out / in (controla el balanceador)",
        "only_balancer": "solo desde el balanceador",
        "only_receiver": "solo desde el receptor",
        "cluster_firewall": "ufw en cada host: entrada denegada salvo los puertos dibujados; "
        "fail2ban (II.C.c)",
        "cluster_ntp": "todos: chrony, udp/123 saliente a",
        "none": "(ninguno)",
        "private": "red privada",
    },
    "en": {
        "title": "PREP Difusor service diagram (IV.a.i)",
        "internet": "Internet: visitors",
        "internet_note": "browsers and the difusor's portal (VI.e)",
        "dns": "DNS",
        "body": "Electoral body (OPLE Veracruz)",
        "trusted": "trusted sources (II.C.c)",
        "no_trusted": "(none declared)",
        "server": "server",
        "firewall": "ufw: incoming denied except these ports; fail2ban (SSH, web) (II.C.c)",
        "web": "nginx container",
        "tls": "terminates TLS",
        "cert": "certificate",
        "rsyncd": "rsync daemon",
        "module": "module",
        "user": "user",
        "sshd": "sshd",
        "ssh_push": "rsync over SSH",
        "admin": "administration",
        "incoming": "incoming",
        "verify": "verify and publish",
        "verify_note": "SHA-256, manifest, cut (V.ii.2)",
        "releases": "published cuts",
        "current": "current -> latest cut (I.H, VI.b)",
        "ntp": "NTP servers (II.B.d)",
        "ntp_out": "udp/123 outgoing",
        "chrony": "chrony (NTP client)",
        "anyone": "from anywhere",
        "only_trusted": "trusted sources only",
        "push": "package + .sha256 every 15 min",
        "serves": "serves",
        "generated": "generated by difusor diagram from",
        "tls_provided": "the difusor's own (provided)",
        "tls_selfsigned": "self-signed, tests only (selfsigned)",
        "cluster_title": "cluster",
        "balancer": "balancer",
        "haproxy": "HAProxy: terminates TLS (one certificate, one renewal)",
        "redirect": "80: redirects to https",
        "backend": "backend prep_web: one server per web node",
        "health": "health check: GET /healthz?min=<cut>",
        "health_note": "a node behind is taken out (503)",
        "receiver": "receiving node",
        "verify_once": "verifies once and publishes (V.ii.2)",
        "distribute": "difusor-cluster.service: distributes over SSH in two phases",
        "journal": "journal: node_staged, node_switched, node_failed,",
        "journal2": "node_out, node_in, cluster_live",
        "web_node": "web node",
        "node_web": "nginx",
        "plain_http": "plain HTTP, private network",
        "xff_from": "X-Forwarded-For only from",
        "node_agent": "sshd: node agent (status, stage, switch)",
        "to_nodes": "HTTP 80 + X-Forwarded-For",
        "stage_switch": "SSH 22: stage <cut>, then switch",
        "control": "SSH 22: cut / out / in (controls the balancer)",
        "only_balancer": "from the balancer only",
        "only_receiver": "from the receiver only",
        "cluster_firewall": "ufw on every host: incoming denied except the ports drawn; "
        "fail2ban (II.C.c)",
        "cluster_ntp": "all: chrony, udp/123 outgoing to",
        "none": "(none)",
        "private": "private network",
    },
}


@dataclass
class HostView:
    """What the diagram shows of one difusor server."""

    name: str
    address: str
    server_name: str
    trusted_sources: list[str]
    public_ports: list[int]
    trusted_ports: list[int]
    ntp_servers: list[str]
    rsync_module: str
    rsync_user: str
    ssh_push_user: str
    operator_user: str
    web_container: str
    tls_mode: str
    incoming_dir: str
    site_root: str
    real_ip_from: list[str] = field(default_factory=list)
    cluster_address: str = ""  # where the cluster's peers reach it (difusor_cluster_address)

    @property
    def peer_address(self) -> str:
        return self.cluster_address or self.address


@dataclass
class ClusterView:
    """What the diagram shows of a cluster: its receiving nodes, web nodes and balancers."""

    receivers: list[HostView]
    web_nodes: list[HostView]
    balancers: list[HostView]


# --- What the inventory says ---------------------------------------------------------------


def _short(text: str, width: int = 34) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def _ports(value: Any, fallback: list[int]) -> list[int]:
    if isinstance(value, list) and all(isinstance(p, int) for p in value):
        return value
    return fallback


def _hosts_of(entries: Any) -> list[str]:
    if not isinstance(entries, list):
        return []
    return [str(e.get("host")) if isinstance(e, dict) else str(e) for e in entries]


def host_view(inv: Inventory, name: str) -> HostView:
    """One host as the inventory describes it (its variables over the roles' defaults)."""
    variables = inv.variables(name)

    def get(key: str, fallback: Any = "") -> Any:
        return resolve(variables.get(key, fallback), variables)

    def strings(value: Any) -> list[str]:
        return [str(s) for s in value] if isinstance(value, list) else [str(value)]

    return HostView(
        name=name,
        address=str(get("ansible_host", name)),
        server_name=str(get("prep_web_server_name", name)),
        trusted_sources=strings(get("difusor_trusted_sources", [])),
        public_ports=_ports(get("firewall_public_tcp_ports"), [80, 443]),
        trusted_ports=_ports(get("firewall_trusted_tcp_ports"), [22, 873]),
        ntp_servers=_hosts_of(get("ntp_servers", [])) + _hosts_of(get("ntp_pools", [])),
        rsync_module=str(get("rsync_receiver_module", "paquetes")),
        rsync_user=str(get("rsync_receiver_auth_user", "ople")),
        ssh_push_user=str(get("rsync_receiver_ssh_user", "prep-push")),
        operator_user=str(get("difusor_operator_user", DEFAULTS.operator_user)),
        web_container=str(get("difusor_web_container", DEFAULTS.web_container)),
        tls_mode=str(get("prep_web_tls_mode", "selfsigned")),
        incoming_dir=str(get("difusor_incoming_dir", DEFAULTS.incoming_dir)),
        site_root=str(get("difusor_site_root", DEFAULTS.site_root)),
        real_ip_from=strings(get("prep_web_real_ip_from", [])),
        cluster_address=str(get("difusor_cluster_address", "") or ""),
    )


def cluster_hosts(inv: Inventory) -> set[str]:
    return {host for group in CLUSTER_GROUPS for host in inv.group_hosts(group)}


def host_views(inv: Inventory) -> list[HostView]:
    """The single servers: the hosts of difusores outside the cluster's groups."""
    in_cluster = cluster_hosts(inv)
    views = [host_view(inv, name) for name in inv.group_hosts(GROUP) if name not in in_cluster]
    if not views and not in_cluster:
        raise DifusorError(f"the inventory has no host in group {GROUP}")
    return views


def cluster_view(inv: Inventory) -> ClusterView | None:
    """The cluster, when the inventory has hosts in its groups (else None)."""
    if not cluster_hosts(inv):
        return None
    cluster = ClusterView(
        *([host_view(inv, name) for name in inv.group_hosts(group)] for group in CLUSTER_GROUPS)
    )
    # A web node trusts X-Forwarded-For from the balancers: role prep_web's default computes
    # their addresses with a filter, which the inventory reader does not run.
    balancers = [view.peer_address for view in cluster.balancers]
    for view in cluster.web_nodes:
        if not view.real_ip_from or any("{{" in s for s in view.real_ip_from):
            view.real_ip_from = balancers
    return cluster


# --- Drawing ---------------------------------------------------------------------------------

PALETTE = {
    "internet": "#dbeafe",
    "body": "#dcfce7",
    "server": "#f8fafc",
    "web": "#fef3c7",
    "pipe": "#ede9fe",
    "ssh": "#fee2e2",
    "ntp": "#e0f2fe",
    "port": "#1f2937",
    "edge": "#334155",
}
PANEL_W, PANEL_H = 166.0, 92.0


def _box(ax: Any, x: float, y: float, w: float, h: float, color: str, lines: list[str]) -> None:
    from matplotlib.patches import FancyBboxPatch

    ax.add_patch(
        FancyBboxPatch(
            (x, y),
            w,
            h,
            boxstyle="round,pad=0.4,rounding_size=1.5",
            facecolor=color,
            edgecolor=PALETTE["edge"],
            linewidth=1.2,
        )
    )
    top = y + h - 2.2
    for index, line in enumerate(lines):
        ax.text(
            x + 1.5,
            top - index * 3.1,
            line,
            fontsize=10.5 if index == 0 else 9,
            fontweight="bold" if index == 0 else "normal",
            va="top",
            ha="left",
            color="#0f172a",
        )


def _port(ax: Any, x: float, y: float, text: str, open_to_all: bool) -> None:
    ax.text(
        x,
        y,
        text,
        fontsize=9.5,
        fontweight="bold",
        ha="center",
        va="center",
        color="white",
        bbox={
            "boxstyle": "round,pad=0.35",
            "facecolor": "#15803d" if open_to_all else "#b45309",
            "edgecolor": "none",
        },
    )


def _arrow(
    ax: Any,
    start: tuple[float, float],
    end: tuple[float, float],
    label: str = "",
    offset: tuple[float, float] = (0.0, 1.6),
    style: str = "-|>",
) -> None:
    from matplotlib.patches import FancyArrowPatch

    ax.add_patch(
        FancyArrowPatch(
            start,
            end,
            arrowstyle=style,
            mutation_scale=14,
            linewidth=1.4,
            color=PALETTE["edge"],
            shrinkA=2,
            shrinkB=2,
        )
    )
    if label:
        mid = ((start[0] + end[0]) / 2 + offset[0], (start[1] + end[1]) / 2 + offset[1])
        ax.text(mid[0], mid[1], label, fontsize=8.5, ha="center", va="bottom", color="#334155")


def draw_host(ax: Any, view: HostView, top: float, words: dict[str, str]) -> None:
    """One panel: external parties on the left and right, the server in the middle."""
    y0 = top - PANEL_H
    # The Internet and its DNS name.
    _box(
        ax,
        2,
        y0 + 58,
        34,
        24,
        PALETTE["internet"],
        [
            words["internet"],
            words["internet_note"],
            f"{words['dns']}: {view.server_name}",
            f"  -> {view.address}",
        ],
    )
    # The electoral body and its trusted sources.
    sources = view.trusted_sources or [words["no_trusted"]]
    shown = sources[:7] + ([f"... (+{len(sources) - 7})"] if len(sources) > 7 else [])
    _box(
        ax,
        2,
        y0 + 6,
        34,
        44,
        PALETTE["body"],
        [words["body"], words["trusted"] + ":", *[f"  {_short(s)}" for s in shown]],
    )
    # The server, its firewall edge and what runs inside.
    _box(
        ax,
        46,
        y0 + 4,
        86,
        82,
        PALETTE["server"],
        [
            f"{words['server']} {view.name} ({view.address})",
            words["firewall"],
        ],
    )
    public = list(view.public_ports)
    trusted = list(view.trusted_ports)
    web_lines = [
        f"{words['web']} {view.web_container}",
        f"{words['tls']}: https://{view.server_name}/",
        f"{words['cert']}: {words.get('tls_' + view.tls_mode, view.tls_mode)}",
    ]
    _box(ax, 66, y0 + 60, 40, 14, PALETTE["web"], web_lines)
    for index, port in enumerate(public):
        _port(ax, 50 + 0, y0 + 71 - index * 6, f"{port}/tcp", True)
    _arrow(ax, (36.5, y0 + 68), (46.5, y0 + 68), words["anyone"], offset=(0, 5))
    _arrow(ax, (54, y0 + 68), (65.5, y0 + 68))
    # Pushes from the electoral body: rsync daemon and rsync over SSH.
    rsync_port = 873 if 873 in trusted else (trusted[-1] if trusted else 873)
    ssh_port = 22 if 22 in trusted else (trusted[0] if trusted else 22)
    others = [p for p in trusted if p not in (rsync_port, ssh_port)]
    _port(ax, 50, y0 + 40, f"{rsync_port}/tcp", False)
    _port(ax, 50, y0 + 20, f"{ssh_port}/tcp", False)
    for index, port in enumerate(others):
        _port(ax, 50, y0 + 12 - index * 5, f"{port}/tcp", False)
    _arrow(ax, (36.5, y0 + 40), (46.5, y0 + 40), words["push"], offset=(-1, 2.5))
    _arrow(ax, (36.5, y0 + 20), (46.5, y0 + 20), words["only_trusted"], offset=(-1, 1.5))
    _box(
        ax,
        58,
        y0 + 34,
        24,
        11,
        PALETTE["pipe"],
        [
            words["rsyncd"],
            f"{words['module']} {view.rsync_module}, {words['user']} {view.rsync_user}",
        ],
    )
    ssh_lines = [
        f"{words['sshd']}",
        f"{words['ssh_push']}: {view.ssh_push_user} (::{view.rsync_module}/)",
    ]
    if view.operator_user:
        ssh_lines.append(f"{words['admin']}: {view.operator_user} (sudo)")
    _box(ax, 58, y0 + 12, 24, 13 if view.operator_user else 10, PALETTE["ssh"], ssh_lines)
    _arrow(ax, (54, y0 + 40), (57.5, y0 + 40))
    _arrow(ax, (54, y0 + 20), (57.5, y0 + 20))
    # The pipeline.
    _box(ax, 88, y0 + 34, 40, 11, PALETTE["pipe"], [words["incoming"], view.incoming_dir])
    _arrow(ax, (82.5, y0 + 40), (87.5, y0 + 40))
    _arrow(ax, (82.5, y0 + 22), (89, y0 + 33.5))
    _box(
        ax,
        88,
        y0 + 14,
        40,
        14,
        PALETTE["pipe"],
        [words["verify"], "difusor-ingest.path (systemd)", words["verify_note"]],
    )
    _arrow(ax, (108, y0 + 33.5), (108, y0 + 28.5))
    _box(
        ax,
        110,
        y0 + 50,
        20,
        8,
        PALETTE["pipe"],
        [words["releases"], f"{view.site_root}/releases"],
    )
    ax.text(122.5, y0 + 47.5, words["current"], fontsize=8.5, ha="right", va="top")
    _arrow(ax, (124, y0 + 27.5), (124, y0 + 49.5))
    _arrow(ax, (112, y0 + 58.5), (106.5, y0 + 64), words["serves"], offset=(4, 0))
    # NTP out.
    _box(
        ax,
        110,
        y0 + 6,
        20,
        6.5,
        PALETTE["ntp"],
        [words["chrony"]],
    )
    ntp = view.ntp_servers or ["-"]
    _box(ax, 138, y0 + 6, 26, 6 + 3.1 * len(ntp[:5]), PALETTE["ntp"], [words["ntp"], *ntp[:5]])
    _arrow(ax, (130.5, y0 + 9), (137.5, y0 + 9), words["ntp_out"], offset=(0, 1.5))


# The cluster panel's columns: the outside world, the balancers and receivers, the web nodes.
LEFT_W, MID_X, MID_W, NODE_X, NODE_W = 31.0, 58.0, 44.0, 128.0, 36.0
LB_H, RC_H, NODE_H, GAP = 27.0, 33.0, 17.5, 3.0


def cluster_height(cluster: ClusterView) -> float:
    """The cluster panel's height: room for every web node, balancer and receiver."""
    middle = 8 + (LB_H + GAP) * len(cluster.balancers) + 14 + (RC_H + GAP) * len(cluster.receivers)
    return max(90.0, 24 + (NODE_H + 5) * len(cluster.web_nodes), middle + 12)


def _stack(count: int, bottom: float, top: float, box_h: float) -> list[float]:
    """The lower edges of `count` boxes of height box_h spread evenly between bottom and top."""
    if count <= 1:
        return [(bottom + top - box_h) / 2]
    step = (top - bottom - box_h) / (count - 1)
    return [top - box_h - index * step for index in range(count)]


def _private(view: HostView, words: dict[str, str]) -> list[str]:
    """The private address, as a line, when the cluster reaches the host at another one."""
    if view.cluster_address and view.cluster_address != view.address:
        return [f"{words['private']}: {view.cluster_address}"]
    return []


def _note(ax: Any, x: float, y: float, text: str, ha: str = "left", va: str = "bottom") -> None:
    ax.text(x, y, text, fontsize=8.5, ha=ha, va=va, color="#334155")


def draw_cluster(ax: Any, cluster: ClusterView, top: float, words: dict[str, str]) -> None:
    """The cluster panel: the Internet and the balancer(s) above, the electoral body and the
    receiving node(s) below, the web nodes on the right."""
    y0 = top - cluster_height(cluster)
    first = (cluster.balancers or cluster.receivers or cluster.web_nodes)[0]
    server_name = first.server_name
    ax.text(2, top - 1, f"{words['cluster_title']} {server_name}", fontsize=11, va="top")
    gap_mid = (LEFT_W + 2 + MID_X - 7.5) / 2  # the arrows from the left column, their labels
    # The Internet and its DNS name (the balancers' addresses).
    lb_addresses = [b.address for b in cluster.balancers] or ["-"]
    _box(
        ax,
        2,
        top - 32,
        LEFT_W,
        22,
        PALETTE["internet"],
        [
            words["internet"],
            words["internet_note"],
            f"{words['dns']}: {server_name}",
            *[f"  -> {address}" for address in lb_addresses[:3]],
        ],
    )
    # The electoral body and its trusted sources (those of the receiving node).
    receiver = (cluster.receivers or [first])[0]
    sources = receiver.trusted_sources or [words["no_trusted"]]
    shown = sources[:6] + ([f"... (+{len(sources) - 6})"] if len(sources) > 6 else [])
    _box(
        ax,
        2,
        y0 + 14,
        LEFT_W,
        30,
        PALETTE["body"],
        [words["body"], words["trusted"] + ":", *[f"  {_short(s, 30)}" for s in shown]],
    )
    # The balancer(s): HAProxy, ports 80 and 443 open to anyone.
    lb_y = [top - 8 - LB_H - index * (LB_H + GAP) for index in range(len(cluster.balancers))]
    for view, y in zip(cluster.balancers, lb_y, strict=True):
        lines = [
            f"{words['balancer']} {view.name} ({view.address})",
            *_private(view, words),
            words["haproxy"],
            f"443: https://{view.server_name}/",
            words["redirect"],
            words["backend"],
            words["health"],
            words["health_note"],
        ]
        _box(ax, MID_X, y, MID_W, LB_H, PALETTE["web"], lines)
        for index, port in enumerate(view.public_ports):
            _port(ax, MID_X - 4, y + LB_H - 6 - index * 7, f"{port}/tcp", True)
        _arrow(ax, (LEFT_W + 2.5, y + LB_H - 13), (MID_X - 7.5, y + LB_H - 13))
    if cluster.balancers:
        _note(ax, gap_mid, lb_y[0] + LB_H - 11.5, words["anyone"], ha="center")
    # The receiving node(s): rsync in, verify once, distribute.
    rc_y = [y0 + 12 + index * (RC_H + GAP) for index in range(len(cluster.receivers))]
    for view, y in zip(cluster.receivers, rc_y, strict=True):
        lines = [
            f"{words['receiver']} {view.name} ({view.address})",
            *_private(view, words),
            f"{words['rsyncd']}: {words['module']} {view.rsync_module}, "
            f"{words['user']} {view.rsync_user}",
            f"{words['ssh_push']}: {view.ssh_push_user}",
            *([f"{words['admin']}: {view.operator_user} (sudo)"] if view.operator_user else []),
            f"{words['verify_once']}: difusor-ingest.path",
            words["distribute"],
            words["journal"],
            "  " + words["journal2"],
        ]
        _box(ax, MID_X, y, MID_W, RC_H, PALETTE["pipe"], lines)
        for index, port in enumerate(view.trusted_ports):
            _port(ax, MID_X - 4, y + RC_H - 8 - index * 8, f"{port}/tcp", False)
            _arrow(
                ax,
                (LEFT_W + 2.5, y + RC_H - 8 - index * 8),
                (MID_X - 7.5, y + RC_H - 8 - index * 8),
            )
    if cluster.receivers:
        y = rc_y[0]
        _note(ax, gap_mid, y + RC_H - 6.5, words["push"], ha="center")
        _note(ax, gap_mid, y + RC_H - 14.5, words["only_trusted"], ha="center")
    # Receiver -> balancer: the control account.
    if cluster.receivers and cluster.balancers:
        start = (MID_X + 12, rc_y[-1] + RC_H + 0.5)
        end = (MID_X + 12, lb_y[-1] - 0.5)
        _arrow(ax, start, end)
        _note(ax, MID_X + 13.5, (start[1] + end[1]) / 2, words["control"], va="center")
    # The web nodes, on the right: 80 from the balancers, 22 from the receivers.
    node_y = _stack(len(cluster.web_nodes), y0 + 14, top - 6, NODE_H)
    for view, y in zip(cluster.web_nodes, node_y, strict=True):
        trusted = ", ".join(view.real_ip_from) or words["none"]
        lines = [
            f"{words['web_node']} {view.name} ({view.peer_address})",
            f"{words['web']} {view.web_container}",
            words["plain_http"],
            f"{words['xff_from']} {_short(trusted, 22)}",
            words["node_agent"],
        ]
        _box(ax, NODE_X, y, NODE_W, NODE_H, PALETTE["server"], lines)
        _port(ax, NODE_X - 4, y + NODE_H - 4, "80/tcp", False)
        _port(ax, NODE_X - 4, y + 4.5, "22/tcp", False)
        for lb in lb_y:
            _arrow(ax, (MID_X + MID_W + 0.5, lb + LB_H / 2), (NODE_X - 7.5, y + NODE_H - 4))
        for rc in rc_y:
            _arrow(ax, (MID_X + MID_W + 0.5, rc + RC_H / 2), (NODE_X - 7.5, y + 4.5))
    between = (MID_X + MID_W + NODE_X - 7.5) / 2
    if cluster.web_nodes and cluster.balancers:
        _note(
            ax,
            between,
            top - 1,
            f"{words['to_nodes']}\n({words['only_balancer']})",
            "center",
            "top",
        )
    if cluster.web_nodes and cluster.receivers:
        _note(
            ax,
            between,
            y0 + 12,
            f"{words['stage_switch']}\n({words['only_receiver']})",
            "center",
            "top",
        )
    # Every host: the firewall policy and NTP out.
    ntp = ", ".join(first.ntp_servers[:3]) or "-"
    _note(ax, 2, y0 + 4.5, words["cluster_firewall"])
    _note(ax, 2, y0 + 1, f"{words['cluster_ntp']} {ntp}")


def render(
    views: list[HostView],
    out_dir: Path,
    name: str,
    lang: str,
    source: str,
    cluster: ClusterView | None = None,
) -> list[Path]:
    """Write NAME.svg and NAME.png into out_dir; return their paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    words = LABELS[lang]
    plt.rcParams["svg.fonttype"] = "none"  # text stays text in the SVG (searchable, small)
    plt.rcParams["font.family"] = "DejaVu Sans"
    plt.rcParams["svg.hashsalt"] = "difusor"  # the same inventory gives the same SVG
    panels: list[tuple[float, Callable[[Any, float], None]]] = []
    if cluster is not None:
        panels.append(
            (cluster_height(cluster), lambda ax, top: draw_cluster(ax, cluster, top, words))
        )
    for view in views:
        panels.append((PANEL_H, lambda ax, top, view=view: draw_host(ax, view, top, words)))
    height = sum(panel_height for panel_height, _ in panels) + 10
    figure = plt.figure(figsize=(PANEL_W / 10, height / 10))
    ax = figure.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, PANEL_W)
    ax.set_ylim(0, height)
    ax.set_axis_off()
    ax.text(2, height - 2, words["title"], fontsize=15, fontweight="bold", va="top")
    ax.text(
        PANEL_W - 2,
        height - 3,
        f"{words['generated']} {source}",
        fontsize=8,
        va="top",
        ha="right",
        color="#475569",
    )
    top = height - 8
    for panel_height, draw in panels:
        draw(ax, top)
        top -= panel_height
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / f"{name}.svg", out_dir / f"{name}.png"]
    figure.savefig(paths[0], format="svg", metadata={"Date": None})
    figure.savefig(paths[1], format="png", dpi=110)
    plt.close(figure)
    return paths


def diagram(
    inventory: Path,
    out_dir: Path,
    *,
    lang: str = "es",
    name: str = "diagrama",
    roles_dir: Path | None = None,
    data: dict | None = None,
    vault_password_file: Path | None = None,
) -> list[Path]:
    """Draw the hosts of group difusores of the inventory (or of `data`, ansible-inventory's
    --list output, for tests) over the roles' defaults (roles_dir, default the checkout's): a
    cluster panel when it has hosts in the cluster's groups, a panel per single server."""
    if data is not None:
        roles = roles_dir or find_checkout() / "roles"
        inv = Inventory(data, role_defaults(roles) if roles.is_dir() else {}, inventory)
    else:
        inv = read(inventory, vault_password_file=vault_password_file, roles_dir=roles_dir)
    return render(host_views(inv), out_dir, name, lang, str(inventory), cluster_view(inv))


# --- CLI -------------------------------------------------------------------------------------


def cmd_diagram(args: argparse.Namespace) -> int:
    paths = diagram(
        args.inventory,
        args.output,
        lang=args.lang,
        name=args.name or ("diagrama" if args.lang == "es" else "diagram"),
        roles_dir=args.roles_dir,
        vault_password_file=args.vault_password_file,
    )
    for path in paths:
        print(path)
    return 0


def register(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        "diagram",
        help="draw the service diagram (IV.a.i) from an inventory, as SVG and PNG",
    )
    parser.add_argument("-i", "--inventory", type=Path, required=True)
    parser.add_argument(
        "-o", "--output", type=Path, default=Path("."), help="directory (default: current)"
    )
    parser.add_argument("--lang", choices=sorted(LABELS), default="es")
    parser.add_argument("--name", help="file name without extension (default: diagrama/diagram)")
    parser.add_argument(
        "--roles-dir", type=Path, help="roles whose defaults apply (default: this checkout's)"
    )
    parser.add_argument("--vault-password-file", type=Path, help="for vault-encrypted variables")
    parser.set_defaults(func=cmd_diagram)
    return parser
