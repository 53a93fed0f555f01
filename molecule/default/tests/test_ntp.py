"""II.B.d: chrony synchronizes with the NTP server that the scenario started."""

from conftest import address_of, get, wait_for


def test_chrony_selects_the_scenario_ntp_server(target):
    server = address_of(get("ntp"))

    def selected_source():
        sources = target.run("chronyc -n sources").stdout
        return any(line.startswith("^*") and server in line for line in sources.splitlines())

    assert wait_for(selected_source, timeout_s=90), target.run("chronyc -n sources").stdout
    tracking = target.check_output("chronyc -n tracking")
    assert "Leap status     : Normal" in tracking


def test_chrony_runs_at_boot(target):
    assert target.service("chrony").is_enabled
    assert target.service("chrony").is_running
