"""The parser of hostile archives runs unprivileged and sandboxed, and rsync takes only the bytes of
regular files (issue 13, findings 3 and 12; I.H, V.ii.2, VI.b).

On every target: `systemd-analyze security` rates difusor-ingest.service and
difusor-watchdog.service 2.0 or lower (printed, with rsync.service's figure); both run as the
publisher's account, which owns what a pass publishes. From the trusted client, pushes through the
rsync daemon that ask for links, FIFOs, the sender's modes (`rsync -a` of a 0777 directory holding
a symlink to a root-only file and a FIFO), in-place or appending writes are refused, and the plain
push of that directory lands nothing: no symlink or FIFO reaches the incoming directory, which
keeps its mode. Over SSH (the same module, as a single-use daemon) the same pushes are refused.
The next valid package still goes live.

The valid package is the live cut plus one minute: older than the cuts test_web pushes later."""

import re
import time
from datetime import timedelta

import pytest
from conftest import (
    KEYS,
    PASSWORD,
    copy_package,
    facts_of,
    ident,
    live_cut_shown,
    put_file,
    wait_for,
)

from difusor.package import generate
from difusor.package.layout import parse_cut_id

EXPOSURE_MAX = 2.0
UNITS = ["difusor-ingest.service", "difusor-watchdog.service"]
SSH = "ssh -i /root/pusher -o BatchMode=yes -o StrictHostKeyChecking=no"


def exposure(target, unit: str) -> float:
    """The overall exposure level `systemd-analyze security` gives the unit (0 safe, 10 unsafe)."""
    text = target.check_output(f"systemd-analyze security --no-pager {unit}")
    match = re.search(rf"Overall exposure level for {re.escape(unit)}: (\d+(?:\.\d+)?)", text)
    assert match, text[-500:]
    return float(match.group(1))


@pytest.mark.parametrize("unit", UNITS)
def test_publisher_units_have_exposure_2_or_lower(target, unit):
    figure = exposure(target, unit)
    print(f"{target.backend.host}: {unit} exposure {figure}")
    assert figure <= EXPOSURE_MAX, target.check_output(
        f"systemd-analyze security --no-pager {unit} | grep -v '✓'"
    )
    user = target.check_output(f"systemctl show -p User --value {unit}")
    assert user == facts_of(target).publisher_user


def test_rsync_exposure_is_reported(target):
    figure = exposure(target, "rsync.service")
    print(f"{target.backend.host}: rsync.service exposure {figure}")
    assert figure <= 3.0  # 2.3 with the role's drop-in; the distribution's unit alone rates 8.5


@pytest.fixture(scope="module")
def hostile(target, trusted):
    """On the trusted client: a 0777 directory holding a symlink to a root-only file and a FIFO,
    both named like an arrival (archive and sidecar). Returns (directory, the names' marker)."""
    marker = f"hostile-{target.backend.host}-{int(time.time())}"  # this run's, not an earlier one's
    directory = f"/root/{marker}"
    archive = f"{directory}/20240602_2000_PREP_{marker}.zip"
    trusted.check_output(
        f"rm -rf {directory} && mkdir {directory} && chmod 0777 {directory} && "
        f"ln -s /etc/shadow {archive} && mkfifo {archive}.sha256"
    )
    return directory, marker


def landed(target, marker: str) -> str:
    """Links and FIFOs of the hostile pushes anywhere in the pipeline's tree (`find` lines)."""
    return target.check_output(
        f"find {facts_of(target).prep_root} -name '*{marker}*' "
        "\\( -type l -o -type p \\) -printf '%y %p -> %l\\n'"
    )


def push(trusted, options: str, source: str, address: str):
    return trusted.run(
        f"RSYNC_PASSWORD={PASSWORD} rsync --contimeout=5 --timeout=10 {options} {source} "
        f"rsync://ople@{address}/paquetes/"
    )


@pytest.mark.parametrize(
    "options",
    [
        "-a",
        "-rt --links",
        "-rt --specials",
        "-rt --devices",
        "-rt --perms",
        "-rt --inplace",
        "-rt --append",
        "-rt --partial",
        "-rt --sparse",
        "-rt --hard-links",
    ],
)
def test_daemon_refuses_what_is_not_the_bytes_of_a_regular_file(
    target, facts, trusted, target_address, hostile, options
):
    directory, marker = hostile
    mode = target.check_output(f"stat -c %a {facts.incoming_dir}")
    result = push(trusted, options, f"{directory}/", target_address)
    print(f"rsync {options}: exit {result.rc}: {result.stderr.strip().splitlines()[:1]}")
    assert result.rc != 0 and "refuse" in result.stderr, result.stderr
    assert landed(target, marker) == ""
    assert target.check_output(f"stat -c %a {facts.incoming_dir}") == mode == "770"


def test_plain_push_of_links_and_fifos_lands_nothing(
    target, facts, trusted, target_address, hostile
):
    directory, marker = hostile
    result = push(trusted, "-rt", f"{directory}/", target_address)
    print(f"rsync -rt: exit {result.rc}: {result.stdout.strip()} {result.stderr.strip()}")
    assert "skipping non-regular file" in result.stdout + result.stderr
    time.sleep(2)  # a pass would have seen them
    assert landed(target, marker) == ""
    owned = target.check_output(f"stat -c '%a %U %G' {facts.incoming_dir}")
    assert owned == "770 prep-incoming prep-incoming"


def test_ssh_push_refuses_links_and_fifos(target, facts, trusted, target_address, hostile):
    """Over SSH the keys run the same module (a single-use daemon): the same refusals."""
    directory, marker = hostile
    put_file(trusted, "/root/pusher", (KEYS / "pusher").read_text())
    for options in ("-a", "-rt --links", "-rt --specials", "-rt --perms"):
        result = trusted.run(
            f"rsync --timeout=10 {options} -e '{SSH}' {directory}/ "
            f"prep-push@{target_address}::paquetes/"
        )
        print(f"rsync over SSH {options}: exit {result.rc}: {result.stderr.strip()[:120]}")
        assert result.rc != 0 and "refuse" in result.stderr, result.stderr
    assert landed(target, marker) == ""
    assert target.check_output(f"stat -c %a {facts.incoming_dir}") == "770"


def test_the_next_valid_package_goes_live_as_the_publisher(
    target, facts, trusted, untrusted, target_address, tmp_path_factory
):
    """Pushed over SSH from files the sender keeps 0600: they land 0640, which the publisher
    reads (as a member of the incoming directory's group)."""
    site = facts.site_root
    live = target.check_output(f"readlink {site}/current").rsplit("/", 1)[-1]
    package = generate(parse_cut_id(live) + timedelta(minutes=1), tmp_path_factory.mktemp("s"))
    directory = copy_package(trusted, package)
    trusted.check_output(f"chmod 0600 {directory}/*")
    result = trusted.run(f"rsync -t -e '{SSH}' {directory}/* prep-push@{target_address}::paquetes/")
    assert result.rc == 0, result.stderr
    assert wait_for(lambda: live_cut_shown(untrusted, target_address, ident(package)), 60)
    release = f"{site}/releases/{ident(package)}"
    owners = target.check_output(
        f"stat -c %U {site} {facts.journal} {release} {release}/index.html | sort -u"
    )
    assert owners == facts.publisher_user
    assert target.check_output(f"stat -c %a {release}/index.html") == "644"  # nginx reads it
    filed = target.check_output(f"stat -c %a {site}/received/accepted/{package.name}")
    assert filed == "640"  # landed with the receiver's mode, not the sender's 0600
    assert target.check_output(f"systemctl show -p Result --value {UNITS[0]}") == "success"
