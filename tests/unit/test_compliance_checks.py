"""Thresholds of the compliance checks, on fixture outputs of real tools."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from difusor.compliance import checks
from difusor.compliance.catalog import load
from difusor.hostfacts import HostFacts

FIXTURES = Path(__file__).parent / "fixtures" / "compliance"
CATALOG = load()
INCOMING = str(HostFacts().incoming_dir)


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("name", "status", "version"),
    [
        ("os-release-ubuntu-20.04", "pass", "20.04"),
        ("os-release-ubuntu-22.04", "pass", "22.04"),
        ("os-release-ubuntu-24.04", "pass", "24.04"),
        ("os-release-ubuntu-23.10", "fail", "23.10"),
        ("os-release-debian-12", "fail", "12"),
    ],
)
def test_os_release(name, status, version):
    check = checks.check_os(checks.parse_os_release(fixture(name)), CATALOG.params("II.B.a"))
    assert check.status == status, check.summary
    assert check.measured["VERSION_ID"] == version


def test_os_release_recommended_release_is_named():
    params = CATALOG.params("II.B.a")
    recommended = checks.check_os(
        checks.parse_os_release(fixture("os-release-ubuntu-22.04")), params
    )
    other = checks.check_os(checks.parse_os_release(fixture("os-release-ubuntu-24.04")), params)
    assert "(recommended)" in recommended.summary
    assert "22.04 recommended" in other.summary
    debian = checks.check_os(checks.parse_os_release(fixture("os-release-debian-12")), params)
    assert "not ubuntu" in debian.summary


@pytest.mark.parametrize(
    ("name", "status", "gib"),
    [
        ("meminfo-16gib-desktop.txt", "pass", 15.56),
        ("meminfo-16gib-cloud-vm.txt", "pass", 15.16),
        ("meminfo-15.5gib.txt", "pass", 15.5),
        ("meminfo-15gib-vm.txt", "fail", 14.65),
        ("meminfo-8gib.txt", "fail", 7.67),
    ],
)
def test_ram_16_gb_rule(name, status, gib):
    """16 GB accepts what Linux shows of a 16 GiB machine (about 15.5 GiB), not a 15 GiB VM."""
    total = checks.parse_meminfo(fixture(name))["MemTotal"]
    check = checks.check_ram(total, CATALOG.params("II.A.b"))
    assert check.status == status, check.summary
    assert check.measured["MemTotal_GiB"] == pytest.approx(gib, abs=0.01)


def test_ram_threshold_is_decimal_gigabytes():
    params = {"min_ram_gb": 16}
    assert checks.check_ram(16 * 10**9 // 1024 + 1, params).ok
    assert not checks.check_ram(16 * 10**9 // 1024 - 1, params).ok


def test_cpu_from_cpufreq():
    ghz, source = checks.max_ghz(fixture("cpufreq-max-8x3.4ghz.txt"))
    assert (ghz, source) == (3.4, "cpufreq cpuinfo_max_freq")
    params = CATALOG.params("II.A.a")
    assert checks.check_cpu(8, ghz, source, params).ok
    assert checks.check_cpu(7, ghz, source, params).status == "fail"


def test_cpu_from_lscpu_max_mhz():
    ghz, source = checks.max_ghz("", fixture("lscpu-epyc-16.txt"))
    assert ghz == pytest.approx(3.7378899)
    assert source == "lscpu CPU max MHz"
    assert checks.check_cpu(16, ghz, source, CATALOG.params("II.A.a")).ok


def test_cpu_nominal_frequency_and_slow_cpu():
    params = CATALOG.params("II.A.a")
    ghz, source = checks.max_ghz("", "", fixture("cpuinfo-xeon-nominal.txt"))
    assert ghz == 2.4 and "model name" in source
    assert checks.check_cpu(8, ghz, source, params).ok
    slow, source = checks.max_ghz("", "", fixture("cpuinfo-xeon-slow.txt"))
    check = checks.check_cpu(8, slow, source, params)
    assert check.status == "fail" and "1.80 GHz" in check.summary


def test_cpu_frequency_unknown_is_manual_but_too_few_cores_fail():
    params = CATALOG.params("II.A.a")
    ghz, source = checks.max_ghz(
        "", fixture("lscpu-container-no-freq.txt"), "model name : AMD EPYC"
    )
    assert ghz is None
    assert checks.check_cpu(8, ghz, source, params).status == "manual"
    assert checks.check_cpu(2, ghz, source, params).status == "fail"


@pytest.mark.parametrize(
    ("size", "rotational", "virt", "status"),
    [
        (120 * 10**9, "0", "none", "pass"),
        (99_999_999_999, "0", "none", "fail"),  # "100 Gb" is decimal: 93.1 GiB is not enough
        (107_374_182_400, "0", "kvm", "pass"),  # 100 GiB
        (120 * 10**9, "1", "none", "fail"),  # spinning disk on bare metal
        (120 * 10**9, "1", "kvm", "manual"),  # VM caveat: virtual disks often say rotational
        (270 * 10**9, None, "docker", "manual"),  # overlay filesystem: no device to ask
    ],
)
def test_disk(size, rotational, virt, status):
    check = checks.check_disk(size, rotational, virt, CATALOG.params("II.A.c"))
    assert check.status == status, check.summary


def test_tz_offset_june_2024():
    params = CATALOG.params("VI.a")
    assert checks.check_tz_offset("-0600\n", params).ok
    old = checks.check_tz_offset("-0500\n", params)  # a tzdata from before 2022: DST still on
    assert old.status == "fail" and "tzdata" in old.summary


def test_chrony_synchronized_and_not():
    params = CATALOG.params("II.B.d")
    synced = checks.check_chrony(fixture("chrony-tracking-synchronized.txt"), params)
    assert synced.ok and synced.measured["stratum"] == 2
    assert synced.measured["offset_ms"] == pytest.approx(0.021433)
    unsynced = checks.check_chrony(fixture("chrony-tracking-unsynchronized.txt"), params)
    assert unsynced.status == "fail" and "not synchronized" in unsynced.summary
    drifted = checks.check_chrony(fixture("chrony-tracking-large-offset.txt"), params)
    assert drifted.status == "fail" and "412" in drifted.summary


def test_sshd_effective_configuration():
    config = checks.parse_sshd_t(fixture("sshd-T-key-only.txt"))
    check = checks.check_sshd(config, CATALOG.params("II.B.c"))
    assert check.ok
    assert check.measured["methods"] == ["key"]
    assert check.measured["ports"] == [22]
    config["pubkeyauthentication"] = ["no"]
    assert checks.check_sshd(config, CATALOG.params("II.B.c")).status == "fail"


def test_sudo_rights():
    assert checks.check_sudo(fixture("sudo-l-prep.txt"), "prep").ok
    limited = "User prep may run the following commands on x:\n    (root) /usr/bin/systemctl\n"
    assert checks.check_sudo(limited, "prep").status == "fail"
    assert (
        checks.check_sudo("User prep is not allowed to run sudo on x.\n", "prep").status == "fail"
    )


def test_firewall_of_a_provisioned_difusor():
    status = checks.parse_ufw_status(fixture("ufw-status-difusor.txt"))
    assert status.active and status.default_incoming == "deny"
    check = checks.check_firewall(status, CATALOG.params("II.C.c"))
    assert check.ok, check.summary
    assert check.measured["allowed"]["22"] == ["172.18.0.1"]


def test_firewall_with_ssh_open_to_anyone_fails():
    status = checks.parse_ufw_status(fixture("ufw-status-open-ssh.txt"))
    check = checks.check_firewall(status, CATALOG.params("II.C.c"))
    assert check.status == "fail"
    assert "22/tcp open to any source" in check.summary
    assert "[8080]" in check.summary
    assert "80/tcp" not in check.summary  # the multiport rule 80,443/tcp opens both


def test_inactive_firewall_fails():
    status = checks.parse_ufw_status(fixture("ufw-status-inactive.txt"))
    check = checks.check_firewall(status, CATALOG.params("II.C.c"))
    assert check.status == "fail" and "not active" in check.summary


def test_listening_sockets_against_firewall():
    params = CATALOG.params("II.C.c")
    listening = checks.parse_ss_listening(fixture("ss-tlnH-difusor.txt"))
    assert ("0.0.0.0", 22) in listening and ("::", 873) in listening
    status = checks.parse_ufw_status(fixture("ufw-status-difusor.txt"))
    check = checks.check_exposure(listening, status, params)
    assert check.ok
    assert check.measured["allowed_but_not_listening"] == [80, 443]
    exposed = checks.check_exposure(
        [*listening, ("0.0.0.0", 8080)],
        checks.parse_ufw_status(fixture("ufw-status-open-ssh.txt")),
        params,
    )
    assert exposed.status == "fail" and exposed.measured["unexpected"] == [8080]
    blocked = checks.check_exposure([*listening, ("0.0.0.0", 5432)], status, params)
    assert blocked.ok and blocked.measured["listening_but_blocked"] == [5432]


def test_a_port_of_the_difusors_own_passes_only_for_the_trusted_sources():
    """Role monitoring's node exporter (9100) beside the call's ports: reachable from the
    sources that reach SSH and rsync, it passes; from any other source it fails."""
    params = CATALOG.params("II.C.c")
    listening = [*checks.parse_ss_listening(fixture("ss-tlnH-difusor.txt")), ("0.0.0.0", 9100)]
    text = fixture("ufw-status-difusor.txt")
    rule = "9100/tcp                   ALLOW IN    {source}                 # difusor monitoring\n"
    anchor = "80/tcp (v6)"
    trusted = text.replace(anchor, rule.format(source="172.18.0.1") + anchor, 1)
    check = checks.check_exposure(listening, checks.parse_ufw_status(trusted), params)
    assert check.ok and check.measured["trusted_sources_only"] == [9100], check.measured
    other = text.replace(anchor, rule.format(source="198.51.100.7") + anchor, 1)
    check = checks.check_exposure(listening, checks.parse_ufw_status(other), params)
    assert check.status == "fail" and check.measured["unexpected"] == [9100]


def test_public_ip():
    private = checks.parse_ip_addresses(fixture("ip-addr-private.json"))
    assert private and checks.check_public_ip(private).status == "fail"
    assert checks.check_public_ip(["10.0.0.5", "148.204.1.10"]).ok


def _manifest(files: dict[str, str]) -> str:
    return "".join(f"{digest}  {name}\n" for name, digest in files.items())


def test_manifest_comparison():
    a, b, c = "a" * 64, "b" * 64, "c" * 64
    manifest = _manifest({"index.html": a, "GUB_2024.csv": b})
    served = {"index.html": a, "GUB_2024.csv": b, "MANIFEST.sha256": c, "index.html.gz": "d" * 64}
    ok = checks.compare_manifest(manifest, served, {"index.html.gz": a})
    assert ok.ok and ok.measured["precompressed_verified"] == 1
    changed = checks.compare_manifest(manifest, {**served, "GUB_2024.csv": c}, {"index.html.gz": a})
    assert changed.status == "fail" and changed.measured["changed"] == ["GUB_2024.csv"]
    bad_gz = checks.compare_manifest(manifest, served, {"index.html.gz": c})
    assert bad_gz.status == "fail" and bad_gz.measured["not_in_manifest"] == ["index.html.gz"]
    extra = checks.compare_manifest(manifest, {**served, "ads.js": c}, {"index.html.gz": a})
    assert extra.measured["not_in_manifest"] == ["ads.js"]
    missing = checks.compare_manifest(manifest, {"index.html": a}, {})
    assert missing.measured["missing"] == ["GUB_2024.csv"]
    assert checks.compare_manifest("", served, {}).status == "fail"


def test_page_shows_cut():
    cut = datetime.fromisoformat("2024-06-02T21:15:00-06:00")
    formats = CATALOG.params("I.H")["cut_time_formats"]
    html = "<p>Corte: <time>02/06/2024 21:15 (UTC-6)</time></p>"
    assert checks.page_shows_cut(html, cut, formats).ok
    assert checks.page_shows_cut("<p>02/06/2024 21:00</p>", cut, formats).status == "fail"


def test_publish_age_only_judged_in_the_window():
    params = CATALOG.params("I.H")
    window = (
        datetime.fromisoformat("2024-06-02T20:00:00-06:00"),
        datetime.fromisoformat("2024-06-09T23:59:00-06:00"),
    )
    night = datetime(2024, 6, 3, 4, 0, tzinfo=UTC)  # 22:00 on 2 June, Tiempo del Centro
    assert checks.check_publish_age(12.0, night, params, window).ok
    assert checks.check_publish_age(46.0, night, params, window).status == "fail"
    assert checks.check_publish_age(None, night, params, window).status == "fail"
    after = datetime(2024, 6, 20, tzinfo=UTC)
    assert checks.check_publish_age(9000.0, after, params, window).status == "na"


def test_access_log_lines():
    """The parser is the statistics' one: tests/unit/test_access_log.py."""
    assert checks.check_access_log(fixture("access-log-combined.txt").splitlines()).ok
    assert checks.check_access_log(fixture("access-log-json.txt").splitlines()).ok
    assert checks.check_access_log([]).status == "fail"
    assert checks.check_access_log(["", "  "]).summary == "no access log lines found"
    check = checks.check_access_log(["garbage"])
    assert check.status == "fail"
    assert check.measured == {"lines_read": 1, "parsed": 0, "malformed": 1, "complete": 0}


