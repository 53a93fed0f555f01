import pytest

from difusor.netcheck import (
    address_in_networks,
    invalid_networks,
    invalid_ports,
    networks_of_version,
)


def test_addresses_and_networks_of_both_versions_are_valid():
    assert invalid_networks(["203.0.113.7", "198.51.100.0/24", "2001:db8::/48", "::1"]) == []


@pytest.mark.parametrize(
    "bad", ["203.0.113.300", "10.0.0.0/33", "example.org", "", "2001:db8::/129"]
)
def test_bad_networks_are_named(bad):
    assert invalid_networks(["192.0.2.1", bad]) == [bad]


def test_networks_split_by_version():
    values = ["192.0.2.7", "2001:db8::1", "198.51.100.0/24"]
    assert networks_of_version(values, 4) == ["192.0.2.7/32", "198.51.100.0/24"]
    assert networks_of_version(values, 6) == ["2001:db8::1/128"]


@pytest.mark.parametrize("bad", [0, 65536, -1, "ssh", "22.5"])
def test_bad_ports_are_named(bad):
    assert invalid_ports([22, 873, bad]) == [str(bad)]


def test_ports_in_range_are_valid():
    assert invalid_ports([1, 80, "443", 65535]) == []


def test_address_membership():
    assert address_in_networks("198.51.100.9", ["192.0.2.0/24", "198.51.100.0/24"])
    assert not address_in_networks("198.51.101.9", ["198.51.100.0/24"])
    assert not address_in_networks("2001:db8::1", ["198.51.100.0/24"])
