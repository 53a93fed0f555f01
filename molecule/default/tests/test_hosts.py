"""The test hosts are what later roles need: systemd without SYS_TIME, reachable by clients."""

import pytest
from conftest import RUNNER, target_address

TARGETS = RUNNER.get_hosts("difusores")
CAP_SYS_TIME = 25


@pytest.fixture(params=TARGETS)
def target_name(request):
    return request.param


testinfra_hosts = [f"ansible://{name}" for name in TARGETS]


def test_systemd_is_pid_1_and_booted(host):
    assert host.file("/proc/1/comm").content_string.strip() == "systemd"
    state = host.run("systemctl is-system-running").stdout.strip()
    assert state in ("running", "degraded"), host.run("systemctl --failed").stdout


def test_host_cannot_set_the_clock(host):
    bounding = int(host.file("/proc/1/status").content_string.split("CapBnd:")[1].split()[0], 16)
    assert not bounding & (1 << CAP_SYS_TIME), "a test host must never hold CAP_SYS_TIME"


def test_sshd_listens(host):
    assert host.socket("tcp://0.0.0.0:22").is_listening


@pytest.mark.parametrize("client_name", ["trusted", "untrusted"])
def test_clients_reach_the_target(request, client_name, target_name):
    client = request.getfixturevalue(client_name)
    address = target_address(target_name)
    result = client.run(f"nc -z -w 3 {address} 22")
    assert result.rc == 0, f"{client_name} cannot reach {target_name} ({address}) on 22/tcp"
