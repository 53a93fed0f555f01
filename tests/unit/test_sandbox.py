import ipaddress
import json
from pathlib import Path

import pytest
import yaml

from difusor import sandbox
from difusor.errors import DifusorError
from difusor.sandbox import (
    Host,
    Platform,
    host_settings,
    inventory,
    overlapping_routes,
    parse_platforms,
    run_args,
)


def test_platforms_from_molecule_json():
    text = json.dumps(
        [
            {"name": "target", "image": "debian12", "groups": ["difusores"]},
            {"name": "trusted", "image": "client"},
        ]
    )
    assert parse_platforms(text) == [
        Platform("target", "debian12", ("difusores",)),
        Platform("trusted", "client", ()),
    ]


def test_platforms_from_a_yaml_file(tmp_path: Path):
    path = tmp_path / "platforms.yml"
    path.write_text("- {name: a, image: debian13, groups: [x, y]}\n")
    assert parse_platforms(str(path)) == [Platform("a", "debian13", ("x", "y"))]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[]", "non-empty list"),
        ("{name: a}", "non-empty list"),
        ("[{name: a}]", "entry 0 needs a 'name' and an 'image'"),
        ("no/such/file.yml", "neither a list nor a file"),
        ("[{name: a, image: x}, {name: a, image: y}]", "duplicate host names"),
    ],
)
def test_bad_platforms_are_refused(text, message):
    with pytest.raises(DifusorError, match=message):
        parse_platforms(text)


def test_systemd_host_settings_follow_the_rules_of_this_machine():
    args = run_args(host_settings())
    assert "--privileged" not in args
    assert not any("SYS_TIME" in arg for arg in args), "a test host must never set the clock"
    assert not any(arg.startswith("--cap-drop") for arg in args)
    for expected in (
        "--cap-add=SYS_ADMIN",
        "--cap-add=NET_ADMIN",
        "--security-opt=seccomp=unconfined",
        "--cgroupns=host",
        "--volume=/sys/fs/cgroup:/sys/fs/cgroup:rw",
        "--tmpfs=/run",
        "--tmpfs=/run/lock",
        "--stop-signal=SIGRTMIN+3",
        "--sysctl=net.ipv6.conf.all.disable_ipv6=0",  # a dual-stack server, as in production
    ):
        assert expected in args


ROUTES = [
    {"dst": "default", "gateway": "192.0.2.1", "dev": "eth0"},
    {"dst": "192.0.2.0/24", "dev": "eth0"},
    {"dst": "172.18.0.0/16", "dev": "br-0123456789ab"},
    {"dst": "fd00:1::/64", "dev": "eth0"},
]


def test_the_new_networks_own_route_is_not_a_clash():
    assert overlapping_routes("172.18.0.0/16", "br-0123456789ab", ROUTES) == []


def test_a_subnet_over_the_uplink_is_a_clash():
    assert overlapping_routes("192.0.2.0/25", "br-ffffffffffff", ROUTES) == [
        "192.0.2.0/24 dev eth0"
    ]


def test_another_bridge_with_the_same_subnet_is_a_clash():
    assert overlapping_routes("172.18.5.0/24", "br-ffffffffffff", ROUTES) == [
        "172.18.0.0/16 dev br-0123456789ab"
    ]


def test_ipv6_routes_only_clash_with_ipv6_subnets():
    assert overlapping_routes("fd00:1::/48", "br-x", ROUTES) == ["fd00:1::/64 dev eth0"]
    assert overlapping_routes("10.9.0.0/16", "br-x", ROUTES) == []


def test_the_ipv6_subnet_of_our_own_is_a_unique_local_64():
    subnet = ipaddress.ip_network(sandbox.unique_local_subnet([], lambda bits: 0x123456789A))
    assert str(subnet) == "fd12:3456:789a::/64"
    assert subnet.prefixlen == 64 and subnet.subnet_of(ipaddress.ip_network("fc00::/7"))


def test_the_ipv6_subnet_of_our_own_avoids_the_taken_ones():
    draws = iter([0x1, 0x1, 0x2])
    taken = ["fd00:0:1::/48", "172.18.0.0/16"]
    assert sandbox.unique_local_subnet(taken, lambda bits: next(draws)) == "fd00:0:2::/64"


def test_no_free_ipv6_subnet_is_a_clear_error():
    with pytest.raises(DifusorError, match="no free IPv6"):
        sandbox.unique_local_subnet(["fc00::/7"], lambda bits: 7)