def test_web_protection_needs_limits_and_web_jails():
    from difusor.compliance.checks import FAIL, PASS, check_web_protection

    config = "http {\n    limit_req_zone $k zone=z:1m rate=1r/s;\n    limit_req zone=z;\n"
    config += "    limit_conn c 10;\n}\n"
    status = "|- Number of jail:\t3\n`- Jail list:\tprep-web-flood, prep-web-scan, sshd\n"
    passed = check_web_protection(config, status)
    assert passed.status == PASS
    assert passed.measured == {
        "limits": ["limit_conn", "limit_req"],
        "web_jails": ["prep-web-flood", "prep-web-scan"],
    }
    assert check_web_protection(config, "`- Jail list:\tsshd\n").status == FAIL
    assert check_web_protection("limit_req_zone $k zone=z:1m rate=1r/s;\n", status).status == FAIL


# --- the publisher at work (I.H, V.ii.2) ---------------------------------------------------


def test_arrival_threshold_is_the_ingest_settle_time_plus_one_safety_pass():
    """One source each: the settle the ingest unit runs with, the timer's period of the role."""
    import yaml

    from difusor.package.ingest import SETTLE_S

    params = CATALOG.params("I.H")
    assert params["arrival_settle_s"] == SETTLE_S
    defaults = Path(__file__).resolve().parents[2] / "roles/prep_publisher/defaults/main.yml"
    interval = yaml.safe_load(defaults.read_text())["prep_publisher_safety_pass_interval"]
    assert interval == "1min" and params["safety_pass_s"] == 60
    assert checks.arrival_wait_limit_s(params) == 90


