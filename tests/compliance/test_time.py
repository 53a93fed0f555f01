"""II.B.d (NTP client synchronized, outbound UDP 123) and VI.a (Tiempo del Centro)."""

import pytest

from difusor.compliance import checks


@pytest.mark.requirement("VI.a")
def test_tzdata_knows_june_2024(host, evidence, params):
    """tzdata gives UTC-6 for June 2024 in America/Mexico_City (no daylight saving since 2022)."""
    settings = params("VI.a")
    printed = evidence.run(
        host, f"TZ={settings['timezone']} date -d '{settings['tz_probe_utc']}' +%z"
    ).stdout
    evidence.verdict(checks.check_tz_offset(printed, settings))


@pytest.mark.requirement("VI.a")
def test_host_time_zone(host, evidence, params):
    """The host runs in Tiempo del Centro, so logs and the journal read as the call's times."""
    zone = params("VI.a")["timezone"]
    shown = evidence.run(host, "timedatectl show -p Timezone --value 2>/dev/null").stdout.strip()
    if not shown:
        shown = evidence.run(host, "readlink -f /etc/localtime").stdout.strip()
    ok = shown == zone or shown.endswith(f"/zoneinfo/{zone}")
    evidence.verdict(
        checks.Check(
            checks.PASS if ok else checks.FAIL,
            checks.msg("host_tz", shown=shown, zone=zone),
            {"timezone": shown},
        )
    )


@pytest.mark.environment
@pytest.mark.requirement("II.B.d")
def test_chrony_synchronized(host, evidence, params):
    """chrony runs and is synchronized to a source (not merely installed)."""
    evidence.run(host, "systemctl is-active chrony chronyd 2>/dev/null || true")
    evidence.run(host, "chronyc -n sources 2>&1 || true")
    tracking = evidence.run(host, "chronyc -n tracking 2>&1")
    evidence.verdict(checks.check_chrony(tracking.stdout, params("II.B.d")))


@pytest.mark.requirement("II.B.d")
def test_outbound_ntp_allowed(host, evidence, params):
    """The firewall lets NTP out (UDP 123): outgoing allowed by default or by a rule."""
    port = params("II.B.d")["ntp_port"]
    status = evidence.run(host, "ufw status verbose", sudo=True).stdout
    default_out = "allow (outgoing)" in status
    rule = any(f"{port}/udp" in line and "ALLOW OUT" in line for line in status.splitlines())
    evidence.verdict(
        checks.Check(
            checks.PASS if default_out or rule else checks.FAIL,
            checks.msg("ntp_out", default=default_out, port=port, rule=rule),
            {"default_outgoing_allow": default_out, "rule": rule},
        )
    )
