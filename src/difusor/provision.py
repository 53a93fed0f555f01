"""`difusor provision`: run a playbook through ansible-runner, with progress and a summary.

Exit codes: 0 every host finished without failures; 1 a host failed or was unreachable (or
ansible-playbook stopped with an error after it started on the hosts); 2 nothing ran on any
host: no inventory, an unknown playbook, or a playbook/inventory that does not parse.

Each run keeps ansible-runner's artifacts (stdout, job_events/, command, rc, status) and a
summary.json under .difusor/runs/<UTC timestamp>/ in the project directory.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import shlex
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from difusor import tools
from difusor.errors import DifusorError
from difusor.inventory import find_checkout

if TYPE_CHECKING:
    from rich.console import Console, RenderableType

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

DEFAULT_INVENTORY = Path("inventory/sandbox/hosts.yml")
RUNS_DIR = Path(".difusor/runs")
RESULT_EVENTS = {
    "runner_on_ok": "ok",
    "runner_on_failed": "failed",
    "runner_on_skipped": "skipped",
    "runner_on_unreachable": "unreachable",
}


@dataclass
class HostProgress:
    """What one host has done so far, from the runner's events."""

    name: str
    task: str = ""
    done: int = 0
    changed: int = 0
    failed: int = 0
    unreachable: int = 0
    first_seen: float | None = None
    last_seen: float | None = None

    @property
    def duration_s(self) -> float:
        if self.first_seen is None or self.last_seen is None:
            return 0.0
        return self.last_seen - self.first_seen


@dataclass
class HostSummary:
    """One row of the final table: the play recap of a host, with its duration."""

    host: str
    ok: int
    changed: int
    failed: int
    unreachable: int
    skipped: int
    rescued: int
    ignored: int
    duration_s: float

    @property
    def passed(self) -> bool:
        return self.failed == 0 and self.unreachable == 0


@dataclass
class Notice:
    """A line worth printing while the run goes on: a change, a failure, a new play or role."""

    kind: str  # play, role, changed, failed, unreachable
    text: str
    host: str = ""


