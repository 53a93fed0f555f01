"""The audit judges what happens, not only what is configured (I.H, V.ii.2): on one target the
ingest service is broken the way a library that cannot be imported breaks it (a drop-in points its
PYTHONPATH nowhere) and a package is pushed; `difusor audit` must say FAIL for both requirements,
naming the failed unit, its error and the package left waiting in the incoming directory.

The target is restored afterwards (drop-in removed, failed state reset, the waiting package
published), so later tests find it as before. Runs after test_suite_audit (which needs every
target healthy); the waiting package is the live cut plus one minute, older than the cuts that
test_web pushes. The catalog is the project's with a shorter arrival threshold (5 s settle + 5 s
pass instead of 30 + 60), so that the package need not wait 90 s; the unit tests cover the real
threshold."""

import json
import time
from datetime import timedelta

import pytest
import yaml
from conftest import (
    INVENTORY,
    PROJECT,
    TARGETS,
    address_of,
    copy_package,
    facts_of,
    get,
    ident,
    rsync_daemon,
    run_audit,
    wait_for,
)

from difusor.compliance import checks
from difusor.package import generate
from difusor.package.layout import parse_cut_id

UNIT = "difusor-ingest.service"
DROP_IN_DIR = f"/etc/systemd/system/{UNIT}.d"
DROP_IN = f"{DROP_IN_DIR}/zz-broken-by-molecule.conf"
# The Ubuntu 22.04 target when there is one: the host.
TARGET = next((name for name in TARGETS if "ubuntu2204" in name), TARGETS[0])


def unit_state(host) -> str:
    return host.check_output(f"systemctl show -p ActiveState --value {UNIT}")


@pytest.fixture(scope="module")
def catalog(tmp_path_factory):
    document = yaml.safe_load((PROJECT / "compliance" / "oplever-2024.yml").read_text())
    (requirement,) = [item for item in document["requirements"] if item["id"] == "I.H"]
    params = requirement["params"]
    params.update(arrival_settle_s=5, safety_pass_s=5)
    path = tmp_path_factory.mktemp("catalog") / "oplever-2024.yml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False))
    return path, params


@pytest.fixture(scope="module")
def broken(tmp_path_factory):
    """TARGET with a failing ingest service and a package waiting; restored on teardown."""
    host, trusted = get(TARGET), get("trusted")
    site, incoming = facts_of(host).site_root, facts_of(host).incoming_dir
    live = host.check_output(f"readlink {site}/current").rsplit("/", 1)[-1]
    package = generate(parse_cut_id(live) + timedelta(minutes=1), tmp_path_factory.mktemp("w"))
    host.check_output(
        f"mkdir -p {DROP_IN_DIR} && printf '[Service]\\nEnvironment=PYTHONPATH=/nowhere\\n' "
        f"> {DROP_IN} && systemctl daemon-reload"
    )
    try:
        pushed = rsync_daemon(trusted, copy_package(trusted, package), address_of(host))
        assert pushed.rc == 0, pushed.stderr
        pushed_at = time.monotonic()
        assert wait_for(lambda: unit_state(host) == "failed", 90), unit_state(host)
        assert host.file(f"{incoming}/{package.name}").exists
        yield host, package, pushed_at
    finally:
        host.run(f"rm -rf {DROP_IN_DIR} && systemctl daemon-reload")
        host.run(f"systemctl reset-failed {UNIT}")
        host.run(f"systemctl start {UNIT}")  # a pass now, not at the timer's next one
        published = wait_for(lambda: not host.file(f"{incoming}/{package.name}").exists, 60)
        assert published, host.run(f"journalctl -u {UNIT} -n 20 --no-pager").stdout
        assert host.check_output(f"readlink {site}/current") == f"releases/{ident(package)}"
        assert unit_state(host) != "failed"


def test_audit_fails_i_h_and_v_ii_2_for_a_broken_publisher(broken, catalog, tmp_path):
    host, package, pushed_at = broken
    catalog_path, params = catalog
    time.sleep(max(0.0, pushed_at + checks.arrival_wait_limit_s(params) + 2 - time.monotonic()))
    result = run_audit(
        tmp_path,
        "--hosts",
        f"ansible://{TARGET}?ansible_inventory={INVENTORY}",
        "--catalog",
        str(catalog_path),
        "--pytest-arg=-k",
        "--pytest-arg=test_publication",  # the pipeline's tests only: I.H, V.ii.2 and friends
        "--format",
        "json",
        "--lang",
        "en",
    )
    (entry,) = json.loads((tmp_path / "audit-report.json").read_text())["hosts"]
    assert entry["status"] == "ok", entry["error"]
    rows = {row["id"]: row for row in entry["requirements"]}
    for rid in ("I.H", "V.ii.2"):
        assert rows[rid]["verdict"] == "FAIL", (rid, rows[rid]["reason"])
        tests = {test["name"].split("[")[0]: test for test in rows[rid]["tests"]}
        units = tests["test_publisher_services_have_not_failed"]
        assert units["status"] == "fail"
        assert f"{UNIT} in failed state" in units["summary"], units["summary"]
        assert "No module named 'difusor'" in units["summary"], units["summary"]
        shown = " ".join(item.get("command", "") for item in units["evidence"])
        assert f"journalctl -u {UNIT}" in shown
        waiting = tests["test_no_arrival_waits_unpublished"]
        assert waiting["status"] == "fail"
        assert f"{package.name} (" in waiting["summary"], waiting["summary"]
    assert result.returncode == 1
    assert host.file(f"{facts_of(host).incoming_dir}/{package.name}").exists  # touched nothing
