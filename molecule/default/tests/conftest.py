"""Hosts of the scenario as testinfra sees them: targets by group, clients by name."""

import os

import pytest
import testinfra
import testinfra.utils.ansible_runner

INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
RUNNER = testinfra.utils.ansible_runner.AnsibleRunner(INVENTORY)


def client(name: str):
    return testinfra.get_host(f"ansible://{name}?ansible_inventory={INVENTORY}")


@pytest.fixture(scope="session")
def trusted():
    return client("trusted")


@pytest.fixture(scope="session")
def untrusted():
    return client("untrusted")


def target_address(target_name: str) -> str:
    """The target's address on the scenario network, as a client reaches it."""
    return client(target_name).interface("eth0").addresses[0]
