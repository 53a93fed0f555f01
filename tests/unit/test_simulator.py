"""difusor simulate: the simulated electoral body (no Docker, no network: the pushes are faked;
the rsync client itself is tested in test_transfer.py)."""

from __future__ import annotations

import argparse
import hashlib
from datetime import datetime
from pathlib import Path

import pytest

from difusor import simulator
from difusor.cli import main as difusor_main
from difusor.errors import DifusorError
from difusor.package import verify
from difusor.package.layout import parse_cut_arg
from difusor.transfer import Target

TARGET = Target("10.0.0.2")


def test_cut_times_advance_fifteen_minutes() -> None:
    start = parse_cut_arg("2024-06-02 23:30")
    cuts = list(simulator.cut_times(start, 3))
    assert [c.strftime("%Y%m%d_%H%M") for c in cuts] == [
        "20240602_2330",
        "20240602_2345",
        "20240603_0000",
    ]
    assert str(cuts[0].tzinfo) == "America/Mexico_City"


class FakeReceiver:
    """Stands in for rsync: keeps a copy of what was pushed, in order."""

    def __init__(self, into: Path, fail_first: int = 0) -> None:
        self.into = into
        self.fail_first = fail_first
        self.order: list[str] = []

    def __call__(self, files: list[Path], target: Target, password: str) -> tuple[bool, str]:
        if self.fail_first:
            self.fail_first -= 1
            return False, "rsync exit 10: connection refused"
        for path in files:
            (self.into / path.name).write_bytes(path.read_bytes())
            self.order.append(path.name)
        return True, ""


def test_each_push_is_a_valid_package_then_its_sidecar(tmp_path: Path) -> None:
    receiver = FakeReceiver(tmp_path)
    lines: list[str] = []
    sleeps: list[float] = []
    results = simulator.simulate(
        TARGET,
        "pw",
        start=parse_cut_arg("2024-06-02 20:00"),
        every_s=20,
        count=2,
        rows=5,
        say=lines.append,
        sleep=sleeps.append,
        push=receiver,
    )
    assert receiver.order == [
        "20240602_2000_PREP_VER.zip",
        "20240602_2000_PREP_VER.zip.sha256",
        "20240602_2015_PREP_VER.zip",
        "20240602_2015_PREP_VER.zip.sha256",
    ]
    for name in receiver.order[::2]:
        assert verify(tmp_path / name).cut_id == name[:13]
        digest = hashlib.sha256((tmp_path / name).read_bytes()).hexdigest()
        assert (tmp_path / f"{name}.sha256").read_text().split()[0] == digest
    assert [r.ok for r in results] == [True, True]
    assert len(lines) == 2 and "envío 2/2: corte 02/06/2024 20:15 (UTC-6)" in lines[1]
    assert len(sleeps) == 1 and 0 < sleeps[0] <= 20  # no wait after the last push


def test_failed_pushes_retry_the_same_cut_then_give_up(tmp_path: Path) -> None:
    receiver = FakeReceiver(tmp_path, fail_first=1)
    lines: list[str] = []
    results = simulator.simulate(
        TARGET,
        "pw",
        start=parse_cut_arg("2024-06-02 20:00"),
        every_s=1,
        count=1,
        rows=5,
        say=lines.append,
        sleep=lambda s: None,
        push=receiver,
    )
    assert [(r.ok, r.archive[:13]) for r in results] == [
        (False, "20240602_2000"),
        (True, "20240602_2000"),
    ]
    assert "FALLÓ (1/5)" in lines[0]
    with pytest.raises(DifusorError, match="trusted source"):
        simulator.simulate(
            TARGET,
            "pw",
            start=parse_cut_arg("2024-06-02 20:00"),
            every_s=1,
            count=1,
            rows=5,
            retries=2,
            say=lines.append,
            sleep=lambda s: None,
            push=FakeReceiver(tmp_path, fail_first=9),
        )


def test_password_from_file_or_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = tmp_path / "pw"
    secret.write_text("from-file\n")
    assert simulator.read_password(secret) == "from-file"
    monkeypatch.setenv("RSYNC_PASSWORD", "from-env")
    assert simulator.read_password(None) == "from-env"
    monkeypatch.delenv("RSYNC_PASSWORD")
    with pytest.raises(DifusorError, match="RSYNC_PASSWORD"):
        simulator.read_password(None)


