"""Jinja filters for the roles: thin wrappers over difusor.netcheck."""

from difusor import netcheck


class FilterModule:
    def filters(self):
        return {
            "difusor_invalid_networks": netcheck.invalid_networks,
            "difusor_networks_of_version": netcheck.networks_of_version,
            "difusor_invalid_ports": netcheck.invalid_ports,
            "difusor_address_in_networks": netcheck.address_in_networks,
        }
