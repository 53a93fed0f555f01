"""Role web_logs (I.E.a-d, VII.a.ii): the web logs are rotated daily, compressed, dated, and kept
until 12 June.

The policy that the role installed is exercised on a copy that points at a scratch directory
(same directives, `rotate 3` so that the retention shows in a few forced rotations), so that the
web container's real logs stay as they are.
"""

import re

import pytest

POLICY = "/etc/logrotate.d/difusor-web"
SCRATCH = "/tmp/web-logs-rotation-test"
DATED = re.compile(r"^access\.log-(\d{8})-\d{10}(\.gz)?$")


def test_policy_is_installed_and_keeps_the_period(target):
    policy = target.file(POLICY)
    assert policy.exists
    assert (policy.user, policy.group, policy.mode) == ("root", "root", 0o644)
    text = policy.content_string
    for directive in ("daily", "dateext", "dateyesterday", "compress", "missingok"):
        assert re.search(rf"^\s*{directive}\s*$", text, re.MULTILINE), directive
    kept = int(re.search(r"^\s*rotate\s+(\d+)", text, re.MULTILINE).group(1))
    assert kept >= 11  # 2 June's file must survive the rotations of 3 to 12 June


def test_policy_parses_and_runs_daily(target):
    debug = target.run(f"logrotate --debug {POLICY}")
    assert debug.rc == 0, debug.stderr
    assert not re.search(r"^error:", debug.stderr, re.MULTILINE), debug.stderr
    timer = target.service("logrotate.timer")
    assert timer.is_enabled


@pytest.fixture
def scratch(target):
    policy = target.file(POLICY).content_string
    log_dir = re.search(r"^(\S+)/access\.log ", policy, re.MULTILINE).group(1)
    copy = policy.replace(log_dir, SCRATCH)
    copy = re.sub(r"^(\s*rotate\s+)\d+", r"\g<1>3", copy, flags=re.MULTILINE)
    copy = re.sub(r"postrotate.*?endscript", "", copy, flags=re.DOTALL)
    target.check_output(f"rm -rf {SCRATCH} && mkdir -m 0750 {SCRATCH}")
    target.check_output(f"cat > {SCRATCH}.conf <<'EOF'\n{copy}\nEOF")
    yield SCRATCH
    target.run(f"rm -rf {SCRATCH} {SCRATCH}.conf {SCRATCH}.state")


def test_forced_rotations_compress_date_and_keep_three(target, scratch):
    for number in range(5):
        line = f'{{"time_iso8601":"2024-06-0{number + 2}T20:00:00-06:00","status":200}}'
        target.check_output(f"echo '{line}' > {scratch}/access.log")
        target.check_output(f"logrotate --force --state {scratch}.state {scratch}.conf")
        target.check_output("sleep 1")  # the names carry the second: one rotation each
    names = sorted(target.check_output(f"ls {scratch}").split())
    rotated = [name for name in names if name != "access.log"]
    assert len(rotated) == 3, names  # rotate 3: the two oldest were removed
    yesterday = target.check_output("date -d yesterday +%Y%m%d")
    assert all(DATED.match(name) and DATED.match(name).group(1) == yesterday for name in rotated)
    compressed = [name for name in rotated if name.endswith(".gz")]
    delayed = re.search(r"^\s*delaycompress\s*$", target.file(POLICY).content_string, re.MULTILINE)
    assert len(compressed) == (2 if delayed else 3)  # delaycompress: the newest waits one turn
    assert "2024-06-04T20:00:00" in target.check_output(f"zcat {scratch}/{compressed[0]}")
