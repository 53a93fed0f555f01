"""The drill's scripted sequence against one host, and the cleanup that always follows."""

from __future__ import annotations

import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from difusor.drill import evaluate
from difusor.drill.cuts import CutPlan, plan_cuts
from difusor.drill.evaluate import Fact, StepResult
from difusor.drill.inventory import DrillHost
from difusor.drill.remote import WORK, Remote, RemoteError
from difusor.drill.report import ACTIONS, VERDICT, HostReport
from difusor.drill.web import Page, fetch, wait_until
from difusor.errors import DifusorError
from difusor.package.layout import Settings, cut_id, parse_cut_id, sidecar_path
from difusor.transfer import Target, push_files

# The drill's steps, in the order they run (numbered from 1 in the report).
STEPS = ("first_cut", "second_cut", "corrupt_cut", "replayed_cut", "crash", "gap")
POLL_S = 0.5
AFTER_REJECTION_POLLS = 3  # keep looking at the site a little after the rejection


@dataclass
class Drill:
    """One host's drill. The callables are the I/O, replaceable in tests."""

    host: DrillHost
    remote: Remote
    say: Callable[[str], None]
    lang: str = "es"
    timeout_s: float = 60.0
    rows: int = 40
    settings: Settings = field(default_factory=Settings)
    fetch: Callable[[str, str], Page] = fetch
    push: Callable[..., tuple[bool, str]] = push_files
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    saved_settings: bool = False
    newest_live: str | None = None

    # --- helpers --------------------------------------------------------------------------

    def page(self, path: str = "index.html") -> Page:
        return self.fetch(self.host.site_address, path)

    def wait_page(self, done: Callable[[Page], bool]) -> tuple[Page, float | None, list[Page]]:
        return wait_until(self.page, done, self.timeout_s, POLL_S, self.clock, self.sleep)

    def send(self, archive: Path) -> str:
        """Push the archive, then its sidecar (which completes the package); '' when it worked."""
        ok, detail = self.push(
            [archive, sidecar_path(archive, self.settings)],
            Target(self.host.address, self.host.module, self.host.rsync_user),
            self.host.password,
        )
        return "" if ok else detail

    def wait_remote(self, done: Callable[[], bool]) -> float | None:
        started = self.clock()
        while True:
            if done():
                return self.clock() - started
            if self.clock() - started >= self.timeout_s:
                return None
            self.sleep(POLL_S)

    # --- steps ----------------------------------------------------------------------------

    def push_live(self, number: int, key: str, archive: Path, cut: str, values: dict) -> StepResult:
        started = self.clock()
        error = self.send(archive)
        page, seconds = None, None
        if not error:
            page, _, _ = self.wait_page(lambda page: page.cut == cut)
            seconds = self.clock() - started if page.cut == cut else None
        result = evaluate.went_live(number, key, cut, error, page, seconds, self.timeout_s, values)
        if result.passed:
            self.newest_live = cut
        return result

    def push_rejected(
        self, number: int, key: str, archive: Path, rule: str, kept: str, values: dict
    ) -> StepResult:
        length = self.remote.journal_length()
        started = self.clock()
        error = self.send(archive)
        polls: list[Page] = [] if error else [self.page()]
        event, seconds = None, None
        while not error:
            event = evaluate.rejection_of(self.remote.journal_since(length), archive.name)
            polls.append(self.page())
            if event is not None:
                seconds = self.clock() - started
                break
            if self.clock() - started >= self.timeout_s:
                break
            self.sleep(POLL_S)
        for _ in range(AFTER_REJECTION_POLLS if event else 0):
            self.sleep(POLL_S)
            polls.append(self.page())
        return evaluate.rejected_while_served(
            number, key, archive.name, rule, error, event, seconds, polls, kept, values
        )

    def crash(self, number: int, kept: str, values: dict) -> StepResult:
        status, restarts, pid = self.remote.container_state()
        if status != "running":
            raise RemoteError(f"the web container is {status} before the crash")
        self.remote.kill_container_main(pid)
        started = self.clock()
        after: list[tuple[str, int, int]] = []

        def restarted() -> bool:
            try:
                after.append(self.remote.container_state())
            except RemoteError:  # inspected while being restarted
                return False
            return after[-1][0] == "running" and after[-1][1] > restarts

        page, seconds = None, None
        if self.wait_remote(restarted) is not None:
            page, _, _ = self.wait_page(lambda page: page.cut == kept)
            seconds = self.clock() - started if page.cut == kept else None
        return evaluate.crash_recovered(
            number,
            restarts,
            after[-1] if after else None,
            page,
            seconds,
            kept,
            self.timeout_s,
            values,
        )

    def gap(self, number: int, plan: CutPlan, fresh: Path, values: dict) -> StepResult:
        ids = plan.ids(self.settings)
        status = error = ""
        notice_page = fresh_page = None
        notice_s = fresh_s = None
        left_on = False
        try:
            self.remote.auto_notice_on()
            self.saved_settings = True
            self.remote.publish_generated(plan.stale, "stale")
            started = self.clock()
            status = self.remote.run_watchdog()
            notice_page, _, _ = self.wait_page(lambda page: page.notice)
            notice_s = self.clock() - started if notice_page.notice else None
            started = self.clock()
            push_error = self.send(fresh)
            if push_error:
                raise RemoteError(f"rsync: {push_error}")
            if self.wait_remote(lambda: self.remote.live_cut() == ids["fresh"]) is not None:
                self.remote.run_watchdog()
                fresh_page, _, _ = self.wait_page(lambda page: page.cut == ids["fresh"])
                if fresh_page.cut == ids["fresh"]:
                    fresh_s = self.clock() - started
                    self.newest_live = ids["fresh"]
            left_on = self.remote.notice_active()
        except RemoteError as exc:
            error = str(exc)
        finally:
            self.restore_settings()
        return evaluate.gap_handled(
            number,
            status,
            notice_page,
            notice_s,
            ids["fresh"],
            fresh_page,
            fresh_s,
            left_on,
            self.timeout_s,
            values,
            error=error,
        )

    def restore_settings(self) -> bool:
        if not self.saved_settings:
            return False
        restored = self.remote.restore_web_settings()
        self.saved_settings = False
        return restored

    # --- the whole sequence ---------------------------------------------------------------

    def run(self, workdir: Path, now: datetime | None = None) -> HostReport:
        """Check the host, plan the cuts, run the STEPS, clean up."""
        remote = self.remote
        remote.check_reachable()
        if remote.notice_active():
            raise DifusorError(
                f"{self.host.name}: notice mode is on; the drill needs the results served. Turn "
                f"it off first (difusor notice off -i INVENTORY --limit {self.host.name})"
            )
        if self.page().status == 0:
            raise DifusorError(
                f"{self.host.name}: https://{self.host.site_address}/ does not answer "
                f"({self.page().error}); is the web container (role prep_web) running?"
            )
        now = now or datetime.now(timezone.utc)
        live = remote.live_cut()
        plan = plan_cuts(now, parse_cut_id(live, self.settings) if live else None, self.settings)
        ids = plan.ids(self.settings)
        values: dict[str, Any] = {**ids, "timeout": round(self.timeout_s)}
        archives = self.make_packages(plan, workdir)
        results: list[StepResult] = []
        actions: dict[str, Callable[[int], StepResult]] = {
            "first_cut": lambda number: self.push_live(
                number, "first_cut", archives["first"], ids["first"], values
            ),
            "second_cut": lambda number: self.second(
                number, archives["second"], ids["second"], values
            ),
            "corrupt_cut": lambda number: self.push_rejected(
                number,
                "corrupt_cut",
                archives["corrupt"],
                "sidecar-mismatch",
                ids["second"],
                values,
            ),
            "replayed_cut": lambda number: self.push_rejected(
                number, "replayed_cut", archives["first"], "replayed-cut", ids["second"], values
            ),
            "crash": lambda number: self.crash(number, ids["second"], values),
            "gap": lambda number: self.gap(number, plan, archives["fresh"], values),
        }
        started = (
            datetime.now(timezone.utc).astimezone(self.settings.tz).isoformat(timespec="seconds")
        )
        cleanup: tuple[Fact, ...] = ()
        try:
            for number, key in enumerate(STEPS, start=1):
                step = f"[{self.host.name}] {number}/{len(STEPS)}"
                self.say(f"{step} " + ACTIONS[self.lang][key].format(**values))
                try:
                    result = actions[key](number)
                except RemoteError as exc:
                    result = evaluate.failed(number, key, str(exc), values)
                results.append(result)
                times = ", ".join(f"{timing.seconds:.1f} s" for timing in result.timings)
                verdict = VERDICT[self.lang][0 if result.passed else 1]
                self.say(f"{step} {verdict}" + (f" ({times})" if times else ""))
        finally:
            cleanup = self.cleanup(plan)
        return HostReport(self.host.name, self.host.address, started, ids, tuple(results), cleanup)

    def second(self, number: int, archive: Path, cut: str, values: dict) -> StepResult:
        result = self.push_live(number, "second_cut", archive, cut, values)
        with zipfile.ZipFile(archive) as package:
            expected = package.read("index.html")
        return evaluate.same_bytes(result, expected, self.page())

    def make_packages(self, plan: CutPlan, workdir: Path) -> dict[str, Path]:
        from difusor.package import generate

        archives = {
            name: generate(
                getattr(plan, name), workdir / name, rows=self.rows, settings=self.settings
            )
            for name in ("first", "second", "corrupt", "fresh")
        }
        corrupt = archives["corrupt"]
        corrupt.write_bytes(corrupt.read_bytes()[:-64])  # damaged in transfer
        return archives

    def cleanup(self, plan: CutPlan) -> tuple[Fact, ...]:
        """Leave the host as a difusor should be: settings restored, notice off, the container
        running and the newest cut served. Each action is tried even when another fails."""
        done: list[Fact] = []
        fresh = cut_id(plan.fresh, self.settings)

        def attempt(action: Callable[[], Fact | None]) -> None:
            try:
                fact = action()
            except RemoteError as exc:
                done.append(Fact("cleanup_failed", {"detail": str(exc)}))
                return
            if fact is not None:
                done.append(fact)

        def settings() -> Fact | None:
            return Fact("restored_settings") if self.restore_settings() else None

        def container() -> Fact | None:
            status, _, _ = self.remote.container_state()
            if status == "running":
                return None
            self.remote.start_container()
            return Fact("container_started")

        def newest() -> Fact | None:
            live = self.remote.live_cut()
            if live is not None and live >= fresh:
                return None
            self.remote.publish_generated(plan.fresh, "fresh")
            self.newest_live = fresh
            return Fact("republished", {"cut": fresh})

        def notice() -> Fact | None:
            if not self.remote.notice_active():
                return None
            self.remote.notice_off()
            return Fact("notice_turned_off")

        def scratch() -> Fact | None:
            self.remote.run(f"rm -rf {WORK}")
            return None

        def serving() -> Fact | None:
            page, _, _ = self.wait_page(lambda page: page.cut is not None and page.cut >= fresh)
            return Fact("serving", {"cut": page.describe()})

        for action in (settings, container, newest, notice, scratch, serving):
            attempt(action)
        return tuple(done)
