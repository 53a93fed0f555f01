"""The web container (I.H, II.C.c-e, V.ii.4, VI.b, VI.e): HTTPS from both sides with the live cut,
files served byte for byte as published, headers, notice mode, the freshness watchdog, recovery
from a crash and from a restart of the server, and a ban of an abusive client."""

import hashlib
import json
import os
import re
import subprocess
import sys
import time
import zipfile
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import (
    CDN_ORIGIN,
    PROJECT,
    address_of,
    copy_package,
    facts_of,
    ident,
    lib,
    live_cut_shown,
    publish_on_target,
    rsync_daemon,
    served,
    url_host,
    wait_for,
)

from difusor.package import generate

TZ = ZoneInfo("America/Mexico_City")
NOW = datetime.now(TZ).replace(second=0, microsecond=0)
# Newer than the cuts of the tests before (test_pipeline's are an hour old), not from the future.
LIVE_CUT = NOW - timedelta(minutes=20)
SANDBOX = f"molecule-{os.environ['MOLECULE_SCENARIO_NAME']}"


def notice_shown(client, address) -> bool:
    return 'id="aviso-prep"' in served(client, address, "").stdout


@pytest.fixture(scope="module")
def live(tmp_path_factory, target, trusted, untrusted, target_address):
    """A cut pushed by the electoral body's side (newer than the pipeline tests' cuts), live."""
    out = tmp_path_factory.mktemp(f"web-{target.backend.host}")
    package = generate(LIVE_CUT, out, rows=80)
    assert rsync_daemon(trusted, copy_package(trusted, package), target_address).rc == 0
    assert wait_for(lambda: live_cut_shown(untrusted, target_address, ident(package)), 30)
    return package


@pytest.mark.parametrize("family", ["inet", "inet6"])
@pytest.mark.parametrize("client_name", ["trusted", "untrusted"])
def test_https_from_both_sides_shows_the_live_cut(request, live, target, client_name, family):
    client = request.getfixturevalue(client_name)
    address = address_of(target, family)
    page = served(client, address, "")
    assert page.rc == 0, page.stderr
    assert f'data-corte="{ident(live)}"' in page.stdout
    shown = LIVE_CUT.strftime("%d/%m/%Y %H:%M")
    assert f">{shown} (UTC-6)</time>" in page.stdout, "the cut's date and time (I.H)"
    redirect = client.check_output(
        f"curl -s -o /dev/null -w '%{{http_code}} %{{redirect_url}}' http://{url_host(address)}/x"
    )
    assert redirect == f"301 https://{url_host(address)}/x"


def test_waiting_page_while_no_cut_is_live(live, target, facts, untrusted, target_address):
    """VI.a: before the first cut goes live the site shows the waiting page, not an error."""
    current = facts.site_root / "current"
    target.check_output(f"mv {current} {current}.hidden")
    try:
        page = served(untrusted, target_address, "")
        assert page.rc == 0 and 'id="espera-prep"' in page.stdout
    finally:
        target.check_output(f"mv {current}.hidden {current}")
    assert live_cut_shown(untrusted, target_address, ident(live))


def test_served_files_are_the_package_bytes(live, trusted, untrusted, target_address):
    """VI.b: every file of the package, fetched over HTTPS, has the package's SHA-256 (from the
    trusted client, which the request limits spare: the site has hundreds of files)."""
    with zipfile.ZipFile(live) as archive:
        files = {
            info.filename: hashlib.sha256(archive.read(info)).hexdigest()
            for info in archive.infolist()
            if not info.is_dir()
        }
    assert len(files) >= 5
    fetch = " ; ".join(
        f"curl -sfk https://{target_address}/{name} | sha256sum | cut -d' ' -f1" for name in files
    )
    served_digests = trusted.check_output(fetch).split()
    assert dict(zip(files, served_digests, strict=True)) == files
    # A browser that accepts gzip gets the precompressed sibling, which decodes to the same bytes.
    decoded = untrusted.check_output(
        f"curl -sfk --compressed https://{target_address}/index.html | sha256sum | cut -d' ' -f1"
    )
    assert decoded == files["index.html"]
    encoding = untrusted.check_output(
        f"curl -sk -o /dev/null -D - -H 'Accept-Encoding: gzip' https://{target_address}/index.html"
    ).lower()
    assert "content-encoding: gzip" in encoding


def a_results_csv(package) -> str:
    """The path of one election's results CSV in a package (state layout: in its folder)."""
    with zipfile.ZipFile(package) as archive:
        return next(name for name in archive.namelist() if name.endswith("_2024.csv"))


def headers(client, address, path):
    raw = client.check_output(f"curl -sk -o /dev/null -D - https://{address}/{path}")
    return {
        name.strip().lower(): value.strip()
        for name, _, value in (line.partition(":") for line in raw.splitlines()[1:])
        if value
    }


