"""Sandbox hosts: systemd containers on a network of their own, for the demo and for molecule."""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path

import yaml

from difusor import engine, images
from difusor.errors import DifusorError
from difusor.inventory import GROUP
from difusor.output import say
from difusor.system import ensure_commands, run

LABEL = "io.difusor.sandbox"
DEFAULT_NAME = "difusor-sandbox"
# The sandbox target's system when DIFUSOR_SANDBOX_IMAGE is not set: the call's own (II.B.a).
DEFAULT_IMAGE = "ubuntu2204"
# The sandbox's NTP server (`difusor sandbox ntp`): chrony in a container of the client image,
# serving its clock to the sandbox network as molecule/default/prepare.yml's NTP host does.
# -x: it measures and serves, and never sets this machine's clock (it has no SYS_TIME either).
NTP_HOST = "ntp"
NTP_GROUP = "ntp_servers"
NTP_SERVER_ARGS = ("-d", "-x", "local stratum 8", "allow all")
# How the sandbox's hosts poll it (role ntp's ntp_servers options): as molecule does, so that
# chrony is synchronized within seconds of provisioning.
NTP_CLIENT_OPTIONS = "iburst minpoll 0 maxpoll 2"
# Containers of a sandbox that are services, not Ansible hosts (no sshd): left out of the
# inventory. simulators: the simulated electoral body (difusor.simulator.SIMULATOR_GROUP).
SERVICE_GROUPS = frozenset({NTP_GROUP, "simulators"})
# Sandbox hosts are rebuilt often: their host keys change, so they are not remembered.
SANDBOX_SSH_ARGS = "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null"
# Each host is also known on its sandbox network as HOST.difusor.test (Docker's DNS; .test is
# reserved for testing, RFC 6761): a name with a domain, as an ACME server wants one.
SANDBOX_DOMAIN = "difusor.test"


@dataclass(frozen=True)
class Platform:
    """One host of a sandbox, in molecule's platform shape: name, image recipe, groups."""

    name: str
    image: str
    groups: tuple[str, ...] = ()


@dataclass
class Host:
    name: str
    container: str
    address: str
    image: str
    state: str
    groups: list[str] = field(default_factory=list)
    address6: str = ""


def default_image() -> str:
    return os.environ.get("DIFUSOR_SANDBOX_IMAGE") or DEFAULT_IMAGE


def default_platforms() -> list[Platform]:
    return [Platform("prep-sandbox", default_image(), (GROUP,))]


def parse_platforms(text: str) -> list[Platform]:
    """Platforms from JSON/YAML text or a YAML file path: a list of {name, image, groups}."""
    if text.lstrip().startswith(("[", "{", "-")):
        data = yaml.safe_load(text)
    elif Path(text).is_file():
        data = yaml.safe_load(Path(text).read_text())
    else:
        raise DifusorError(f"--platforms: {text!r} is neither a list nor a file")
    if not isinstance(data, list) or not data:
        raise DifusorError("--platforms: expected a non-empty list of {name, image, groups}")
    platforms = []
    for index, entry in enumerate(data):
        if not isinstance(entry, dict) or not entry.get("name") or not entry.get("image"):
            raise DifusorError(f"--platforms: entry {index} needs a 'name' and an 'image'")
        platforms.append(
            Platform(str(entry["name"]), str(entry["image"]), tuple(entry.get("groups") or ()))
        )
    names = [p.name for p in platforms]
    if len(set(names)) != len(names):
        raise DifusorError(f"--platforms: duplicate host names in {names}")
    return platforms


def host_settings() -> dict:
    return yaml.safe_load(resources.files("difusor").joinpath("data/systemd_host.yml").read_text())


def run_args(settings: dict) -> list[str]:
    """`docker run` options that give a systemd host, from systemd_host.yml."""
    args = [f"--cap-add={cap}" for cap in settings["capabilities"]]
    args += [f"--security-opt={opt}" for opt in settings["security_opt"]]
    args += [f"--cgroupns={settings['cgroupns']}"]
    args += [f"--volume={volume}" for volume in settings["volumes"]]
    args += [f"--tmpfs={path}" for path in settings["tmpfs"]]
    args += [f"--sysctl={key}={value}" for key, value in settings.get("sysctls", {}).items()]
    args += [f"--stop-signal={settings['stop_signal']}"]
    return args


