"""Jinja filters for the roles: thin wrappers over the difusor library."""

from difusor import netcheck
from difusor.web import window


class FilterModule:
    def filters(self):
        return {
            "difusor_invalid_networks": netcheck.invalid_networks,
            "difusor_networks_of_version": netcheck.networks_of_version,
            "difusor_invalid_ports": netcheck.invalid_ports,
            "difusor_address_in_networks": netcheck.address_in_networks,
            "difusor_window_open_now": window.window_open_now,
        }
