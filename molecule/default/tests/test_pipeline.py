"""The results pipeline (I.H, V.ii.2, VI.b): packages pushed by rsync from the trusted side go
live by themselves over HTTPS, unmodified; pushes from the untrusted side and from a host that is
not a trusted source are refused, and nothing arrives; a corrupt package is rejected while the
previous cut is still served."""

import hashlib
import re
import time
import zipfile
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from conftest import (
    KEYS,
    PASSWORD,
    copy_package,
    facts_of,
    ident,
    live_cut_shown,
    put_file,
    rsync_daemon,
    wait_for,
)

from difusor.package import generate

TZ = ZoneInfo("America/Mexico_City")
# <cut>_PREP_<ELECTION>_VER/VER_<ELECTION>_2024.csv (issue 15: the state layout).
STATE_RESULTS_CSV = re.compile(r"\d{8}_\d{4}_PREP_([A-Z_]+)_VER/VER_\1_2024\.csv")
# An hour ago, so that no cut of the scenario is from the future (the watchdog calls a live cut
# from the future an incident); each later test pushes a newer one.
BASE = datetime.now(TZ).replace(second=0, microsecond=0) - timedelta(hours=1)


@pytest.fixture(scope="module")
def packages(tmp_path_factory, target):
    out = tmp_path_factory.mktemp(target.backend.host)
    first = generate(BASE, out / "first", rows=50)
    second = generate(BASE + timedelta(minutes=15), out / "second", rows=50)
    corrupt = generate(BASE + timedelta(minutes=30), out / "corrupt", rows=50)
    corrupt.write_bytes(corrupt.read_bytes()[:-64])  # damaged in transfer
    return first, second, corrupt


def test_trusted_push_goes_live_unmodified(packages, trusted, untrusted, target_address):
    first = packages[0]
    directory = copy_package(trusted, first)
    started = time.monotonic()
    result = rsync_daemon(trusted, directory, target_address)
    assert result.rc == 0, result.stderr
    assert wait_for(lambda: live_cut_shown(untrusted, target_address, ident(first)), 30)
    print(f"live {time.monotonic() - started:.1f} s after the push started")
    # The package is in the state PREP layout of 2024: one folder per election with its results
    # CSV and its catalog; each is served with the package's bytes.
    with zipfile.ZipFile(first) as archive:
        csvs = {name: archive.read(name) for name in archive.namelist() if name.endswith(".csv")}
    results = [name for name in csvs if STATE_RESULTS_CSV.fullmatch(name)]
    assert sorted(name.split("/")[-1] for name in results) == [
        "VER_DIP_LOC_2024.csv",
        "VER_GUB_2024.csv",
    ], sorted(csvs)
    for name, data in csvs.items():
        served_digest = untrusted.check_output(
            f"curl -sfk https://{target_address}/{name} | sha256sum | cut -d' ' -f1"
        )
        assert served_digest == hashlib.sha256(data).hexdigest(), f"{name} differs (VI.b)"


def nothing_arrived(target, package) -> None:
    """Neither the package nor a transfer's temporary file reached the incoming directory, and
    the publisher never saw it (received/, the journal)."""
    facts = facts_of(target)
    incoming = target.check_output(f"ls -A {facts.incoming_dir}").split()
    assert not [name for name in incoming if package.name in name], incoming
    received = target.run(f"find {facts.site_root}/received -name '{package.name}*'").stdout
    assert received.strip() == "", received
    assert target.run(f"grep -F '{package.name}' {facts.journal}").stdout == ""


def test_untrusted_push_is_refused(packages, target, untrusted, target_address):
    """Two locks, each proved on its own: the firewall drops an untrusted client's connection
    (rsync gives up waiting, exit 35), and the daemon's `hosts allow` refuses a client that gets
    past the firewall but is not a trusted source (the target itself, over loopback), with the
    right password, exit 5. Nothing arrives either way."""
    package = packages[1]
    directory = copy_package(untrusted, package)
    dropped = rsync_daemon(untrusted, directory, target_address)
    assert dropped.rc == 35, (dropped.rc, dropped.stderr)
    assert "timeout waiting for daemon connection" in dropped.stderr, dropped.stderr
    local = copy_package(target, package, "/root/push-unlisted")
    try:
        refused = target.run(
            f"RSYNC_PASSWORD={PASSWORD} rsync --contimeout=5 --timeout=10 -t {local}/* "
            "rsync://ople@127.0.0.1/paquetes/"
        )
    finally:
        target.run(f"rm -rf {local}")
    assert refused.rc == 5, (refused.rc, refused.stderr)
    # Newer rsync hides an unlisted module (list = no) from a host it refuses: "Unknown module".
    denied = (
        r"@ERROR: (Unknown module 'paquetes'"
        r"|access denied to paquetes from \S+ \(127\.0\.0\.1\))"
    )
    assert re.search(denied, refused.stderr), refused.stderr
    nothing_arrived(target, package)


def test_corrupt_push_is_rejected_and_the_live_cut_stays(
    packages, target, facts, trusted, untrusted, target_address
):
    first, _, corrupt = packages
    directory = copy_package(trusted, corrupt)
    assert rsync_daemon(trusted, directory, target_address).rc == 0  # transfer itself works

    def rejected():
        return corrupt.name in target.run(f"ls {facts.site_root}/received/rejected").stdout

    assert wait_for(rejected, 30), target.run(f"tail -5 {facts.journal}").stdout
    assert "sidecar-mismatch" in target.check_output(f"tail -3 {facts.journal}")
    assert live_cut_shown(untrusted, target_address, ident(first))


def test_rsync_over_ssh_is_write_only(packages, target, trusted, target_address):
    second = packages[1]
    put_file(trusted, "/root/pusher", (KEYS / "pusher").read_text())
    ssh = "ssh -i /root/pusher -o BatchMode=yes -o StrictHostKeyChecking=no"
    directory = copy_package(trusted, second)
    pushed = trusted.run(f"rsync -t -e '{ssh}' {directory}/* prep-push@{target_address}::paquetes/")
    assert pushed.rc == 0, pushed.stderr
    assert wait_for(lambda: live_cut_shown(trusted, target_address, ident(second)), 30)
    shell = trusted.run(f"{ssh} prep-push@{target_address} cat /etc/passwd")
    assert shell.rc != 0 and "root:" not in shell.stdout
    read_back = trusted.run(
        f"rsync -e '{ssh}' prep-push@{target_address}::paquetes/{second.name} /tmp/"
    )
    assert read_back.rc != 0, "the push account must not read"
