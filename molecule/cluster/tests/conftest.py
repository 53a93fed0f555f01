"""The cluster scenario's hosts, the packages it pushes and the readers' load."""

import json
import os
import statistics
import subprocess
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import testinfra
import testinfra.utils.ansible_runner

from difusor.package import generate
from difusor.package.layout import Settings

INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
EPHEMERAL = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"])
RUNNER = testinfra.utils.ansible_runner.AnsibleRunner(INVENTORY)
PASSWORD = "scenario-rsync-password"  # group_vars/all.yml
NODES = RUNNER.get_hosts("prep_web_nodes")
ROOT = "/srv/prep/site"  # role difusor's default difusor_site_root
LIB = "PYTHONPATH=/opt/difusor/lib python3 -m difusor.cli"
FIRST_CUT = datetime(2024, 6, 2, 20, 15, tzinfo=ZoneInfo("America/Mexico_City"))
ROWS = 11_000  # actas of a Veracruz state package (package/site.py)
LOAD_OUT, LOAD_STOP = "/root/load.jsonl", "/root/load.stop"


def get(name: str):
    return testinfra.get_host(f"ansible://{name}?ansible_inventory={INVENTORY}")


def container(name: str) -> str:
    """The Docker container of a scenario host (the inventory's ansible_host)."""
    return RUNNER.get_variables(name)["ansible_host"]


def address_of(host) -> str:
    return host.interface("eth0", family="inet").addresses[0]


def wait_for(predicate, timeout_s: float = 60, interval_s: float = 0.5):
    """Poll until predicate() returns something true; return it, or the last value on timeout."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval_s)


def journal(recv, *events: str) -> list[dict]:
    lines = recv.check_output(f"cat {ROOT}/journal.jsonl").splitlines()
    return [entry for entry in map(json.loads, lines) if entry["event"] in events]


def node_switch(node) -> dict:
    """The node's last switch (cut and time), as its publisher recorded it."""
    text = node.run(f"cat {ROOT}/switched.json").stdout
    return json.loads(text) if text.strip() else {}


def epoch(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def balancer_status(lb) -> dict:
    """The balancer agent's view: the cut the health checks require, each node's state."""
    out = lb.check_output(
        f"sudo -u difusor-balancer env SSH_ORIGINAL_COMMAND=status {LIB} cluster balancer-agent"
    )
    return json.loads(out)


def summary(seconds: list[float]) -> str:
    return f"median {statistics.median(seconds):.2f} s, max {max(seconds):.2f} s"


@pytest.fixture(scope="session")
def lb():
    return get("lb")


@pytest.fixture(scope="session")
def recv():
    return get("recv")


@pytest.fixture(scope="session")
def client():
    return get("client")


@pytest.fixture(scope="session")
def nodes():
    return {name: get(name) for name in NODES}


@pytest.fixture(scope="session")
def packages(tmp_path_factory, client):
    """21 Veracruz-size cuts 15 minutes apart, made on the controller and copied to the client."""
    out = tmp_path_factory.mktemp("packages")
    made = [
        generate(FIRST_CUT + timedelta(minutes=15 * n), out, rows=ROWS, settings=Settings())
        for n in range(21)
    ]
    client.check_output("rm -rf /root/packages")
    subprocess.run(["docker", "cp", str(out), f"{container('client')}:/root/packages"], check=True)
    return [Path("/root/packages") / package.name for package in made]


def push(client, recv_address: str, package: Path) -> float:
    """rsync the archive and its sidecar to the receiving node, as the electoral body does; the
    time (epoch, the client's clock: the machine's) at which the package was complete there."""
    done = client.check_output(
        f"RSYNC_PASSWORD={PASSWORD} rsync --contimeout=5 --timeout=30 -t {package} "
        f"{package}.sha256 rsync://ople@{recv_address}/paquetes/ && date +%s.%N"
    )
    return float(done.split()[-1])


@pytest.fixture(scope="session")
def load(client, lb):
    """Readers through the balancer during the whole module: 4 keep-alive connections, 40
    requests/s in all. Yields a function that returns the responses so far."""
    script = Path(__file__).with_name("load.py")
    target = f"{container('client')}:/root/load.py"
    subprocess.run(["docker", "cp", str(script), target], check=True)
    client.check_output(f"rm -f {LOAD_OUT} {LOAD_STOP}")
    client.check_output(
        f"nohup python3 /root/load.py {address_of(lb)} 4 40 {LOAD_OUT} {LOAD_STOP} "
        "> /root/load.log 2>&1 &"
    )

    def responses() -> list[dict]:
        text = client.run(f"cat {LOAD_OUT}").stdout
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    yield responses
    client.run(f"touch {LOAD_STOP}")