def test_arrivals_that_waited_past_the_settle_time_fail_with_their_names():
    # Captured on an Ubuntu 22.04 host whose ingest service failed on every run (8 s after the
    # push); the same listing 100 s later is past the 90 s threshold.
    text = fixture("arrivals-waiting.txt")
    fresh = checks.parse_arrivals(text)
    assert [(a.name, a.size, round(a.age_s)) for a in fresh] == [
        ("20261201_0147_PREP_GUB_VER.zip", 6428, 8),
        ("20261201_0147_PREP_GUB_VER.zip.sha256", 97, 8),
    ]
    params = CATALOG.params("I.H")
    assert checks.check_arrivals(fresh, INCOMING, params).status == "pass"
    now = float(text.split()[1])
    later = checks.parse_arrivals(text.replace(f"now {text.split()[1]}", f"now {now + 100}"))
    check = checks.check_arrivals(later, INCOMING, params)
    assert check.status == "fail"
    assert check.summary.startswith("2 file(s) have waited in /srv/prep/incoming longer than 90 s")
    assert "20261201_0147_PREP_GUB_VER.zip (108 s)" in check.summary
    assert [w["name"] for w in check.measured["waiting"]] == [a.name for a in fresh]


def test_transfers_in_progress_and_an_empty_directory_pass_an_unlistable_one_fails():
    params = CATALOG.params("I.H")
    text = "now 1000.5\n100.0 4096 .20240602_2015_PREP_GUB_VER.zip.Xy12Zq\n"
    check = checks.check_arrivals(checks.parse_arrivals(text), INCOMING, params)
    assert check.status == "pass" and check.measured["in_transfer"] == [
        ".20240602_2015_PREP_GUB_VER.zip.Xy12Zq"
    ]
    assert (
        checks.check_arrivals(checks.parse_arrivals("now 1000.5\n"), INCOMING, params).status
        == "pass"
    )
    assert checks.check_arrivals(None, INCOMING, params).status == "fail"
    assert checks.parse_arrivals("garbage\n") == []