def container_name(sandbox: str, host: str) -> str:
    return f"{sandbox}-{host}"


def network_name(sandbox: str) -> str:
    return f"{sandbox}-net"


def overlapping_routes(subnet: str, own_bridge: str, routes: Iterable[dict]) -> list[str]:
    """Routes of this machine (from `ip -j route`) that overlap a new network's subnet."""
    network = ipaddress.ip_network(subnet, strict=False)
    clashes = []
    for route in routes:
        dst = route.get("dst", "default")
        if dst == "default" or route.get("dev") == own_bridge:
            continue
        candidate = ipaddress.ip_network(dst, strict=False)
        if candidate.version == network.version and candidate.overlaps(network):
            clashes.append(f"{dst} dev {route.get('dev', '?')}")
    return clashes


def network_subnets(name: str) -> list[dict]:
    """The IPAM configurations (Subnet, Gateway) of a Docker network."""
    info = json.loads(run(["docker", "network", "inspect", name]).stdout)[0]
    return info.get("IPAM", {}).get("Config") or []


# Docker engines before 27 have no IPv6 address pool by default: then the sandbox takes a /64 of
# its own from the unique local range (RFC 4193: fd00::/8 and a random 40-bit global ID).
NO_IPV6_POOL = "could not find an available, non-overlapping IPv6 address pool"


def unique_local_subnet(taken: Iterable[str], draw: Callable[[int], int]) -> str:
    """A random RFC 4193 /64 (fdXX:XXXX:XXXX::/64) that overlaps none of the taken networks."""
    used = [ipaddress.ip_network(net, strict=False) for net in taken]
    for _ in range(100):
        prefix = (0xFD << 40 | draw(40)) << 80
        subnet = ipaddress.IPv6Network((prefix, 64))
        if not any(subnet.version == net.version and subnet.overlaps(net) for net in used):
            return str(subnet)
    raise DifusorError("no free IPv6 unique local /64 found for the sandbox network")


def machine_routes() -> list[dict]:
    """This machine's IPv4 and IPv6 routes (`ip -j route`)."""
    return [
        route
        for family in ("-4", "-6")
        for route in json.loads(run(["ip", "-j", family, "route"]).stdout or "[]")
    ]


def taken_networks() -> list[str]:
    """The destinations of this machine's routes and the subnets of its Docker networks."""
    routes = [r["dst"] for r in machine_routes() if r.get("dst", "default") != "default"]
    names = run(["docker", "network", "ls", "--format", "{{.Name}}"]).stdout.split()
    return routes + [cfg["Subnet"] for name in names for cfg in network_subnets(name)]


def create_network(sandbox: str, name: str) -> None:
    """A dual-stack network: Docker assigns both prefixes, or the IPv6 one is a ULA /64 of ours."""
    create = ["docker", "network", "create", "--ipv6", "--label", f"{LABEL}={sandbox}"]
    result = run([*create, name], check=False)
    if result.returncode == 0:
        return
    if NO_IPV6_POOL not in result.stderr:
        raise DifusorError(f"docker network create {name}: {result.stderr.strip()}")
    subnet = unique_local_subnet(taken_networks(), secrets.randbits)
    run([*create, "--subnet", subnet, name])


def ensure_network(sandbox: str) -> str:
    """The sandbox's network, dual-stack, with subnets checked against this machine's routes so
    that test traffic never leaves for a real network."""
    name = network_name(sandbox)
    if run(["docker", "network", "inspect", name], check=False).returncode != 0:
        create_network(sandbox, name)
    bridge = "br-" + run(["docker", "network", "inspect", "--format", "{{.Id}}", name]).stdout[:12]
    subnets = [cfg["Subnet"] for cfg in network_subnets(name)]
    routes = machine_routes()
    for subnet in subnets:
        if clashes := overlapping_routes(subnet, bridge, routes):
            run(["docker", "network", "rm", name], check=False)
            raise DifusorError(
                f"Docker gave network {name} the subnet {subnet}, which overlaps this machine's "
                f"routes ({', '.join(clashes)}); set other default-address-pools in "
                "/etc/docker/daemon.json"
            )
    return name


