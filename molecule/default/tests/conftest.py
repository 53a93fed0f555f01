"""The scenario's hosts as the tests see them: each target in turn, and the clients by name."""

import base64
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import testinfra
import testinfra.utils.ansible_runner

from difusor.hostfacts import FACTS_PATH, HostFacts

INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
PROJECT = Path(os.environ["MOLECULE_PROJECT_DIRECTORY"])
KEYS = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "keys"
PROBE_IMAGE = "difusor-probe:latest"
PROBE_PORT = 8080
PASSWORD = "scenario-rsync-password"  # group_vars/all.yml
TARGETS = testinfra.utils.ansible_runner.AnsibleRunner(INVENTORY).get_hosts("difusores")
# In CDN origin mode behind host cdn, with prep_web_cache_bound 10 (its host_vars).
CDN_ORIGIN = "target-ubuntu2204"


def get(name: str):
    return testinfra.get_host(f"ansible://{name}?ansible_inventory={INVENTORY}")


_facts: dict[str, HostFacts] = {}


def facts_of(host) -> HostFacts:
    """The host's facts as role difusor wrote them: its paths, operator, web container. The file
    must be there (a target without it was not provisioned)."""
    name = host.backend.host
    if name not in _facts:
        _facts[name] = HostFacts.from_json(host.check_output(f"cat {FACTS_PATH}"), name)
    return _facts[name]


def address_of(host, family: str = "inet") -> str:
    """The host's address on the scenario network (dual-stack): IPv4 (inet) or the global IPv6
    one (inet6)."""
    addresses = host.interface("eth0", family=family).addresses
    return next(a for a in addresses if not a.lower().startswith("fe80:"))


def tcp_open(client, address: str, port: int) -> bool:
    return client.run(f"nc -z -w 3 {address} {port}").rc == 0


def put_file(host, path: str, content: str | bytes, mode: str = "600") -> None:
    """Write a file on a host through its command line (in chunks, base64)."""
    data = content.encode() if isinstance(content, str) else content
    encoded = base64.b64encode(data).decode()
    host.check_output(f": > {path} && chmod {mode} {path}")
    for start in range(0, len(encoded), 60_000):
        host.check_output(f"echo {encoded[start : start + 60_000]} | base64 -d >> {path}")


def wait_for(predicate, timeout_s: float = 60, interval_s: float = 1):
    """Poll until predicate() returns something true; return it, or the last value on timeout."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval_s)


def copy_package(client, package, directory="/root/push"):
    """Put the archive and its sidecar on the client."""
    client.check_output(f"rm -rf {directory} && mkdir -p {directory}")
    for path in (package, package.with_name(package.name + ".sha256")):
        put_file(client, f"{directory}/{path.name}", path.read_bytes(), "644")
    return directory


def rsync_daemon(client, directory, address):
    return client.run(
        f"RSYNC_PASSWORD={PASSWORD} rsync --contimeout=5 --timeout=10 -t {directory}/* "
        f"rsync://ople@{address}/paquetes/"
    )


def ident(package) -> str:
    """The cut id (YYYYMMDD_HHMM) in a package's name."""
    return package.name[:13]


def url_host(address: str) -> str:
    """An address as the host part of a URL (IPv6 in brackets)."""
    return f"[{address}]" if ":" in address else address


def served(client, address, path, options=""):
    """GET over HTTPS from a client (the scenario's certificate is self-signed)."""
    return client.run(f"curl -sfk --max-time 5 {options} https://{url_host(address)}/{path}")


def run_audit(out: Path, *options: str) -> subprocess.CompletedProcess:
    """`difusor audit` as an auditor runs it from the controller, reports written into `out`
    (the tail of its progress printed for the test's log)."""
    command = [str(Path(sys.executable).with_name("difusor")), "audit", *options]
    command += ["--no-progress", "-o", str(out)]
    env = {**os.environ, "ANSIBLE_CONFIG": str(PROJECT / "ansible.cfg")}
    result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=PROJECT)
    print(result.stderr[-1500:])
    return result


def lib(target) -> str:
    """The difusor command line on the target, as its units run it."""
    return f"PYTHONPATH={facts_of(target).lib_dir} python3 -m difusor.cli"


def publish_on_target(target, cut, out: str) -> str:
    """Make a synthetic package on the target and publish it at once (drill, forced); its cut
    id. `out` must be readable by the publisher's account: run as root, `package publish`
    switches to it."""
    archive = target.check_output(
        f"{lib(target)} package generate --cut '{cut:%Y-%m-%d %H:%M}' --out {out} --rows 40"
    )
    # The site root and the settings come from the host's facts.
    target.check_output(f"{lib(target)} package publish {archive} --force --drill")
    return cut.strftime("%Y%m%d_%H%M")


def live_cut_shown(client, address, ident):
    return f'data-corte="{ident}"' in served(client, address, "index.html").stdout


@pytest.fixture(scope="module", params=TARGETS)
def target(request):
    return get(request.param)


@pytest.fixture(scope="module")
def facts(target) -> HostFacts:
    return facts_of(target)


@pytest.fixture(scope="module")
def target_address(target):
    return address_of(target)


@pytest.fixture(scope="session")
def trusted():
    return get("trusted")


@pytest.fixture(scope="session")
def trusted2():
    return get("trusted2")


@pytest.fixture(scope="session")
def untrusted():
    return get("untrusted")


@pytest.fixture(scope="session")
def untrusted2():
    return get("untrusted2")


@pytest.fixture(scope="module")
def published_probe(target):
    """A container inside the target, publishing a port that the firewall does not open."""
    image = PROBE_IMAGE
    if target.run(f"docker image inspect {image}").rc != 0:
        target.check_output("DEBIAN_FRONTEND=noninteractive apt-get install -y -qq busybox-static")
        target.check_output(
            f"tar -C / -c bin/busybox | docker import -c 'CMD [\"/bin/busybox\"]' - {image}"
        )
    target.run("docker rm -f difusor-probe")
    target.check_output(
        f"docker run -d --name difusor-probe -p {PROBE_PORT}:{PROBE_PORT} {image} "
        f"/bin/busybox httpd -f -p {PROBE_PORT} -h /"
    )
    yield PROBE_PORT
    target.run("docker rm -f difusor-probe")