@dataclass
class RunTracker:
    """Folds ansible-runner events into per-host progress and the final recap."""

    hosts: dict[str, HostProgress] = field(default_factory=dict)
    play: str = ""
    role: str = ""
    tasks_started: int = 0
    roles_announced: set[str] = field(default_factory=set)
    stats: dict[str, dict[str, int]] | None = None
    notices: list[Notice] = field(default_factory=list)

    def host(self, name: str) -> HostProgress:
        return self.hosts.setdefault(name, HostProgress(name))

    def handle(self, event: dict[str, Any]) -> list[Notice]:
        """Update the progress with one event; return the notices it produced."""
        kind = event.get("event", "")
        data = event.get("event_data") or {}
        stamp = _timestamp(event.get("created"))
        notices: list[Notice] = []
        if kind == "playbook_on_play_start":
            self.play = data.get("play", "") or data.get("name", "")
            self.role = ""
            self.roles_announced = set()
            notices.append(Notice("play", self.play))
        elif kind == "playbook_on_task_start":
            self.tasks_started += 1
            role = data.get("role", "") or ""
            if role and role not in self.roles_announced:
                self.roles_announced.add(role)
                notices.append(Notice("role", role))
            self.role = role
        elif kind == "runner_on_start":
            progress = self.host(data.get("host", "?"))
            progress.task = _task_label(data)
            self._seen(progress, stamp)
        elif kind in RESULT_EVENTS:
            notices += self._result(RESULT_EVENTS[kind], data, stamp)
        elif kind == "playbook_on_stats":
            self.stats = {
                key: dict(data.get(key) or {})
                for key in (
                    "ok",
                    "changed",
                    "failures",
                    "dark",
                    "skipped",
                    "rescued",
                    "ignored",
                    "processed",
                )
            }
            for progress in self.hosts.values():
                progress.task = ""
        self.notices += notices
        return notices

    def _seen(self, progress: HostProgress, stamp: float | None) -> None:
        if stamp is None:
            return
        if progress.first_seen is None:
            progress.first_seen = stamp
        progress.last_seen = stamp

    def _result(self, outcome: str, data: dict[str, Any], stamp: float | None) -> list[Notice]:
        progress = self.host(data.get("host", "?"))
        self._seen(progress, stamp)
        progress.done += 1
        label = _task_label(data)
        if outcome == "unreachable":
            progress.unreachable += 1
            return [Notice("unreachable", f"{label}: {_message(data)}", progress.name)]
        if outcome == "failed":
            if data.get("ignore_errors"):
                return []
            progress.failed += 1
            return [Notice("failed", f"{label}: {_message(data)}", progress.name)]
        if outcome == "ok" and (data.get("res") or {}).get("changed"):
            progress.changed += 1
            return [Notice("changed", label, progress.name)]
        return []

    def summary(self) -> list[HostSummary]:
        """The recap per host: from playbook_on_stats when the play got that far, else from
        the events seen (a run cut short)."""
        names = sorted(set(self.hosts) | set(_stats_hosts(self.stats)))
        rows = []
        for name in names:
            progress = self.host(name)
            if self.stats is not None:
                stats = {key: values.get(name, 0) for key, values in self.stats.items()}
                rows.append(
                    HostSummary(
                        host=name,
                        ok=stats["ok"],
                        changed=stats["changed"],
                        failed=stats["failures"],
                        unreachable=stats["dark"],
                        skipped=stats["skipped"],
                        rescued=stats["rescued"],
                        ignored=stats["ignored"],
                        duration_s=progress.duration_s,
                    )
                )
            else:
                rows.append(
                    HostSummary(
                        host=name,
                        ok=progress.done - progress.failed - progress.unreachable,
                        changed=progress.changed,
                        failed=progress.failed,
                        unreachable=progress.unreachable,
                        skipped=0,
                        rescued=0,
                        ignored=0,
                        duration_s=progress.duration_s,
                    )
                )
        return rows


def exit_code(tracker: RunTracker, rc: int | None) -> int:
    """0 all hosts passed; 1 a host failed or ansible stopped after starting on hosts; 2 nothing
    ran on any host."""
    rows = tracker.summary()
    if not rows and tracker.stats is None:
        return EXIT_USAGE
    if rc == 0 and all(row.passed for row in rows):
        return EXIT_OK
    return EXIT_FAILED


def _stats_hosts(stats: dict[str, dict[str, int]] | None) -> set[str]:
    if not stats:
        return set()
    return {host for values in stats.values() for host in values}


def _timestamp(created: object) -> float | None:
    if not isinstance(created, str):
        return None
    try:
        moment = datetime.fromisoformat(created)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def _task_label(data: dict[str, Any]) -> str:
    task = data.get("task", "") or data.get("task_action", "")
    role = data.get("role", "")
    return f"{role} : {task}" if role else task


def _message(data: dict[str, Any]) -> str:
    res = data.get("res") or {}
    text = res.get("msg") or res.get("stderr") or res.get("reason") or ""
    if not isinstance(text, str):
        text = json.dumps(text)
    lines = [line for line in text.strip().splitlines() if line.strip()]
    first = lines[0] if lines else "(no message)"
    return first if len(first) <= 200 else first[:197] + "..."


# --- Display ---------------------------------------------------------------------------------


def progress_table(tracker: RunTracker, started: float) -> RenderableType:
    """The live view: per host, the current task, tasks done, changed and failed counts."""
    from rich.table import Table

    elapsed = time.monotonic() - started
    table = Table(
        title=f"{tracker.play or 'starting'} · {tracker.tasks_started} tasks · {elapsed:.0f} s",
        title_justify="left",
        expand=False,
    )
    table.add_column("host")
    table.add_column("current task", overflow="ellipsis", max_width=70, no_wrap=True)
    table.add_column("done", justify="right")
    table.add_column("changed", justify="right")
    table.add_column("failed", justify="right")
    for progress in sorted(tracker.hosts.values(), key=lambda p: p.name):
        failed = progress.failed + progress.unreachable
        table.add_row(
            progress.name,
            progress.task,
            str(progress.done),
            str(progress.changed),
            f"[red]{failed}[/red]" if failed else "0",
        )
    return table