def ensure_ssh_key(state_dir: Path) -> Path:
    ensure_commands({"ssh-keygen": "openssh-client", "ssh": "openssh-client"}, "the sandbox")
    key = state_dir / "id_ed25519"
    if not key.exists():
        state_dir.mkdir(parents=True, exist_ok=True)
        run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "difusor-sandbox", "-f", str(key)]
        )
    return key


def container_state(container: str) -> str | None:
    result = run(["docker", "inspect", "--format", "{{.State.Status}}", container], check=False)
    return result.stdout.strip() if result.returncode == 0 else None


def start_host(
    sandbox: str, platform: Platform, image_tag: str, network: str, settings: dict
) -> bool:
    """Start the platform's container; return True when it was created now."""
    container = container_name(sandbox, platform.name)
    state = container_state(container)
    if state == "running":
        return False
    if state is not None:
        run(["docker", "start", container])
        return False
    run(
        [
            "docker",
            "run",
            "--detach",
            "--name",
            container,
            "--hostname",
            platform.name,
            "--network",
            network,
            "--network-alias",
            f"{platform.name}.{SANDBOX_DOMAIN}",
            "--label",
            f"{LABEL}={sandbox}",
            "--label",
            f"{LABEL}.groups={','.join(platform.groups)}",
            "--label",
            f"{LABEL}.image={platform.image}",
            *run_args(settings),
            image_tag,
            *settings["command"],
        ]
    )
    return True


def wait_booted(container: str, timeout_s: float) -> None:
    """Wait until systemd in the container has finished booting (running or degraded)."""
    deadline = time.monotonic() + timeout_s
    state = ""
    while time.monotonic() < deadline:
        result = run(
            ["docker", "exec", container, "systemctl", "is-system-running", "--wait"],
            check=False,
            timeout=timeout_s,
        )
        state = result.stdout.strip()
        if state in ("running", "degraded"):
            return
        time.sleep(0.5)  # systemd is not answering yet
    raise DifusorError(
        f"{container}: systemd did not finish booting in {timeout_s} s "
        f"(state {state!r}); see `docker logs {container}`"
    )


AUTHORIZE_SCRIPT = """
install -d -m 700 /root/.ssh
keys=/root/.ssh/authorized_keys
touch "$keys" && chmod 600 "$keys"
grep -qxF "$1" "$keys" || echo "$1" >> "$keys"
"""


def authorize_key(container: str, public_key: str) -> None:
    """Add the sandbox key to root's authorized_keys unless it is there already."""
    run(
        [
            "docker",
            "exec",
            container,
            "sh",
            "-c",
            AUTHORIZE_SCRIPT,
            "authorize",
            public_key.strip(),
        ]
    )


def up(
    sandbox: str, platforms: list[Platform], state_dir: Path, say: Callable[[str], None] = print
) -> list[Host]:
    """Create (or resume) the sandbox's hosts; idempotent."""
    recipes = images.load_recipes()
    tags = {
        image: images.ensure_image(image, recipes, say) for image in {p.image for p in platforms}
    }
    key = ensure_ssh_key(state_dir)
    public_key = key.with_suffix(".pub").read_text()
    settings = host_settings()
    network = ensure_network(sandbox)
    for platform in platforms:
        if start_host(sandbox, platform, tags[platform.image], network, settings):
            say(f"started {container_name(sandbox, platform.name)} ({platform.image})")
    for platform in platforms:
        container = container_name(sandbox, platform.name)
        wait_booted(container, settings["boot_timeout_s"])
        authorize_key(container, public_key)
    return status(sandbox)


