"""Compliance suite: shared fixtures. Run against any host testinfra reaches, e.g.

    pytest tests/compliance --hosts=ssh://root@203.0.113.5 --results=out.json
    pytest tests/compliance --hosts=ansible://all --ansible-inventory=inventory/mine/hosts.yml
    pytest tests/compliance --hosts=docker://web1 --trusted-vantage=local://

The plugin (difusor.compliance.plugin) adds the requirement marker, the `evidence` fixture and
the options --results, --catalog, --trusted-vantage, --untrusted-vantage, --portal-url,
--target-address. Commands that need root go through sudo when the connection is not root.
"""

from __future__ import annotations

import importlib
from typing import Any

import pytest
import testinfra

from difusor import hostfacts
from difusor.compliance import catalog as catalog_mod
from difusor.errors import DifusorError

pytest_plugins = ["difusor.compliance.plugin"]


def plugin():
    """The suite's plugin module, imported by pytest itself (so that its asserts are rewritten)."""
    return importlib.import_module("difusor.compliance.plugin")


IDENTITY_COMMANDS = {
    "hostname": "hostname -f 2>/dev/null || hostname",
    "machine_id": "cat /etc/machine-id",
    "os": '. /etc/os-release && echo "$PRETTY_NAME"',
    "kernel": "uname -srm",
    "virtualization": "systemd-detect-virt 2>/dev/null || true",
    "addresses": "hostname -I",
    "clock_utc": "date -u +%Y-%m-%dT%H:%M:%SZ",
    "timezone": "timedatectl show -p Timezone --value 2>/dev/null || cat /etc/timezone",
}
_identities: dict[str, dict[str, Any]] = {}
_facts: dict[str, hostfacts.HostFacts] = {}


@pytest.fixture(scope="session")
def catalog(pytestconfig: pytest.Config) -> catalog_mod.Catalog:
    return plugin().load_catalog(pytestconfig)


@pytest.fixture(scope="session")
def params(catalog: catalog_mod.Catalog):
    """params("II.A.b") -> the catalog's thresholds of that requirement."""
    return catalog.params


@pytest.fixture(scope="module", autouse=True)
def reachable(host, pytestconfig: pytest.Config) -> dict[str, Any]:
    """Stop the run with a host-level error when the host cannot be reached; record identity."""
    name = host.backend.hostname
    if name not in _identities:
        try:
            result = host.run("true")
            if result.rc != 0:
                raise RuntimeError(f"`true` exited {result.rc}: {result.stderr.strip()}")
        except Exception as exc:
            detail = exc.args[0] if exc.args else exc
            stderr = getattr(detail, "stderr", None)  # testinfra raises with the CommandResult
            reason = " ".join(str(stderr).split()) if stderr else str(detail)
            message = f"host {name} unreachable: {reason}".strip()
            plugin().set_host_error(pytestconfig, message)
            pytest.exit(message, returncode=3)
        identity = {"name": name, "connection": host.backend.get_connection_type()}
        for key, command in IDENTITY_COMMANDS.items():
            result = host.run(command)
            identity[key] = result.stdout.strip() if result.rc == 0 else ""
        _facts[name], identity["facts"] = _read_facts(host, name)
        _identities[name] = identity
        plugin().set_identity(pytestconfig, identity)
    return _identities[name]


def _read_facts(host, name: str) -> tuple[hostfacts.HostFacts, str]:
    """The host's facts (the roles write them) and how the report shows them. A host without
    the file is judged with the defaults; an unreadable or broken file too, and says so."""
    if plugin().is_root(host):
        result = host.run(hostfacts.READ_COMMAND)
    else:
        with host.sudo():
            result = host.run(hostfacts.READ_COMMAND)
    try:
        facts = hostfacts.from_command_output(result.rc, result.stdout, name)
    except DifusorError as exc:
        return hostfacts.HostFacts(), f"{exc}; judged with the defaults"
    shown = ", ".join(f"{key}={value}" for key, value in sorted(facts.as_dict().items()))
    return facts, f"{facts.source or 'none (the defaults)'}: {shown}"


@pytest.fixture
def facts(host, reachable) -> hostfacts.HostFacts:
    """The host's facts: its paths, operator, web container (difusor.hostfacts)."""
    return _facts[host.backend.hostname]


@pytest.fixture(autouse=True)
def cluster_part(request: pytest.FixtureRequest, facts: hostfacts.HostFacts) -> str:
    """The host's part in a cluster (host facts); a test marked `parts(...)` (its own marker or
    its module's `pytestmark`) that does not name it is N/A, with why (compliance.cluster)."""
    from difusor.compliance import cluster

    marker = request.node.get_closest_marker("parts")
    part = facts.cluster_part
    if marker is not None and not cluster.applies(part, tuple(marker.args)):
        evidence = plugin().Evidence()
        plugin().skip_in_setup(request.node, evidence, cluster.not_applicable(part, marker.args))
    return part