def summary_table(rows: list[HostSummary]) -> RenderableType:
    from rich.table import Table

    table = Table(title="Summary", title_justify="left")
    for column in ("host", "ok", "changed", "failed", "unreachable", "skipped", "duration"):
        table.add_column(column, justify="left" if column == "host" else "right")
    for row in rows:
        table.add_row(
            row.host,
            str(row.ok),
            str(row.changed),
            f"[red]{row.failed}[/red]" if row.failed else "0",
            f"[red]{row.unreachable}[/red]" if row.unreachable else "0",
            str(row.skipped),
            f"{row.duration_s:.0f} s",
        )
    return table


NOTICE_STYLE = {
    "play": "[bold]PLAY[/bold] {text}",
    "role": "  role [cyan]{text}[/cyan]",
    "changed": "    [yellow]changed[/yellow]     {host}: {text}",
    "failed": "    [red]failed[/red]      {host}: {text}",
    "unreachable": "    [red]unreachable[/red] {host}: {text}",
}


def print_notice(console: Console, notice: Notice) -> None:
    from rich.markup import escape

    console.print(
        NOTICE_STYLE[notice.kind].format(text=escape(notice.text), host=escape(notice.host)),
        highlight=False,
        soft_wrap=True,
    )


# --- Running ---------------------------------------------------------------------------------


@dataclass
class ProvisionRequest:
    project_dir: Path
    playbook: Path
    inventory: Path
    limit: str | None = None
    tags: str | None = None
    skip_tags: str | None = None
    check: bool = False
    diff: bool = False
    extra_vars: list[str] = field(default_factory=list)
    vault_password_file: Path | None = None
    ask_vault_pass: bool = False

    def cmdline(self) -> str:
        args: list[str] = []
        if self.check:
            args.append("--check")
        if self.diff:
            args.append("--diff")
        for extra in self.extra_vars:
            args += ["--extra-vars", extra]
        if self.vault_password_file:
            args += ["--vault-password-file", str(self.vault_password_file.resolve())]
        if self.ask_vault_pass:
            args.append("--ask-vault-pass")
        return shlex.join(args)


@dataclass
class ProvisionResult:
    exit_code: int
    rc: int | None
    status: str
    run_dir: Path
    hosts: list[HostSummary]
    duration_s: float


def resolve_playbook(project_dir: Path, name: str) -> Path:
    """A playbook by path, or by name under the project's playbooks/ (`site`, `site.yml`)."""
    given = Path(name)
    if given.suffix in (".yml", ".yaml") and given.is_file():
        return given.resolve()
    for candidate in (project_dir / "playbooks" / name, project_dir / "playbooks" / f"{name}.yml"):
        if candidate.is_file():
            return candidate
    available = sorted(p.stem for p in (project_dir / "playbooks").glob("*.yml"))
    raise DifusorError(
        f"no playbook {name!r}: give a path or one of {', '.join(available)} "
        f"(from {project_dir / 'playbooks'})"
    )


def resolve_inventory(project_dir: Path, given: Path | None) -> Path:
    if given is not None:
        if not given.exists():
            raise DifusorError(f"inventory {given} does not exist")
        return given.resolve()
    default = project_dir / DEFAULT_INVENTORY
    if default.exists():
        return default
    raise DifusorError(
        f"no inventory given and {DEFAULT_INVENTORY} does not exist: pass -i INVENTORY "
        "(a copy of inventory/example/ edited for your server), or create the local sandbox "
        f"with `difusor sandbox up --inventory {DEFAULT_INVENTORY}`"
    )


