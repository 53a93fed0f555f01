"""Jinja filters for the roles: thin wrappers over the difusor library."""

from difusor import netcheck
from difusor.web import window


def cluster_address(host, hostvars):
    """The address a cluster's peers reach `host` at: its `difusor_cluster_address`, else the
    address of its default IPv4 route (gathered facts)."""
    variables = hostvars[host]
    return (
        variables.get("difusor_cluster_address")
        or (variables["ansible_facts"]["default_ipv4"]["address"])
    )


def cluster_peers(hosts, hostvars):
    """[{name, address}] of cluster hosts: what the receiving node's settings list."""
    return [{"name": host, "address": cluster_address(host, hostvars)} for host in hosts]


class FilterModule:
    def filters(self):
        return {
            "difusor_invalid_networks": netcheck.invalid_networks,
            "difusor_networks_of_version": netcheck.networks_of_version,
            "difusor_invalid_ports": netcheck.invalid_ports,
            "difusor_address_in_networks": netcheck.address_in_networks,
            "difusor_window_open_now": window.window_open_now,
            "difusor_cluster_address": cluster_address,
            "difusor_cluster_peers": cluster_peers,
        }