def _vantage_host(pytestconfig: pytest.Config, option: str):
    spec = pytestconfig.getoption(option)
    if not spec:
        return None
    if "://" not in spec:  # a host of the Ansible inventory
        inventory = pytestconfig.getoption("ansible_inventory", None)
        spec = f"ansible://{spec}" + (f"?ansible_inventory={inventory}" if inventory else "")
    return testinfra.get_host(spec)


@pytest.fixture(scope="session")
def trusted_vantage(pytestconfig: pytest.Config):
    return _vantage_host(pytestconfig, "trusted_vantage")


@pytest.fixture(scope="session")
def untrusted_vantage(pytestconfig: pytest.Config):
    return _vantage_host(pytestconfig, "untrusted_vantage")


@pytest.fixture(scope="module")
def target_address(host, pytestconfig: pytest.Config) -> str:
    """The address vantage points connect to: --target-address, the inventory, or the host's."""
    given = pytestconfig.getoption("target_address")
    if given:
        return given
    backend = host.backend
    if backend.NAME == "ansible":
        variables = backend.ansible_runner.get_variables(backend.host)
        return str(variables.get("ansible_host", backend.host))
    spec = getattr(backend, "host", None)
    if backend.NAME in ("ssh", "paramiko", "safe-ssh") and getattr(spec, "name", None):
        return spec.name
    # docker://, local://: the address of the interface of the default route (not docker0)
    route = host.run("ip -4 -o route show default").stdout.split()
    device = route[route.index("dev") + 1] if "dev" in route else ""
    shown = host.run(f"ip -4 -o addr show dev {device} scope global").stdout if device else ""
    addresses = [word.split("/")[0] for word in shown.split() if "/" in word and "." in word]
    addresses += host.run("hostname -I").stdout.split()
    if not addresses:
        pytest.fail("cannot tell the target's address: give --target-address")
    return addresses[0]


@pytest.fixture(scope="module")
def target_address6(host) -> str:
    """The target's global IPv6 address, on the interface of its default IPv6 route (where
    clients reach it over IPv6); "" when it has none."""
    route = host.run("ip -6 -o route show default").stdout.split()
    device = route[route.index("dev") + 1] if "dev" in route else ""
    if not device:
        return ""
    shown = host.run(f"ip -6 -o addr show dev {device} scope global -deprecated").stdout.split()
    return next((w.split("/")[0] for w in shown if "/" in w and ":" in w), "")


def incoming_arrivals(host, evidence, facts) -> list | None:
    """The files in the incoming directory with their age (checks.Arrival); None when the
    directory cannot be listed."""
    from difusor.compliance import checks

    listing = evidence.run(host, checks.arrivals_command(str(facts.incoming_dir)), sudo=True)
    return checks.parse_arrivals(listing.stdout) if listing.rc == 0 else None


@pytest.fixture
def arrivals(host, evidence, facts) -> list | None:
    return incoming_arrivals(host, evidence, facts)


@pytest.fixture
def live_cut(host, evidence, facts) -> str:
    """The cut `current` points to (YYYYMMDD_HHMM). No cut: FAIL when packages have arrived
    (the journal exists, or files wait in the incoming directory), MANUAL before the first
    package (nothing to judge yet: push a drill package and audit again)."""
    from difusor.compliance import checks
    from difusor.package.layout import CUT_ID_RE

    root = facts.site_root
    target = evidence.run(host, f"readlink {root}/current", sudo=True).stdout.strip()
    name = target.rsplit("/", 1)[-1]
    if target.startswith("releases/") and CUT_ID_RE.fullmatch(name):
        return name
    journal = facts.journal
    arrived = evidence.run(host, f"test -s {journal}", sudo=True).rc == 0
    landed = [a for a in incoming_arrivals(host, evidence, facts) or [] if not a.in_transfer]
    if landed:
        incoming = facts.incoming_dir
        summary = checks.msg("no_live_cut_waiting", root=root, count=len(landed), incoming=incoming)
        evidence.verdict(checks.Check(checks.FAIL, summary, {"waiting": [a.name for a in landed]}))
    if arrived:
        evidence.verdict(checks.Check(checks.FAIL, checks.msg("no_live_cut", root=root), {}))
    evidence.verdict(
        checks.Check(
            checks.MANUAL,
            checks.msg("no_package_yet", journal=journal),
            {"live_cut": None},
        )
    )
    return ""