def new_run_dir(project_dir: Path, now: datetime | None = None) -> Path:
    moment = (now or datetime.now(timezone.utc)).strftime("%Y%m%dT%H%M%SZ")
    run_dir = project_dir / RUNS_DIR / moment
    suffix = 1
    while run_dir.exists():
        suffix += 1
        run_dir = project_dir / RUNS_DIR / f"{moment}-{suffix}"
    run_dir.mkdir(parents=True)
    return run_dir


def runner_env(project_dir: Path) -> dict[str, str]:
    """Environment for ansible-playbook: this checkout's ansible.cfg (roles_path, library,
    filter_plugins resolve against it) and the tools of the Python that runs difusor."""
    tools = str(Path(sys.executable).parent)
    return {
        "ANSIBLE_CONFIG": str(project_dir / "ansible.cfg"),
        "PATH": os.pathsep.join([tools, os.environ.get("PATH", "")]),
        "ANSIBLE_FORCE_COLOR": "0",
    }


def provision(request: ProvisionRequest, console: Console) -> ProvisionResult:
    """Run the playbook, showing progress on the console; keep the artifacts."""
    import ansible_runner
    from rich.live import Live

    run_dir = new_run_dir(request.project_dir)
    tracker = RunTracker()
    started = time.monotonic()
    passwords = {}
    if request.ask_vault_pass:
        passwords[r"^Vault password:\s*?$"] = getpass.getpass("Vault password: ")
    live = Live(
        progress_table(tracker, started),
        console=console,
        refresh_per_second=4,
        transient=True,
        auto_refresh=True,
        redirect_stdout=False,
        redirect_stderr=False,
    )
    use_live = console.is_terminal

    def on_event(event: dict[str, Any]) -> bool:
        for notice in tracker.handle(event):
            print_notice(console, notice)
        if use_live:
            live.update(progress_table(tracker, started))
        return True  # keep the event in the artifacts

    shown = (
        request.playbook.relative_to(request.project_dir)
        if request.playbook.is_relative_to(request.project_dir)
        else request.playbook
    )
    console.print(
        f"[bold]difusor provision[/bold]: {shown} on {request.inventory}"
        + (f" (limit {request.limit})" if request.limit else "")
        + (f" (tags {request.tags})" if request.tags else "")
        + (" [check mode: nothing is changed]" if request.check else ""),
        highlight=False,
    )
    if use_live:
        live.start()
    try:
        runner = ansible_runner.run(
            private_data_dir=str(run_dir),
            artifact_dir=str(run_dir),
            ident="artifacts",
            project_dir=str(request.project_dir),
            playbook=str(request.playbook),
            inventory=str(request.inventory),
            limit=request.limit,
            tags=request.tags,
            skip_tags=request.skip_tags,
            cmdline=request.cmdline() or None,
            envvars=runner_env(request.project_dir),
            passwords=passwords,
            # Facts go where ansible.cfg says (.cache/ansible-facts), shared with reports and
            # ad-hoc commands, as with a plain ansible-playbook run.
            fact_cache_type=None,
            suppress_env_files=True,
            quiet=True,
            event_handler=on_event,
        )
    finally:
        if use_live:
            live.stop()
    duration = time.monotonic() - started
    rows = tracker.summary()
    code = exit_code(tracker, runner.rc)
    result = ProvisionResult(code, runner.rc, runner.status, run_dir, rows, duration)
    write_summary(result, request)
    if code == EXIT_USAGE:
        tail = _stdout_tail(run_dir / "artifacts" / "stdout")
        if tail:
            console.print(tail, highlight=False, markup=False)
    return result


def _stdout_tail(path: Path, lines: int = 15) -> str:
    if not path.is_file():
        return ""
    text = path.read_text(errors="replace").strip().splitlines()
    return "\n".join(text[-lines:])