def test_embedding_and_cache_headers(live, target, untrusted, target_address):
    page = headers(untrusted, target_address, "index.html")
    assert page["content-security-policy"] == "frame-ancestors 'self' https://portal.example.org"
    assert "x-frame-options" not in page  # it would forbid the portal's frame (VI.e)
    with zipfile.ZipFile(live) as archive:
        names = archive.namelist()
    bundle = next(name for name in names if re.fullmatch(r"main\.[0-9a-f]{16}\.js", name))
    logo = next(name for name in names if name.endswith(".svg"))
    # Pages and data revalidate, hashed names live a year, the rest the cache bound (issue 17).
    if target.backend.host == CDN_ORIGIN:
        shared = ", s-maxage=10, stale-if-error=2700"
        expected = {"page": "public, max-age=0" + shared, "asset": "public, max-age=10" + shared}
    else:
        expected = {"page": "no-cache", "asset": "public, max-age=60"}
    assert page["cache-control"] == expected["page"]
    assert (
        headers(untrusted, target_address, a_results_csv(live))["cache-control"]
        == (expected["page"])
    )
    assert headers(untrusted, target_address, logo)["cache-control"] == expected["asset"]
    immutable = headers(untrusted, target_address, bundle)["cache-control"]
    assert immutable == "public, max-age=31536000, immutable"


def test_only_modern_tls(untrusted, target_address):
    # The client offers TLS 1.1 with every cipher it has: the server alone decides.
    old = untrusted.run(
        f"openssl s_client -connect {target_address}:443 -tls1_1 -cipher 'ALL:@SECLEVEL=0' "
        "</dev/null"
    )
    assert old.rc != 0 and "Cipher is (NONE)" in old.stdout, old.stdout
    for version in ("1.2", "1.3"):
        cmd = f"curl -sk --tlsv{version} --tls-max {version} -o /dev/null https://{target_address}/"
        assert untrusted.run(cmd).rc == 0


def test_access_log_is_json_lines_with_the_statistics_fields(target, untrusted, target_address):
    served(untrusted, target_address, "index.html?from=test", "-A difusor-test")
    line = target.check_output(
        "grep -F 'from=test' /var/log/difusor/web/access.log | grep -F difusor-test | tail -1"
    )
    entry = json.loads(line)
    assert entry["request_uri"] == "/index.html?from=test"
    assert entry["status"] == 200 and entry["request_method"] == "GET"
    assert entry["http_user_agent"] == "difusor-test"
    assert isinstance(entry["body_bytes_sent"], int) and isinstance(entry["request_time"], float)
    assert {"time_iso8601", "remote_addr", "http_referer"} <= set(entry)


def test_log_rotation_makes_nginx_write_a_fresh_log(target, untrusted, target_address):
    """Role web_logs rotates the logs; its postrotate makes nginx reopen them (USR1)."""
    log = "/var/log/difusor/web/access.log"
    target.check_output("logrotate --force /etc/logrotate.d/difusor-web")
    assert wait_for(lambda: target.file(log).exists, 10)
    served(untrusted, target_address, "index.html?after=rotation")
    assert wait_for(lambda: "after=rotation" in target.file(log).content_string, 10)