def test_the_container_is_a_labelled_service_of_the_sandbox(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from difusor import engine, images, sandbox, system

    calls: list[list[str]] = []
    monkeypatch.setattr(engine, "ensure_engine", lambda say: None)
    monkeypatch.setattr(images, "load_recipes", dict)
    monkeypatch.setattr(images, "ensure_image", lambda name, recipes, say: f"difusor/{name}")
    monkeypatch.setattr(system, "run", lambda argv, **kw: calls.append(list(argv)))
    monkeypatch.setattr(sandbox, "container_address", lambda name, network: "172.18.0.4")
    parser = argparse.ArgumentParser()
    simulator.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["simulate", "start", "--target", "10.0.0.2", "--sandbox", "sb"])
    args.start = simulator.DEFAULT_START
    assert simulator.start_container(args, "pw", lambda message: None) == "172.18.0.4"
    started = calls[-1]
    assert started[:2] == ["docker", "run"] and "sb-simulator" in started
    assert f"{sandbox.LABEL}=sb" in started  # `sandbox down` removes it
    assert f"{sandbox.LABEL}.groups={simulator.SIMULATOR_GROUP}" in started  # not a host
    assert started[started.index("--network") + 1] == sandbox.network_name("sb")
    assert started[started.index("--entrypoint") + 1 : started.index("--entrypoint") + 3] == [
        "python3",
        "difusor/client",
    ]
    assert started[started.index("push") + 1 :][:2] == ["--target", "10.0.0.2"]


def test_container_runs_the_same_options() -> None:
    parser = argparse.ArgumentParser()
    simulator.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(
        ["simulate", "start", "--sandbox", "demo", "--every", "7.5", "--count", "4", "--wait", "60"]
    )
    args.start = simulator.start_after("20240602_2345")
    assert args.start == "2024-06-03 00:00"
    assert simulator.start_after("") == "2024-06-02 20:00"
    argv = simulator.push_arguments(args, "10.0.0.2")
    again = parser.parse_args(["simulate", "push", *argv])
    for option in ("every", "count", "start", "module", "user", "rows", "wait"):
        assert getattr(again, option) == getattr(args, option)
    assert again.target == "10.0.0.2"
    assert simulator.container_name("demo") == "demo-simulator"
    with pytest.raises(SystemExit):
        parser.parse_args(["simulate", "push", "--every", "0"])


def test_watch_counts_new_live_cuts_and_times_out() -> None:
    states = iter(
        ["20240602_2000", "20240602_2000", "20240602_2015", "20240602_2030", "20240602_2045"]
    )
    now = [0.0]

    def clock() -> float:
        return now[0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    lines: list[str] = []
    seen = simulator.watch(lambda: next(states), 3, 60, lines.append, clock=clock, sleep=sleep)
    assert seen == ["20240602_2015", "20240602_2030", "20240602_2045"]
    assert lines[0].startswith("live now: 20240602_2000")
    with pytest.raises(DifusorError, match="only 0 of 2 cuts went live in 5 s"):
        simulator.watch(lambda: "20240602_2000", 2, 5, lines.append, clock=clock, sleep=sleep)


def test_push_without_target_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert difusor_main(["simulate", "push"]) == 1
    assert "--target" in capsys.readouterr().err


def test_start_time_is_checked() -> None:
    with pytest.raises(DifusorError, match="--start"):
        simulator.parse_start("mañana")
    assert simulator.parse_start("2024-06-02 20:00") == datetime.fromisoformat(
        "2024-06-02T20:00:00-06:00"
    )


def test_push_without_count_runs_without_end(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict] = []
    monkeypatch.setenv("RSYNC_PASSWORD", "pw")
    monkeypatch.setattr(simulator, "simulate", lambda *args, **kwargs: calls.append(kwargs))
    assert difusor_main(["simulate", "push", "--target", "10.0.0.2"]) == 0
    assert difusor_main(["simulate", "push", "--target", "10.0.0.2", "--count", "2"]) == 0
    assert [call["count"] for call in calls] == [None, 2]
    cuts = simulator.cut_times(parse_cut_arg("2024-06-02 20:00"), None)
    assert len([next(cuts) for _ in range(200)]) == 200