def test_arrivals_command_lists_with_the_host_clock_and_change_times():
    command = checks.arrivals_command("/srv/prep/incoming")
    assert command.startswith("echo now $(date +%s.%N); find /srv/prep/incoming -mindepth 1")
    assert "-printf '%C@ %s %P\\n'" in command


def test_a_failed_publisher_service_fails_with_its_last_error_line():
    units = CATALOG.params("V.ii.2")["publisher_units"]
    states = checks.parse_systemctl_show(fixture("systemctl-show-ingest-failed.txt"))
    assert states["difusor-ingest.service"]["ActiveState"] == "failed"
    journal = fixture("journal-ingest-importerror.txt")
    assert checks.last_error_line(journal).startswith("ImportError: cannot import name 'UTC'")
    check = checks.check_units(units, states, {"difusor-ingest.service": journal})
    assert check.status == "fail"
    assert check.summary.startswith(
        "difusor-ingest.service in failed state (result exit-code, exit status 1, since "
        "Tue 2026-12-01 01:47:59 CST): ImportError: cannot import name 'UTC' from 'datetime'"
    )
    # That host had no watchdog unit installed yet (role prep_web had not run).
    assert "; difusor-watchdog.service is not installed (LoadState not-found)" in check.summary
    assert check.measured["difusor-ingest.service"]["last_line"].startswith("ImportError")


def test_publisher_services_that_are_not_failed_pass():
    # The ingest block is from the same host once repaired: its last pass rejected a package
    # (exit 3, SuccessExitStatus), which is the publisher working, not failing.
    units = CATALOG.params("V.ii.2")["publisher_units"]
    states = checks.parse_systemctl_show(fixture("systemctl-show-publisher-ok.txt"))
    check = checks.check_units(units, states, {})
    assert check.status == "pass", check.summary
    assert check.summary == (
        "no publisher unit in failed state: difusor-ingest.service inactive, "
        "difusor-watchdog.service inactive"
    )
    running = {unit: {**state, "ActiveState": "activating"} for unit, state in states.items()}
    assert checks.check_units(units, running, {}).status == "pass"
    assert checks.check_units(units, {}, {}).status == "fail"  # systemctl printed nothing


def test_last_error_line_without_the_programs_own_output():
    assert checks.last_error_line("") == "-"
    systemd_only = "difusor-ingest.service: Failed with result 'exit-code'.\n"
    assert checks.last_error_line(systemd_only) == systemd_only.strip()
