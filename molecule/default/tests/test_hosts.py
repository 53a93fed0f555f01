"""The test hosts are what the roles need: systemd without SYS_TIME, on one network."""

CAP_SYS_TIME = 25


def test_systemd_is_pid_1_and_booted(target):
    assert target.file("/proc/1/comm").content_string.strip() == "systemd"
    state = target.run("systemctl is-system-running").stdout.strip()
    assert state in ("running", "degraded"), target.run("systemctl --failed").stdout


def test_host_cannot_set_the_clock(target):
    status = target.file("/proc/1/status").content_string
    bounding = int(status.split("CapBnd:")[1].split()[0], 16)
    assert not bounding & (1 << CAP_SYS_TIME), "a test host must never hold CAP_SYS_TIME"