def status(sandbox: str | None = None) -> list[Host]:
    """The hosts of one sandbox (or of all sandboxes), read back from Docker."""
    selector = f"{LABEL}={sandbox}" if sandbox else LABEL
    ids = run(["docker", "ps", "--all", "--quiet", "--filter", f"label={selector}"]).stdout.split()
    if not ids:
        return []
    hosts = []
    for info in json.loads(run(["docker", "inspect", *ids]).stdout):
        labels = info["Config"]["Labels"]
        networks = info["NetworkSettings"]["Networks"]
        own = networks.get(network_name(labels[LABEL]), {})
        hosts.append(
            Host(
                name=info["Config"]["Hostname"],
                container=info["Name"].lstrip("/"),
                address=own.get("IPAddress", ""),
                image=labels.get(f"{LABEL}.image", ""),
                state=info["State"]["Status"],
                groups=[g for g in labels.get(f"{LABEL}.groups", "").split(",") if g],
                address6=own.get("GlobalIPv6Address", ""),
            )
        )
    return sorted(hosts, key=lambda h: h.container)


def down(sandbox: str | None = None) -> list[str]:
    """Remove the containers (with their volumes) and networks of one sandbox, or of all."""
    selector = f"label={LABEL}={sandbox}" if sandbox else f"label={LABEL}"
    removed = []
    containers = run(["docker", "ps", "--all", "--quiet", "--filter", selector]).stdout.split()
    if containers:
        run(["docker", "rm", "--force", "--volumes", *containers])
        removed += containers
    networks = run(["docker", "network", "ls", "--quiet", "--filter", selector]).stdout.split()
    if networks:
        run(["docker", "network", "rm", *networks])
        removed += networks
    return removed


def container_address(container: str, network: str) -> str:
    template = f'{{{{(index .NetworkSettings.Networks "{network}").IPAddress}}}}'
    return run(["docker", "inspect", "--format", template, container]).stdout.strip()


def service_run(sandbox: str, container: str, hostname: str, group: str, network: str) -> list[str]:
    """`docker run` of a service container of the sandbox (the client image: an NTP server, the
    simulated electoral body), labelled so that `status` and `down` find it and the inventory
    leaves it out (SERVICE_GROUPS); the caller adds its options, the image and the command."""
    return [
        "docker",
        "run",
        "--detach",
        "--init",
        "--name",
        container,
        "--hostname",
        hostname,
        "--network",
        network,
        "--label",
        f"{LABEL}={sandbox}",
        "--label",
        f"{LABEL}.groups={group}",
        "--label",
        f"{LABEL}.image=client",
    ]


def ntp_server(sandbox: str, say: Callable[[str], None] = print) -> str:
    """Start (or keep) the sandbox's NTP server on its network; return its address."""
    container = container_name(sandbox, NTP_HOST)
    state = container_state(container)
    if state is not None and state != "running":
        run(["docker", "rm", "--force", container])
    if state != "running":
        image = images.ensure_image("client", images.load_recipes(), say)
        network = ensure_network(sandbox)
        service = service_run(sandbox, container, NTP_HOST, NTP_GROUP, network)
        run([*service, "--entrypoint", "chronyd", image, *NTP_SERVER_ARGS])
        say(f"started {container}: chrony serving its clock (local stratum 8, never setting it)")
    return container_address(container, network_name(sandbox))


def ntp_vars(address: str) -> str:
    """Role ntp's variables that point the sandbox's hosts at its NTP server (and only at it:
    the sandbox has no Internet)."""
    return (
        "---\n# Written by `difusor sandbox ntp`: the sandbox's NTP server, its only time source.\n"
        + yaml.safe_dump(
            {"ntp_servers": [{"host": address, "options": NTP_CLIENT_OPTIONS}], "ntp_pools": []},
            sort_keys=False,
        )
    )


def network_gateway(sandbox: str) -> str:
    """The address this machine has on the sandbox network: where the controller connects from."""
    return next(
        cfg["Gateway"] for cfg in network_subnets(network_name(sandbox)) if cfg.get("Gateway")
    )


