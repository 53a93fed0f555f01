"""The receiving node's cluster settings (YAML; role prep_cluster writes CLUSTER_FILE)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from difusor.errors import DifusorError
from difusor.web.settings import read_settings_file

CLUSTER_FILE = Path("/etc/difusor/cluster.yml")


@dataclass(frozen=True)
class Peer:
    name: str  # the inventory name: the balancer's server name and the journal's `node`
    address: str


@dataclass(frozen=True)
class ClusterSettings:
    nodes: tuple[Peer, ...] = ()
    balancers: tuple[Peer, ...] = ()
    node_user: str = "prep-publisher"
    balancer_user: str = "difusor-balancer"
    key: Path = Path("/etc/difusor/cluster/id_ed25519")
    known_hosts: Path = Path("/etc/difusor/cluster/known_hosts")
    connect_timeout_s: int = 5
    # A node that has not staged the cut by then is taken out of the balancer, and the others
    # switch without it.
    stage_timeout_s: int = 60
    switch_timeout_s: int = 15


_NUMBERS = ("connect_timeout_s", "stage_timeout_s", "switch_timeout_s")


def _peers(data: Any, what: str, path: Path) -> tuple[Peer, ...]:
    if not isinstance(data, list):
        raise DifusorError(f"{path}: {what} must be a list of {{name, address}}")
    peers = []
    for index, item in enumerate(data):
        if not (
            isinstance(item, dict)
            and set(item) == {"name", "address"}
            and all(isinstance(item[key], str) and item[key] for key in item)
        ):
            raise DifusorError(f"{path}: {what}[{index}] must be a mapping of name and address")
        peers.append(Peer(item["name"], item["address"]))
    names = [peer.name for peer in peers]
    if len(set(names)) != len(names):
        raise DifusorError(f"{path}: {what} name a host twice")
    return tuple(peers)


def load_cluster_settings(path: Path = CLUSTER_FILE) -> ClusterSettings:
    data = read_settings_file(path, "cluster settings")
    if data is None:
        raise DifusorError(f"{path} does not exist: this host is not a cluster's receiving node")
    known = {field.name for field in dataclasses.fields(ClusterSettings)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise DifusorError(f"unknown cluster settings in {path}: {', '.join(unknown)}")
    values: dict[str, Any] = {
        "nodes": _peers(data.get("nodes"), "nodes", path),
        "balancers": _peers(data.get("balancers", []), "balancers", path),
    }
    if not values["nodes"]:
        raise DifusorError(f"{path}: nodes is empty: name the web nodes")
    for key in _NUMBERS:
        if key in data:
            value = data[key]
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise DifusorError(f"{path}: {key} must be a whole number of seconds, at least 1")
            values[key] = value
    for key in ("node_user", "balancer_user"):
        if key in data:
            values[key] = str(data[key])
    for key in ("key", "known_hosts"):
        if key in data:
            values[key] = Path(str(data[key]))
    return ClusterSettings(**values)
