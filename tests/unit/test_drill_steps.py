"""The drill's sequence against a fake difusor (no host): what passes, what fails, and that the
cleanup always leaves the newest cut served, the notice off and the settings restored."""

import hashlib
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from difusor.drill.inventory import DrillHost
from difusor.drill.remote import RemoteError
from difusor.drill.steps import Drill
from difusor.drill.web import Page
from difusor.errors import DifusorError
from difusor.package.layout import parse_cut_id

NOW = datetime(2026, 11, 28, 16, 20, 42, tzinfo=UTC)
HOST = DrillHost("prep-sandbox", "192.0.2.10", "root", 22, None, "", "pw")


class FakeDifusor:
    """Just enough of a difusor host: ingest rules, the web container, notice, watchdog."""

    def __init__(self, restarts_after_kill: bool = True) -> None:
        self.live: str | None = "20261128_0900"
        self.pages = {"20261128_0900": b'<body data-corte="20261128_0900">'}
        self.notice = False
        self.auto = False
        self.saved: bool | None = None
        self.status, self.restarts = "running", 0
        self.restarts_after_kill = restarts_after_kill
        self.journal: list[dict] = []
        self.clock = 0.0
        self.commands: list[str] = []

    # the controller's side
    def push(self, files: list[Path], target, password: str) -> tuple[bool, str]:
        archive, sidecar = files
        assert password == "pw" and target.host == HOST.address
        self.clock += 1.0
        cut = archive.name[:13]
        digest = hashlib.sha256(archive.read_bytes()).hexdigest()
        if sidecar.read_text().split()[0] != digest:
            self.reject(archive, "sidecar-mismatch")
        elif self.live and cut <= self.live:
            self.reject(archive, "replayed-cut")
        else:
            with zipfile.ZipFile(archive) as package:
                self.pages[cut] = package.read("index.html")
            self.live = cut
        return True, ""

    def reject(self, archive: Path, rule: str) -> None:
        path = f"/srv/prep/incoming/{archive.name}"
        self.journal.append({"event": "rejected", "archive": path, "rule": rule})

    def fetch(self, address: str, path: str) -> Page:
        if self.status != "running":
            return Page(0, b"", "connection refused")
        if self.notice:
            return Page(503, b'<main id="aviso-prep">')
        return Page(200, self.pages[self.live])

    def sleep(self, seconds: float) -> None:
        self.clock += seconds


class FakeRemote:
    def __init__(self, world: FakeDifusor) -> None:
        self.world = world

    def check_reachable(self) -> None:
        pass

    def notice_active(self) -> bool:
        return self.world.notice

    def live_cut(self) -> str | None:
        return self.world.live

    def journal_length(self) -> int:
        return len(self.world.journal)

    def journal_since(self, length: int) -> list[dict]:
        return self.world.journal[length:]

    def container_state(self) -> tuple[str, int, int]:
        world = self.world
        if world.status == "restarting" and world.restarts_after_kill:
            world.status, world.restarts = "running", world.restarts + 1
        return world.status, world.restarts, 4242

    def kill_container_main(self, pid: int) -> None:
        assert pid == 4242
        self.world.status = "restarting" if self.world.restarts_after_kill else "exited"

    def run_watchdog(self) -> str:
        world = self.world
        age = (NOW - parse_cut_id(world.live)).total_seconds() / 60
        if age >= 50 and world.auto:
            world.notice = True
            return f"freshness incident: live cut {world.live}, age {int(age)} min"
        if age < 20 and world.notice:
            world.notice = False
        return f"freshness fresh: live cut {world.live}"

    def auto_notice_on(self) -> None:
        self.world.saved, self.world.auto = self.world.auto, True

    def restore_web_settings(self) -> bool:
        if self.world.saved is None:
            return False
        self.world.auto, self.world.saved = self.world.saved, None
        return True

    def publish_generated(self, cut: datetime, name: str) -> str:
        ident = cut.strftime("%Y%m%d_%H%M")
        self.world.pages[ident] = f'<body data-corte="{ident}">'.encode()
        self.world.live = ident
        return f"/var/tmp/difusor-drill/{name}/{ident}_PREP.zip"

    def notice_off(self) -> None:
        self.world.notice = False

    def start_container(self) -> None:
        self.world.commands.append("docker start")
        self.world.status = "running"

    def run(self, command: str, timeout_s: float = 120) -> str:
        self.world.commands.append(command)
        return ""


def drill(world: FakeDifusor, said: list[str]) -> Drill:
    return Drill(
        HOST,
        FakeRemote(world),
        said.append,
        timeout_s=10,
        rows=5,
        fetch=world.fetch,
        push=world.push,
        clock=lambda: world.clock,
        sleep=world.sleep,
    )


def test_every_step_passes_on_a_sound_difusor(tmp_path):
    world, said = FakeDifusor(), []
    report = drill(world, said).run(tmp_path, now=NOW)
    assert [step.passed for step in report.steps] == [True] * 6, report.steps
    assert report.cuts["first"] == "20261128_1017" and report.cuts["fresh"] == "20261128_1020"
    assert world.live == "20261128_1020" and not world.notice and world.auto is False
    rules = [event["rule"] for event in world.journal]
    assert rules == ["sidecar-mismatch", "replayed-cut"]
    assert all(step.timings for step in report.steps)
    assert [timing.key for timing in report.steps[5].timings] == [
        "watchdog_to_notice",
        "push_to_results",
    ]
    assert report.steps[0].timings[0].seconds == pytest.approx(1.0)
    assert len(said) == 12  # a line before and after each step
    assert "rm -rf /var/tmp/difusor-drill" in world.commands
    assert [fact.key for fact in report.cleanup] == ["serving"]


def test_a_container_that_stays_down_fails_its_step_and_is_started_afterwards(tmp_path):
    world, said = FakeDifusor(restarts_after_kill=False), []
    report = drill(world, said).run(tmp_path, now=NOW)
    verdicts = [step.passed for step in report.steps]
    assert verdicts[:4] == [True] * 4 and verdicts[4] is False
    assert "docker start" in world.commands
    assert "container_started" in [fact.key for fact in report.cleanup]
    assert world.status == "running" and world.live == "20261128_1020"


def test_a_failing_host_command_fails_the_step_and_the_cleanup_restores(tmp_path):
    world, said = FakeDifusor(), []
    run = drill(world, said)

    def broken_watchdog() -> str:
        raise RemoteError("'systemctl start difusor-watchdog.service' exit 1: failed")

    run.remote.run_watchdog = broken_watchdog
    report = run.run(tmp_path, now=NOW)
    gap = report.steps[5]
    assert not gap.passed and gap.facts[0].key == "error"
    # the stale cut was left live by the failed step: the cleanup publishes the newest one
    assert world.live == "20261128_1020" and world.auto is False and not world.notice
    assert "republished" in [fact.key for fact in report.cleanup]


def test_the_drill_refuses_a_host_in_notice_mode(tmp_path):
    world = FakeDifusor()
    world.notice = True
    with pytest.raises(DifusorError, match="notice mode is on"):
        drill(world, []).run(tmp_path, now=NOW)
    assert world.live == "20261128_0900"