def inventory(hosts: list[Host], key: Path, controller_address: str) -> dict:
    """An Ansible inventory that reaches the hosts over SSH as root with the sandbox key."""
    groups: dict[str, dict] = {}
    for host in hosts:
        if SERVICE_GROUPS & set(host.groups):
            continue
        for group in host.groups or ["ungrouped"]:
            groups.setdefault(group, {"hosts": {}})["hosts"][host.name] = {
                "ansible_host": host.address
            }
    return {
        "all": {
            "vars": {
                "ansible_user": "root",
                # Every sandbox image has it; a rebuilt host must not inherit a cached discovery.
                "ansible_python_interpreter": "/usr/bin/python3",
                "ansible_ssh_private_key_file": str(key.resolve()),
                "ansible_ssh_common_args": SANDBOX_SSH_ARGS,
                "sandbox_controller_address": controller_address,
            },
            "children": groups,
        }
    }


def write_inventory(hosts: list[Host], key: Path, controller_address: str, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "# Written by `difusor sandbox up`; do not edit.\n"
        + yaml.safe_dump(inventory(hosts, key, controller_address), sort_keys=False)
    )


def as_json(hosts: list[Host]) -> str:
    return json.dumps([asdict(h) for h in hosts], indent=2)


# --- CLI -------------------------------------------------------------------------------------


def cmd_sandbox(args: argparse.Namespace) -> int:
    if args.action == "down":
        engine.ensure_engine(say)
        removed = down(None if args.all else args.name)
        say(
            f"removed {len(removed)} containers and networks"
            + ("" if args.all else f" of sandbox {args.name}")
        )
        if args.inventory and not args.all:
            args.inventory.unlink(missing_ok=True)
        return 0
    if args.action == "ntp":
        engine.ensure_engine(say)
        address = ntp_server(args.name, say)
        say(f"NTP server of sandbox {args.name} at {address} (UDP 123)")
        if args.vars_out:
            args.vars_out.parent.mkdir(parents=True, exist_ok=True)
            args.vars_out.write_text(ntp_vars(address), encoding="utf-8")
            say(f"role ntp's time sources written to {args.vars_out}")
        print(address)
        return 0
    if args.action == "status":
        hosts = status(args.name)
    else:
        engine.ensure_engine(say)
        platforms = parse_platforms(args.platforms) if args.platforms else default_platforms()
        state_dir = args.state_dir or Path(".difusor") / args.name
        hosts = up(args.name, platforms, state_dir, say)
        if args.inventory:
            gateway = network_gateway(args.name)
            write_inventory(hosts, state_dir / "id_ed25519", gateway, args.inventory)
            say(f"inventory written to {args.inventory}")
    if args.json:
        print(as_json(hosts))
    elif not hosts:
        print(f"sandbox {args.name}: no hosts")
    else:
        for host in hosts:
            print(
                f"{host.name:20} {host.state:9} {host.address:16} {host.image:12} "
                f"{','.join(host.groups)}"
            )
    return 0


def register(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """`difusor sandbox up|down|status|ntp`."""
    parser = commands.add_parser("sandbox", help="local systemd hosts for the demo and for tests")
    parser.add_argument(
        "action",
        choices=["up", "down", "status", "ntp"],
        help="ntp: start the sandbox's NTP server (chrony in a client container, never setting "
        "the clock) and print its address",
    )
    parser.add_argument(
        "--name",
        default=DEFAULT_NAME,
        help="sandbox name, prefix of its containers (default: %(default)s)",
    )
    parser.add_argument(
        "--platforms",
        help="JSON/YAML list or YAML file of {name, image, groups}; "
        f"default: one host 'prep-sandbox' in group '{GROUP}' "
        f"(image from DIFUSOR_SANDBOX_IMAGE, default {DEFAULT_IMAGE})",
    )
    parser.add_argument(
        "--state-dir", type=Path, help="where the SSH key is kept (default: .difusor/NAME)"
    )
    parser.add_argument(
        "--inventory", type=Path, help="write an Ansible inventory here (up); remove it (down)"
    )
    parser.add_argument("--all", action="store_true", help="down: every sandbox, not only --name")
    parser.add_argument(
        "--vars-out",
        type=Path,
        help="ntp: write role ntp's variables (ntp_servers: this server only) to this file",
    )
    parser.add_argument("--json", action="store_true", help="print the hosts as JSON")
    parser.set_defaults(func=cmd_sandbox)
    return parser
