"""difusor provision: event handling, summary and exit codes from recorded ansible-runner events.

test_provision_events.jsonl was recorded by `difusor provision` (ansible-runner 2.4.3) running a
small playbook against a sandbox host and an address with no host behind it, trimmed to the
fields the tracker reads: a changed task, an ignored failure, a skipped task, a real failure
and an unreachable host.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from rich.console import Console

from difusor import provision
from difusor.cli import main as difusor_main
from difusor.errors import DifusorError
from difusor.inventory import find_checkout

EVENTS = Path(__file__).with_name("test_provision_events.jsonl")


def recorded() -> list[dict]:
    return [json.loads(line) for line in EVENTS.read_text().splitlines()]


def tracked(events: list[dict]) -> provision.RunTracker:
    tracker = provision.RunTracker()
    for event in events:
        tracker.handle(event)
    return tracker


def test_recap_comes_from_the_stats_event() -> None:
    rows = {row.host: row for row in tracked(recorded()).summary()}
    assert set(rows) == {"prep-sandbox", "prep-gone"}
    sandbox, gone = rows["prep-sandbox"], rows["prep-gone"]
    assert (sandbox.ok, sandbox.changed, sandbox.failed, sandbox.skipped, sandbox.ignored) == (
        3,
        1,
        1,
        1,
        1,
    )
    assert (gone.ok, gone.unreachable) == (0, 1)
    assert not sandbox.passed and not gone.passed
    # From the first runner_on_start (15:44:14.142) to the last result (15:44:19.872).
    assert sandbox.duration_s == pytest.approx(5.73, abs=0.01)


def test_notices_name_changes_failures_and_unreachable_hosts_not_ignored_errors() -> None:
    tracker = tracked(recorded())
    kinds = [(n.kind, n.host, n.text.split(":")[0]) for n in tracker.notices]
    assert kinds == [
        ("play", "", "Recorded events for the provision unit tests"),
        ("unreachable", "prep-gone", "Check the host answers"),
        ("changed", "prep-sandbox", "Write a marker file"),
        ("failed", "prep-sandbox", "II.C.c | A requirement that fails"),
    ]
    failed = tracker.notices[-1].text
    assert failed.endswith("port 873 answers from an untrusted source")


def test_progress_follows_the_current_task_and_counts_results() -> None:
    events = recorded()
    cut = next(i for i, e in enumerate(events) if e["event"] == "runner_on_failed")
    tracker = tracked(events[: cut + 3])  # up to the next task starting on the host
    host = tracker.hosts["prep-sandbox"]
    assert host.task == "Skipped on purpose"
    assert (host.done, host.changed, host.failed) == (3, 1, 0)  # the ignored failure is not one
    assert tracker.tasks_started == 4


def test_exit_codes() -> None:
    events = recorded()
    assert provision.exit_code(tracked(events), rc=4) == provision.EXIT_FAILED
    healthy = [
        e
        for e in events
        if e["event_data"].get("host") != "prep-gone" and "fails" not in str(e["event_data"])
    ]
    for event in healthy:
        if event["event"] == "playbook_on_stats":
            data = event["event_data"]
            data.update(failures={}, dark={}, ignored={})
    assert provision.exit_code(tracked(healthy), rc=0) == provision.EXIT_OK
    # A playbook that does not parse: ansible-playbook stops before any host event.
    assert provision.exit_code(tracked(events[:1]), rc=4) == provision.EXIT_USAGE


def test_a_run_cut_short_is_summarised_from_the_events_seen() -> None:
    events = [e for e in recorded() if e["event"] != "playbook_on_stats"]
    rows = {row.host: row for row in tracked(events).summary()}
    assert (rows["prep-sandbox"].changed, rows["prep-sandbox"].failed) == (1, 1)
    assert rows["prep-gone"].unreachable == 1


def test_roles_are_announced_once_per_play() -> None:
    def task(role: str, name: str) -> dict:
        return {"event": "playbook_on_task_start", "event_data": {"role": role, "task": name}}

    tracker = tracked(
        [
            {"event": "playbook_on_play_start", "event_data": {"play": "Provision"}},
            task("base", "a"),
            task("base", "b"),
            task("ntp", "c"),
            task("base", "Restart chrony handler"),
        ]
    )
    assert [(n.kind, n.text) for n in tracker.notices] == [
        ("play", "Provision"),
        ("role", "base"),
        ("role", "ntp"),
    ]


def test_summary_table_and_progress_render() -> None:
    tracker = tracked(recorded())
    out = io.StringIO()
    console = Console(file=out, width=140, color_system=None)
    console.print(provision.summary_table(tracker.summary()))
    console.print(provision.progress_table(tracker, started=0.0))
    text = out.getvalue()
    assert "prep-sandbox" in text and "prep-gone" in text
    header = next(line for line in text.splitlines() if "unreachable" in line)
    assert all(word in header for word in ("ok", "changed", "failed", "skipped", "duration"))
    cells = [
        [cell.strip() for cell in line.strip("│ ").split("│")]
        for line in text.splitlines()
        if line.startswith("│ prep-")
    ]
    # Summary rows: host, ok, changed, failed, unreachable, skipped, duration.
    assert ["prep-sandbox", "3", "1", "1", "0", "1", "6 s"] in cells
    assert ["prep-gone", "0", "0", "0", "1", "0", "3 s"] in cells


def test_usage_errors_say_what_to_pass(tmp_path: Path) -> None:
    (tmp_path / "ansible.cfg").write_text("[defaults]\n")
    (tmp_path / "playbooks").mkdir()
    (tmp_path / "playbooks" / "site.yml").write_text("---\n")
    assert find_checkout(tmp_path / "playbooks") == tmp_path
    assert provision.resolve_playbook(tmp_path, "site") == tmp_path / "playbooks" / "site.yml"
    with pytest.raises(DifusorError, match="one of site"):
        provision.resolve_playbook(tmp_path, "nope")
    with pytest.raises(DifusorError, match="pass -i INVENTORY"):
        provision.resolve_inventory(tmp_path, None)
    with pytest.raises(DifusorError, match="does not exist"):
        provision.resolve_inventory(tmp_path, tmp_path / "missing.yml")
    args = ["provision", "--project-dir", str(tmp_path), "-i", str(tmp_path / "none.yml")]
    assert difusor_main(args) == provision.EXIT_USAGE


def test_command_line_and_run_directory(tmp_path: Path) -> None:
    request = provision.ProvisionRequest(
        project_dir=tmp_path,
        playbook=tmp_path / "site.yml",
        inventory=tmp_path / "hosts.yml",
        check=True,
        diff=True,
        extra_vars=["prep_publisher_drill=true"],
    )
    assert request.cmdline() == "--check --diff --extra-vars prep_publisher_drill=true"
    first = provision.new_run_dir(tmp_path)
    second = provision.new_run_dir(tmp_path)
    assert first.parent == tmp_path / ".difusor" / "runs" and first != second
    env = provision.runner_env(tmp_path)
    assert env["ANSIBLE_CONFIG"] == str(tmp_path / "ansible.cfg")
