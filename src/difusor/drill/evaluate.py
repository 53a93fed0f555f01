"""PASS or FAIL of each drill step from what was observed (no I/O here).

A step's result carries facts (a message key and its values, worded by difusor.drill.report in
Spanish or English) and the measured times."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from difusor.drill.web import Page


@dataclass(frozen=True)
class Fact:
    key: str
    values: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Timing:
    key: str  # what was measured (message key)
    seconds: float


@dataclass(frozen=True)
class StepResult:
    number: int
    key: str  # first_cut, second_cut, corrupt_cut, replayed_cut, crash, gap
    passed: bool
    facts: tuple[Fact, ...]
    timings: tuple[Timing, ...] = ()
    values: dict[str, Any] = field(default_factory=dict)  # for the action/expected wording


def _timing(key: str, seconds: float | None) -> tuple[Timing, ...]:
    return () if seconds is None else (Timing(key, round(seconds, 1)),)


def went_live(
    number: int,
    key: str,
    cut: str,
    push_error: str,
    page: Page | None,
    seconds: float | None,
    timeout_s: float,
    values: dict[str, Any],
) -> StepResult:
    """A pushed cut must be served over HTTPS within timeout_s."""
    if push_error:
        return StepResult(
            number, key, False, (Fact("push_failed", {"detail": push_error}),), (), values
        )
    if seconds is None or page is None or page.cut != cut:
        shown = page.describe() if page else "-"
        fact = Fact("not_live", {"cut": cut, "timeout": round(timeout_s), "shown": shown})
        return StepResult(number, key, False, (fact,), (), values)
    fact = Fact("live_after", {"cut": cut, "seconds": round(seconds, 1)})
    return StepResult(number, key, True, (fact,), _timing("push_to_served", seconds), values)


def same_bytes(result: StepResult, expected: bytes, served: Page) -> StepResult:
    """Add the byte-for-byte check of a served file (VI.b) to a step's result (a cut that did
    not go live is not compared)."""
    if not result.passed:
        return result
    if served.status == 200 and served.body == expected:
        fact, ok = Fact("bytes_equal", {"size": len(expected)}), True
    else:
        fact = Fact(
            "bytes_differ",
            {"size": len(expected), "served": len(served.body), "status": served.status},
        )
        ok = False
    return StepResult(
        result.number,
        result.key,
        result.passed and ok,
        (*result.facts, fact),
        result.timings,
        result.values,
    )


def rejection_of(events: Iterable[dict[str, Any]], archive: str) -> dict[str, Any] | None:
    """The journal's `rejected` event of this archive (matched by file name), if any."""
    for event in events:
        name = PurePosixPath(str(event.get("archive") or "")).name
        if event.get("event") == "rejected" and name == archive:
            return event
    return None


def distinct_shown(pages: Sequence[Page]) -> list[str]:
    shown: list[str] = []
    for page in pages:
        text = page.describe()
        if text not in shown:
            shown.append(text)
    return shown


def rejected_while_served(
    number: int,
    key: str,
    archive: str,
    rule: str,
    push_error: str,
    event: dict[str, Any] | None,
    seconds: float | None,
    polls: Sequence[Page],
    kept: str,
    values: dict[str, Any],
) -> StepResult:
    """A bad package must be rejected by `rule` while `kept` is served at every poll."""
    facts: list[Fact] = []
    ok = True
    if push_error:
        facts.append(Fact("push_failed", {"detail": push_error}))
        ok = False
    elif event is None:
        facts.append(Fact("not_rejected", {"archive": archive}))
        ok = False
    else:
        got = str(event.get("rule"))
        facts.append(Fact("rejected_rule", {"rule": got, "seconds": round(seconds or 0, 1)}))
        ok = got == rule
    others = [shown for shown in distinct_shown(polls) if shown != kept]
    if polls and not others:
        facts.append(Fact("kept_served", {"cut": kept, "polls": len(polls)}))
    elif polls:
        facts.append(Fact("other_served", {"cut": kept, "shown": ", ".join(others) or "-"}))
        ok = False
    timings = _timing("push_to_rejected", seconds) if event is not None else ()
    return StepResult(number, key, ok, tuple(facts), timings, values)


def crash_recovered(
    number: int,
    restarts_before: int,
    state_after: tuple[str, int, int] | None,
    page: Page | None,
    seconds: float | None,
    cut: str,
    timeout_s: float,
    values: dict[str, Any],
) -> StepResult:
    """After kill -9 of its main process the container must be restarted and serve `cut`."""
    facts: list[Fact] = []
    ok = True
    if state_after is None or state_after[0] != "running" or state_after[1] <= restarts_before:
        shown = "-" if state_after is None else f"{state_after[0]}, {state_after[1]}"
        facts.append(Fact("not_restarted", {"state": shown}))
        ok = False
    else:
        facts.append(Fact("restarted", {"restarts": state_after[1] - restarts_before}))
    if seconds is None or page is None or page.cut != cut:
        shown = page.describe() if page else "-"
        facts.append(Fact("not_back", {"timeout": round(timeout_s), "shown": shown}))
        ok = False
    else:
        facts.append(Fact("served_again", {"cut": cut, "seconds": round(seconds, 1)}))
    return StepResult(number, "crash", ok, tuple(facts), _timing("kill_to_served", seconds), values)


def gap_handled(
    number: int,
    incident_status: str,
    notice_page: Page | None,
    notice_seconds: float | None,
    fresh_cut: str,
    fresh_page: Page | None,
    fresh_seconds: float | None,
    notice_left_on: bool,
    timeout_s: float,
    values: dict[str, Any],
    error: str = "",
) -> StepResult:
    """A cut 50 minutes old must make the watchdog serve the notice; a fresh cut must lift it."""
    facts: list[Fact] = []
    ok = True
    if error:
        facts.append(Fact("error", {"detail": error}))
        ok = False
    if not incident_status.startswith("freshness incident"):
        facts.append(Fact("no_incident", {"status": incident_status or "-"}))
        ok = False
    if notice_seconds is None or notice_page is None or not notice_page.notice:
        shown = notice_page.describe() if notice_page else "-"
        facts.append(Fact("notice_not_shown", {"timeout": round(timeout_s), "shown": shown}))
        ok = False
    else:
        facts.append(
            Fact("notice_shown", {"status": incident_status, "seconds": round(notice_seconds, 1)})
        )
    if fresh_seconds is None or fresh_page is None or fresh_page.cut != fresh_cut:
        shown = fresh_page.describe() if fresh_page else "-"
        facts.append(Fact("results_not_back", {"timeout": round(timeout_s), "shown": shown}))
        ok = False
    else:
        facts.append(Fact("results_back", {"cut": fresh_cut, "seconds": round(fresh_seconds, 1)}))
    if notice_left_on:
        facts.append(Fact("notice_left_on"))
        ok = False
    timings = _timing("watchdog_to_notice", notice_seconds) + _timing(
        "push_to_results", fresh_seconds
    )
    return StepResult(number, "gap", ok, tuple(facts), timings, values)


def failed(number: int, key: str, error: str, values: dict[str, Any]) -> StepResult:
    """A step that could not be carried out (a command on the host failed)."""
    return StepResult(number, key, False, (Fact("error", {"detail": error}),), (), values)


def all_passed(results: Sequence[StepResult]) -> bool:
    return bool(results) and all(result.passed for result in results)
