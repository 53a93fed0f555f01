"""`difusor status`: the controller fetches each host's snapshot over SSH (one host-side command)
and only renders it. Against fake hosts (a fake SSH runner, as in the drill's tests) and against
a real host-side snapshot of a difusor in a temporary directory."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

from metrics_kit import host, minutes_ago, publish
from rich.console import Console

from difusor import hostfacts
from difusor.drill.inventory import DrillHost, select_hosts
from difusor.drill.remote import Remote
from difusor.inventory import Inventory
from difusor.status.cli import watch
from difusor.status.view import missed_periods

SRC = Path(__file__).resolve().parents[2] / "src"
FRESH = DrillHost("prep-a", "192.0.2.10", "root", 22, None, "", "")
STALE = DrillHost("prep-b", "192.0.2.11", "root", 22, None, "", "")
DOWN = DrillHost("prep-c", "192.0.2.12", "root", 22, None, "", "")


def snapshot(cut: str, age_s: float, **changes) -> dict:
    data = {
        "generated": 1_000_000.0,
        "period_s": 900,
        "grace_s": 300,
        "live": {"cut": cut, "age_s": age_s, "level": "fresh", "timestamp": 0},
        "watchdog": {"level": "fresh", "checked": 0},
        "notice": {"active": False},
        "recent": {"per_minute": 120.0, "error_ratio": 0.01, "requests": 600, "window_s": 300},
        "bans": {"prep-web-flood": 2, "sshd": 1},
        "journal": {
            "rejections": {"corrupt": 0, "sidecar-mismatch": 1},
            "tail": [
                {"event": "arrival", "cut": cut, "time": "2024-06-02T21:00:01Z"},
                {"event": "verify_ok", "cut": cut, "time": "2024-06-02T21:00:02Z"},
                {"event": "published", "cut": cut, "time": "2024-06-02T21:00:03Z"},
                {"event": "rejected", "cut": cut, "rule": "sidecar-mismatch"},
            ],
        },
    }
    data.update(changes)
    return data


class FakeHosts:
    """The SSH runner: answers the facts read and `metrics show` per address."""

    def __init__(self, answers: dict[str, dict | None]) -> None:
        self.answers = answers
        self.commands: list[tuple[str, str]] = []

    def __call__(self, argv, **kwargs) -> subprocess.CompletedProcess[str]:
        address, command = argv[-2], argv[-1]
        self.commands.append((address, command))
        answer = self.answers[address]
        if answer is None:
            return subprocess.CompletedProcess(argv, 255, "", "ssh: connect: No route to host")
        if command == hostfacts.READ_COMMAND:
            return subprocess.CompletedProcess(argv, 0, json.dumps({"lib_dir": "/opt/l"}), "")
        return subprocess.CompletedProcess(argv, 0, json.dumps(answer) + "\n", "")


def run_once(hosts, runner, fmt="json", lang="es") -> tuple[int, str]:
    console = Console(file=io.StringIO(), width=200, color_system=None)
    out = io.StringIO()
    sys_stdout, sys.stdout = sys.stdout, out
    try:
        code = watch(
            [Remote(h, runner) for h in hosts],
            once=True,
            fmt=fmt,
            lang=lang,
            interval_s=0,
            count=1,
            console=console,
        )
    finally:
        sys.stdout = sys_stdout
    return code, out.getvalue() + console.file.getvalue()


def test_once_json_gives_each_hosts_cut_age_and_verdicts():
    runner = FakeHosts(
        {
            FRESH.address: snapshot("20240602_2100", 120),
            STALE.address: snapshot("20240602_2015", 21 * 60, notice={"active": True}),
            DOWN.address: None,
        }
    )
    code, out = run_once([FRESH, STALE, DOWN], runner)
    assert code == 1  # a host gave no snapshot
    fresh, stale, down = json.loads(out)["hosts"]
    assert (fresh["cut"], fresh["missed_periods"], fresh["notice"]) == ("20240602_2100", 0, False)
    assert (stale["cut"], stale["missed_periods"], stale["notice"]) == ("20240602_2015", 1, True)
    assert fresh["requests_per_minute"] == 120.0 and fresh["bans"] == 3
    assert fresh["rejections"] == 1
    assert [event["event"] for event in fresh["events"]] == ["arrival", "published", "rejected"]
    assert "No route to host" in down["error"] and down["snapshot"] is None
    # One host-side command per host, with the library the facts name.
    shows = [command for address, command in runner.commands if "metrics show" in command]
    assert (
        shows
        == [
            "PYTHONPATH=/opt/l python3 -m difusor.cli metrics show --format json "
            f"--facts {hostfacts.FACTS_PATH}"
        ]
        * 2
    )


def test_the_text_console_says_what_is_late_in_spanish_or_english():
    runner = FakeHosts(
        {
            FRESH.address: snapshot("20240602_2100", 120),
            STALE.address: snapshot("20240602_2015", 36 * 60 + 5, notice={"active": True}),
        }
    )
    code, text = run_once([FRESH, STALE], runner, fmt="text")
    assert code == 0
    assert "Corte en línea" in text and "Últimas llegadas y veredictos" in text
    assert "36m05s / 15m00s (2 periodo(s) sin corte)" in text
    assert "20240602_2100" in text and "sidecar-mismatch" in text and "SÍ" in text
    _, english = run_once([STALE], runner, fmt="text", lang="en")
    assert "Live cut" in english and "(2 period(s) missed)" in english


def test_the_live_console_refreshes_a_bounded_number_of_times():
    runner = FakeHosts({FRESH.address: snapshot("20240602_2100", 120)})
    sleeps: list[float] = []
    console = Console(file=io.StringIO(), width=160, color_system=None)
    code = watch(
        [Remote(FRESH, runner)],
        once=False,
        fmt="text",
        lang="es",
        interval_s=2.5,
        count=3,
        console=console,
        sleep=sleeps.append,
    )
    assert code == 0 and sleeps == [2.5, 2.5]
    shows = [command for _, command in runner.commands if "metrics show" in command]
    assert len(shows) == 3
    assert "20240602_2100" in console.file.getvalue()


def test_missed_periods_count_as_the_watchdog_does():
    assert missed_periods(None, 900, 300) == 0
    assert missed_periods(1199, 900, 300) == 0
    assert missed_periods(1200, 900, 300) == 1  # 15 + 5 minutes
    assert missed_periods(2100, 900, 300) == 2
    assert missed_periods(3000, 900, 300) == 3  # the 45 minutes (V.ii.4)


def test_status_needs_no_rsync_password():
    inv = Inventory(
        {
            "difusores": {"hosts": ["prep-a"]},
            "_meta": {"hostvars": {"prep-a": {"ansible_host": "192.0.2.10"}}},
        }
    )
    (only,) = select_hosts(inv, None, push=False)
    assert (only.address, only.password) == ("192.0.2.10", "")


class ThisMachine:
    """SSH to a 'host' that is this machine: the command runs here, the host's facts file being
    the temporary one (its lib_dir this checkout's src/), python3 this virtualenv's."""

    def __init__(self, facts: Path) -> None:
        self.facts = facts

    def __call__(self, argv, **kwargs) -> subprocess.CompletedProcess[str]:
        command = argv[-1].replace(str(hostfacts.FACTS_PATH), str(self.facts))
        env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
        return subprocess.run(["sh", "-c", command], env=env, **kwargs)


def test_a_real_host_side_snapshot_over_the_runner(tmp_path):
    facts = host(tmp_path, lib_dir=str(SRC))
    cut = minutes_ago(21)
    publish(tmp_path, facts, cut)
    served = (hostfacts.load(facts).site_root / "current").resolve().name
    code, out = run_once([FRESH], ThisMachine(facts))
    assert code == 0, out
    (shown,) = json.loads(out)["hosts"]
    assert shown["error"] is None
    assert shown["cut"] == served
    assert shown["missed_periods"] == 1 and shown["level"] == "warning"
    assert shown["snapshot"]["facts"] == str(facts)
    assert [event["event"] for event in shown["events"]] == ["arrival", "published"]