def run_notice_playbook(host: str, state: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "ANSIBLE_CONFIG": str(PROJECT / "ansible.cfg"),
        "ANSIBLE_ROLES_PATH": str(PROJECT / "roles"),
        "ANSIBLE_FILTER_PLUGINS": str(PROJECT / "filter_plugins"),
    }
    playbook = Path(sys.executable).with_name("ansible-playbook")
    return subprocess.run(
        [
            str(playbook),
            "-i",
            os.environ["MOLECULE_INVENTORY_FILE"],
            str(PROJECT / "playbooks" / "notice.yml"),
            "--limit",
            host,
            "-e",
            f"notice_state={state}",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=PROJECT,
        check=False,
    )


def test_notice_mode_on_and_off(live, target, facts, untrusted, target_address):
    """V.ii.4: the notice replaces every page; turning it off shows the live cut again."""
    on = run_notice_playbook(target.backend.host, "on")
    assert on.returncode == 0, on.stdout[-2000:]
    assert wait_for(lambda: notice_shown(untrusted, target_address), 10)
    assert 'id="aviso-prep"' in served(untrusted, target_address, a_results_csv(live)).stdout
    assert headers(untrusted, target_address, "")["cache-control"] == "no-store"
    assert target.file(f"{facts.site_root}/current/index.html").exists  # the cut stays on disk
    off = run_notice_playbook(target.backend.host, "off")
    assert off.returncode == 0, off.stdout[-2000:]
    assert live_cut_shown(untrusted, target_address, ident(live))
    # The watchdog (a timer) may journal its own events in between: the last two notice events.
    events = [
        json.loads(line) for line in target.check_output(f"tail -20 {facts.journal}").splitlines()
    ]
    notices = [event["event"] for event in events if event["event"].startswith("notice_")]
    assert notices[-2:] == ["notice_on", "notice_off"], events


@pytest.fixture
def auto_notice(target, facts):
    """The watchdog configured to turn notice mode on by itself (restored afterwards)."""
    settings = facts.web_settings
    target.check_output(f"cp {settings} /root/web.yml.saved")
    target.check_output(f"sed -i 's/^auto_notice: false/auto_notice: true/' {settings}")
    yield
    target.check_output(f"mv /root/web.yml.saved {settings}")


def test_watchdog_serves_the_notice_after_three_missed_periods(
    live, target, facts, untrusted, target_address, auto_notice
):
    """A cut 50 minutes old (the call's 45 minutes plus the 5-minute grace) is an incident."""
    target.check_output("systemctl start difusor-watchdog.service")  # settle the level first

    def journal_since(lines: int) -> str:
        return target.check_output(f"tail -n +{lines + 1} {facts.journal}")

    before = int(target.check_output(f"wc -l < {facts.journal}"))
    # The clock now, not at import: on a slow run NOW is minutes behind and "50 min" reads 60.
    now = datetime.now(TZ).replace(second=0, microsecond=0)
    old = publish_on_target(target, now - timedelta(minutes=50), "/var/tmp/old-cut")
    target.check_output("systemctl start difusor-watchdog.service")
    assert notice_shown(untrusted, target_address)
    status = target.check_output(f"{lib(target)} web status")
    assert status.startswith(f"freshness incident: live cut {old}, age 5")
    journal = journal_since(before)
    assert '"event": "stale_incident"' in journal and '"by": "watchdog"' in journal
    # A fresh cut arrives (forced: it is older than the cuts of earlier runs of this test on the
    # same hosts, and never from the future): the watchdog lifts its own notice.
    before = int(target.check_output(f"wc -l < {facts.journal}"))
    fresh = publish_on_target(target, now, "/var/tmp/fresh-cut")
    target.check_output("systemctl start difusor-watchdog.service")
    assert live_cut_shown(untrusted, target_address, fresh)
    # Behind the CDN (target-ubuntu2204), a cdn_purged may follow the notice's end.
    journal = journal_since(before)
    assert '"event": "fresh_again"' in journal and '"event": "notice_off"' in journal


def container_state(target) -> str:
    return target.check_output(
        "docker inspect -f '{{.State.Status}} {{.RestartCount}} {{.State.Pid}}' "
        + facts_of(target).web_container
    )


def test_web_container_comes_back_after_a_crash(target, untrusted, target_address):
    _, restarts, pid = container_state(target).split()
    target.check_output(f"kill -9 {pid}")  # nginx's master dies
    started = time.monotonic()

    def back():
        status, count, _ = container_state(target).split()
        return status == "running" and int(count) > int(restarts)

    assert wait_for(back, 30)
    assert wait_for(lambda: served(untrusted, target_address, "").rc == 0, 30)
    print(f"served again {time.monotonic() - started:.1f} s after the crash")


@pytest.fixture
def flood_banned(target, untrusted, target_address):
    yield address_on(untrusted)
    target.run("fail2ban-client unban --all")


def address_on(client) -> str:
    return client.interface("eth0", family="inet").addresses[0]


def test_abusive_client_is_banned_while_others_are_served(
    target, untrusted, untrusted2, target_address, flood_banned
):
    """II.C.c/II.C.e: a flood gets 429s, then a ban in DOCKER-USER; another visitor is served."""
    codes = untrusted.check_output(
        f"curl -sk -o /dev/null -w '%{{http_code}}\\n' 'https://{target_address}/?[1-200]'"
    ).split()
    assert codes.count("429") >= 20, f"the rate limit did not answer 429: {set(codes)}"

    def banned():
        return flood_banned in target.check_output("fail2ban-client status prep-web-flood")

    assert wait_for(banned, 30)
    assert wait_for(lambda: served(untrusted, target_address, "", "-m 3").rc != 0, 20)
    assert "-j f2b-prep-web-flood" in target.check_output("iptables -S DOCKER-USER")
    assert served(untrusted2, target_address, "").rc == 0


def test_site_comes_back_after_the_server_restarts(target, untrusted, target_address):
    container = f"{SANDBOX}-{target.backend.host}"
    started = time.monotonic()
    subprocess.run(["docker", "restart", container], check=True, capture_output=True)
    assert wait_for(lambda: served(untrusted, target_address, "", "-m 3").rc == 0, 120)
    print(f"served again {time.monotonic() - started:.1f} s after the restart began")
    container_name = facts_of(target).web_container
    assert target.check_output(f"docker inspect -f '{{{{.State.Status}}}}' {container_name}") == (
        "running"
    )
