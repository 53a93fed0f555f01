"""Checks of network values that come from inventories: addresses, networks, ports."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable


def invalid_networks(values: Iterable[object]) -> list[str]:
    """The entries that are not an IPv4/IPv6 address or network in CIDR notation."""
    bad = []
    for value in values:
        try:
            ipaddress.ip_network(str(value), strict=False)
        except ValueError:
            bad.append(str(value))
    return bad


def networks_of_version(values: Iterable[object], version: int) -> list[str]:
    """The networks of one IP version (4 or 6), in CIDR notation."""
    networks = (ipaddress.ip_network(str(value), strict=False) for value in values)
    return [str(net) for net in networks if net.version == version]


def invalid_ports(values: Iterable[object]) -> list[str]:
    """The entries that are not a TCP/UDP port number (1-65535)."""
    bad = []
    for value in values:
        try:
            port = int(str(value))
        except ValueError:
            bad.append(str(value))
            continue
        if not 1 <= port <= 65535 or str(port) != str(value).strip():
            bad.append(str(value))
    return bad


def address_in_networks(address: str, values: Iterable[object]) -> bool:
    """True when the address lies in one of the networks."""
    ip = ipaddress.ip_address(address)
    return any(ip in ipaddress.ip_network(str(value), strict=False) for value in values)
