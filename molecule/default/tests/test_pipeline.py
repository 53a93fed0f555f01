"""The results pipeline (I.H, V.ii.2, VI.b): packages pushed by rsync from the trusted side go
live by themselves over HTTPS, unmodified; pushes from the untrusted side are refused; a corrupt
package is rejected while the previous cut is still served."""

import hashlib
import time
import zipfile
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from conftest import (
    KEYS,
    SITE,
    copy_package,
    ident,
    live_cut_shown,
    put_file,
    rsync_daemon,
    wait_for,
)

from difusor.package import generate

TZ = ZoneInfo("America/Mexico_City")
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
    with zipfile.ZipFile(first) as archive:
        expected = hashlib.sha256(archive.read("GUB_2024.csv")).hexdigest()
    body = untrusted.check_output(
        f"curl -sfk https://{target_address}/GUB_2024.csv | sha256sum | cut -d' ' -f1"
    )
    assert body == expected, "the served CSV differs from the package (VI.b)"


def test_untrusted_push_is_refused(packages, untrusted, target_address):
    directory = copy_package(untrusted, packages[1])
    assert rsync_daemon(untrusted, directory, target_address).rc != 0


def test_corrupt_push_is_rejected_and_the_live_cut_stays(
    packages, target, trusted, untrusted, target_address
):
    first, _, corrupt = packages
    directory = copy_package(trusted, corrupt)
    assert rsync_daemon(trusted, directory, target_address).rc == 0  # transfer itself works

    def rejected():
        return corrupt.name in target.run(f"ls {SITE}/received/rejected").stdout

    assert wait_for(rejected, 30), target.run(f"tail -5 {SITE}/journal.jsonl").stdout
    assert "sidecar-mismatch" in target.check_output(f"tail -3 {SITE}/journal.jsonl")
    assert live_cut_shown(untrusted, target_address, ident(first))


def test_rsync_over_ssh_is_write_only(packages, target, trusted, target_address):
    second = packages[1]
    put_file(trusted, "/root/pusher", (KEYS / "pusher").read_text())
    ssh = "ssh -i /root/pusher -o BatchMode=yes -o StrictHostKeyChecking=no"
    directory = copy_package(trusted, second)
    pushed = trusted.run(f"rsync -t -e '{ssh}' {directory}/* prep-push@{target_address}:")
    assert pushed.rc == 0, pushed.stderr
    assert wait_for(lambda: live_cut_shown(trusted, target_address, ident(second)), 30)
    shell = trusted.run(f"{ssh} prep-push@{target_address} cat /etc/passwd")
    assert shell.rc != 0 and "root:" not in shell.stdout
    read_back = trusted.run(f"rsync -e '{ssh}' prep-push@{target_address}:{second.name} /tmp/")
    assert read_back.rc != 0, "the push account must not read"
