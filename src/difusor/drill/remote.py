"""Commands on the difusor host, over SSH with the inventory's key and options."""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Callable
from datetime import datetime
from typing import Any

from difusor.drill.inventory import DrillHost
from difusor.errors import DifusorError
from difusor.package import journal

SITE = "/srv/prep/site"
WEB = "/srv/prep/web"
LIB = "PYTHONPATH=/opt/difusor/lib python3 -m difusor.cli"
WEB_SETTINGS = "/etc/difusor/web.yml"
SAVED_WEB_SETTINGS = "/etc/difusor/web.yml.drill-saved"
DRILL_WATCH_UNTIL = "2099-12-31 23:59"
CONTAINER = "prep-web"
# Where packages are generated on the host: readable by the publisher's account, which `package
# publish` run as root switches to (difusor.owner).
WORK = "/var/tmp/difusor-drill"


class RemoteError(Exception):
    """A command on the host failed (the step that ran it fails)."""


def ssh_command(host: DrillHost, command: str, timeout_s: int = 10) -> list[str]:
    options = [
        "-o",
        "BatchMode=yes",
        "-o",
        f"ConnectTimeout={timeout_s}",
        "-o",
        "LogLevel=ERROR",
        *shlex.split(host.ssh_args),
    ]
    if host.key:
        options += ["-i", host.key]
    return ["ssh", *options, "-p", str(host.port), "-l", host.user, host.address, command]


class Remote:
    """One host's shell. `run` raises RemoteError when the command fails."""

    def __init__(
        self,
        host: DrillHost,
        runner: Callable[..., subprocess.CompletedProcess[str]] = subprocess.run,
    ) -> None:
        self.host = host
        self._run = runner

    def run(self, command: str, timeout_s: float = 120) -> str:
        try:
            result = self._run(
                ssh_command(self.host, command),
                capture_output=True,
                text=True,
                timeout=timeout_s,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise RemoteError(f"{command!r} took more than {timeout_s:.0f} s") from None
        if result.returncode != 0:
            lines = (result.stderr or result.stdout).strip().splitlines()
            raise RemoteError(
                f"{command!r} exit {result.returncode}: {lines[-1] if lines else ''}".strip()
            )
        return result.stdout.strip()

    def check_reachable(self) -> None:
        """Stop the drill (exit 2) when the host cannot be reached or is not a difusor."""
        try:
            self.run(f"test -d {SITE} && test -d {WEB}", timeout_s=30)
        except RemoteError as exc:
            raise DifusorError(
                f"{self.host.name} ({self.host.address}): cannot reach it over SSH as "
                f"{self.host.user}, or it has no {SITE}: {exc}. Is it up and provisioned with "
                "playbooks/site.yml?"
            ) from None

    # --- facts ----------------------------------------------------------------------------

    def live_cut(self) -> str | None:
        target = self.run(f"readlink {SITE}/current || true")
        return target.rsplit("/", 1)[-1] if target else None

    def notice_active(self) -> bool:
        return self.run(f"test -e {WEB}/notice/active && echo on || echo off") == "on"

    def journal_length(self) -> int:
        return int(self.run(f"cat {SITE}/journal.jsonl 2>/dev/null | wc -l"))

    def journal_since(self, length: int) -> list[dict[str, Any]]:
        """The journal's events after its first `length` lines."""
        text = self.run(f"tail -n +{length + 1} {SITE}/journal.jsonl 2>/dev/null || true")
        return journal.parse_lines(text)

    def container_state(self) -> tuple[str, int, int]:
        """(status, restart count, main PID) of the web container."""
        text = self.run(
            f"docker inspect -f '{{{{.State.Status}}}} {{{{.RestartCount}}}} "
            f"{{{{.State.Pid}}}}' {CONTAINER}"
        )
        status, restarts, pid = text.split()
        return status, int(restarts), int(pid)

    # --- actions --------------------------------------------------------------------------

    def kill_container_main(self, pid: int) -> None:
        self.run(f"kill -9 {pid}")

    def run_watchdog(self) -> str:
        self.run("systemctl start difusor-watchdog.service")
        return self.run(f"{LIB} web status")

    def auto_notice_on(self) -> None:
        """Save the watchdog settings, then for the drill: auto_notice true, and the PREP open
        (watch_until far ahead; a drill runs outside the real night, when the watchdog would
        otherwise report `closed`). restore_web_settings undoes both."""
        self.run(
            f"cp -p {WEB_SETTINGS} {SAVED_WEB_SETTINGS} && "
            f"sed -i -e 's/^auto_notice: .*/auto_notice: true/' "
            f"-e \"s/^watch_until: .*/watch_until: '{DRILL_WATCH_UNTIL}'/\" {WEB_SETTINGS} && "
            f"grep -qx 'auto_notice: true' {WEB_SETTINGS} && "
            f"grep -qx \"watch_until: '{DRILL_WATCH_UNTIL}'\" {WEB_SETTINGS}"
        )

    def restore_web_settings(self) -> bool:
        """Put back the saved watchdog settings; False when there was nothing saved."""
        out = self.run(
            f"if test -e {SAVED_WEB_SETTINGS}; then mv {SAVED_WEB_SETTINGS} {WEB_SETTINGS} && "
            "echo restored; fi"
        )
        return out == "restored"

    def publish_generated(self, cut: datetime, name: str) -> str:
        """Generate a synthetic package for `cut` on the host and publish it at once (forced,
        drill); returns the archive's path."""
        out = f"{WORK}/{name}"
        archive = self.run(
            f"rm -rf {out} && {LIB} package generate --cut '{cut:%Y-%m-%d %H:%M}' "
            f"--out {out} --rows 40"
        ).splitlines()[-1]
        self.run(
            f"{LIB} package publish {archive} --root {SITE} --force --drill "
            "--settings /etc/difusor/package.yml"
        )
        return archive

    def notice_off(self) -> None:
        self.run(f"{LIB} notice off")