def write_summary(result: ProvisionResult, request: ProvisionRequest) -> Path:
    path = result.run_dir / "summary.json"
    data = {
        "playbook": str(request.playbook),
        "inventory": str(request.inventory),
        "limit": request.limit,
        "tags": request.tags,
        "check": request.check,
        "exit_code": result.exit_code,
        "ansible_rc": result.rc,
        "status": result.status,
        "duration_s": round(result.duration_s, 1),
        "hosts": [asdict(row) for row in result.hosts],
    }
    path.write_text(json.dumps(data, indent=2) + "\n")
    return path


def print_summary(console: Console, result: ProvisionResult) -> None:
    if result.hosts:
        console.print(summary_table(result.hosts))
    verdict = {
        EXIT_OK: "[green]every host finished without failures[/green]",
        EXIT_FAILED: "[red]failures: see the lines marked failed/unreachable above[/red]",
        EXIT_USAGE: "[red]nothing ran on any host (see the error above)[/red]",
    }[result.exit_code]
    console.print(
        f"{verdict}; {result.duration_s:.0f} s, ansible-playbook exit {result.rc}",
        highlight=False,
        soft_wrap=True,
    )
    console.print(
        f"artifacts (stdout, job_events/, summary.json): {result.run_dir}",
        highlight=False,
        soft_wrap=True,
    )


# --- CLI -------------------------------------------------------------------------------------


def cmd_provision(args: argparse.Namespace) -> int:
    from rich.console import Console

    console = Console(stderr=True)
    tools.require("ssh")  # Ansible reaches the hosts over SSH
    try:
        project_dir = find_checkout(args.project_dir)
        request = ProvisionRequest(
            project_dir=project_dir,
            playbook=resolve_playbook(project_dir, args.playbook),
            inventory=resolve_inventory(project_dir, args.inventory),
            limit=args.limit,
            tags=args.tags,
            skip_tags=args.skip_tags,
            check=args.check,
            diff=args.diff,
            extra_vars=args.extra_vars or [],
            vault_password_file=args.vault_password_file,
            ask_vault_pass=args.ask_vault_pass,
        )
    except DifusorError as exc:
        console.print(f"difusor: error: {exc}", highlight=False, markup=False)
        return EXIT_USAGE
    result = provision(request, console)
    print_summary(console, result)
    return result.exit_code


def register(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        "provision",
        help="run playbooks/site.yml (or another playbook) through ansible-runner",
        description="Run a playbook through ansible-runner with a progress display and a "
        "summary. Exit 0: every host finished without failures; 1: a host failed or was "
        "unreachable; 2: nothing ran (no inventory, unknown playbook, parse error). The "
        "artifacts are kept under .difusor/runs/<UTC timestamp>/.",
    )
    parser.add_argument(
        "-i",
        "--inventory",
        type=Path,
        help=f"inventory file or directory (default: {DEFAULT_INVENTORY} when it exists)",
    )
    parser.add_argument(
        "--playbook",
        default="site",
        help="a name under playbooks/ or a path (default: %(default)s)",
    )
    parser.add_argument("-l", "--limit", help="only these hosts (Ansible pattern)")
    parser.add_argument("-t", "--tags", help="only tasks with these tags (e.g. req_II.C.c)")
    parser.add_argument("--skip-tags", help="skip tasks with these tags")
    parser.add_argument(
        "-C", "--check", action="store_true", help="check mode: report, change nothing"
    )
    parser.add_argument("-D", "--diff", action="store_true", help="show file differences")
    parser.add_argument(
        "-e",
        "--extra-vars",
        action="append",
        metavar="VARS",
        help="extra variables (key=value or @file), repeatable",
    )
    parser.add_argument(
        "--vault-password-file", type=Path, help="file with the Ansible Vault password"
    )
    parser.add_argument(
        "--ask-vault-pass", action="store_true", help="ask for the Ansible Vault password"
    )
    parser.add_argument(
        "--project-dir",
        type=Path,
        help="the difusor checkout (default: found from the current directory)",
    )
    parser.set_defaults(func=cmd_provision)
    return parser