def test_inventory_groups_hosts_and_uses_the_sandbox_key(tmp_path: Path):
    hosts = [
        Host("target", "sb-target", "172.18.0.2", "debian12", "running", ["difusores"]),
        Host("trusted", "sb-trusted", "172.18.0.3", "client", "running", ["clients", "trusted"]),
    ]
    data = inventory(hosts, tmp_path / "id_ed25519", "172.18.0.1")
    assert data["all"]["vars"]["ansible_user"] == "root"
    assert data["all"]["vars"]["ansible_python_interpreter"] == "/usr/bin/python3"
    assert data["all"]["vars"]["sandbox_controller_address"] == "172.18.0.1"
    assert data["all"]["vars"]["ansible_ssh_private_key_file"] == str(tmp_path / "id_ed25519")
    children = data["all"]["children"]
    assert children["difusores"]["hosts"] == {"target": {"ansible_host": "172.18.0.2"}}
    assert set(children["clients"]["hosts"]) == {"trusted"}
    assert set(children["trusted"]["hosts"]) == {"trusted"}
    yaml.safe_dump(data)  # serializable as the inventory file


def test_the_sandbox_runs_the_calls_own_system_unless_told_otherwise(monkeypatch):
    from difusor import images, sandbox

    monkeypatch.delenv("DIFUSOR_SANDBOX_IMAGE", raising=False)
    assert [p.image for p in sandbox.default_platforms()] == ["ubuntu2204"]
    assert sandbox.DEFAULT_IMAGE in images.load_recipes()
    monkeypatch.setenv("DIFUSOR_SANDBOX_IMAGE", "debian12")
    assert [p.image for p in sandbox.default_platforms()] == ["debian12"]
    monkeypatch.setenv("DIFUSOR_SANDBOX_IMAGE", "")
    assert sandbox.default_image() == "ubuntu2204"


def test_service_containers_are_not_inventory_hosts(tmp_path: Path):
    from difusor import sandbox, simulator

    assert simulator.SIMULATOR_GROUP in sandbox.SERVICE_GROUPS
    hosts = [
        Host("target", "sb-target", "172.18.0.2", "ubuntu2204", "running", ["difusores"]),
        Host("ntp", "sb-ntp", "172.18.0.3", "client", "running", [sandbox.NTP_GROUP]),
        Host("simulador-ople", "sb-sim", "172.18.0.4", "client", "running", ["simulators"]),
    ]
    children = inventory(hosts, tmp_path / "id_ed25519", "172.18.0.1")["all"]["children"]
    assert list(children) == ["difusores"]


def test_the_ntp_server_serves_its_clock_and_never_sets_it(monkeypatch):
    import subprocess

    from difusor import images, sandbox

    calls: list[list[str]] = []

    def fake_run(args, **kwargs):
        calls.append(list(args))
        out = "172.18.0.9\n" if args[:2] == ["docker", "inspect"] else ""
        return subprocess.CompletedProcess(args, 0, out, "")

    monkeypatch.setattr(sandbox, "run", fake_run)
    monkeypatch.setattr(sandbox, "container_state", lambda name: None)
    monkeypatch.setattr(sandbox, "ensure_network", lambda name: f"{name}-net")
    monkeypatch.setattr(images, "ensure_image", lambda name, recipes, say: f"difusor/{name}:latest")
    assert sandbox.ntp_server("sb", lambda message: None) == "172.18.0.9"
    started = next(call for call in calls if call[:2] == ["docker", "run"])
    assert "--network" in started and "sb-net" in started
    assert f"{sandbox.LABEL}=sb" in started  # `sandbox down` (make demo-down) removes it
    assert started[started.index("--entrypoint") + 1 : started.index("--entrypoint") + 3] == [
        "chronyd",
        "difusor/client:latest",
    ]
    assert started[-4:] == ["-d", "-x", "local stratum 8", "allow all"]
    assert not any("cap-add" in arg or "privileged" in arg for arg in started)


def test_ntp_vars_point_role_ntp_at_the_sandbox_server_only():
    from difusor import sandbox

    data = yaml.safe_load(sandbox.ntp_vars("172.18.0.9"))
    assert data == {
        "ntp_servers": [{"host": "172.18.0.9", "options": "iburst minpoll 0 maxpoll 2"}],
        "ntp_pools": [],
    }
