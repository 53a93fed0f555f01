"""Commands on the difusor host, over SSH with the inventory's key and options."""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Callable
from datetime import datetime
from functools import cached_property
from typing import Any

from difusor import hostfacts
from difusor.drill.inventory import DrillHost
from difusor.errors import DifusorError
from difusor.package import journal

DRILL_WATCH_UNTIL = "2099-12-31 23:59"
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
    if host.become:  # the operator logs in (PermitRootLogin no) and has root through sudo
        command = f"sudo -n sh -c {shlex.quote(command)}"
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

    @cached_property
    def facts(self) -> hostfacts.HostFacts:
        """The host's facts (paths, container), read once from the file the roles wrote."""
        try:
            shown = self.run(hostfacts.READ_COMMAND, timeout_s=30)
        except RemoteError as exc:
            raise DifusorError(f"{self.host.name}: cannot read the host's facts: {exc}") from None
        return hostfacts.from_command_output(0, shown, self.host.name)

    @property
    def lib(self) -> str:
        return f"PYTHONPATH={self.facts.lib_dir} python3 -m difusor.cli"

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
            self.run("true", timeout_s=30)
        except RemoteError as exc:
            raise DifusorError(
                f"{self.host.name} ({self.host.address}): cannot reach it over SSH as "
                f"{self.host.user}: {exc}. Is it up?"
            ) from None
        site, web = self.facts.site_root, self.facts.web_root
        try:
            self.run(f"test -d {site} && test -d {web}", timeout_s=30)
        except RemoteError:
            raise DifusorError(
                f"{self.host.name}: it has no {site} or {web} (its facts: "
                f"{self.facts.source or 'none, the defaults'}). Is it provisioned with "
                "playbooks/site.yml?"
            ) from None

    # --- facts ----------------------------------------------------------------------------

    def live_cut(self) -> str | None:
        target = self.run(f"readlink {self.facts.site_root}/current || true")
        return target.rsplit("/", 1)[-1] if target else None

    def notice_active(self) -> bool:
        return (
            self.run(f"test -e {self.facts.web_root}/notice/active && echo on || echo off") == "on"
        )

    def journal_length(self) -> int:
        return int(self.run(f"cat {self.facts.journal} 2>/dev/null | wc -l"))

    def journal_since(self, length: int) -> list[dict[str, Any]]:
        """The journal's events after its first `length` lines."""
        text = self.run(f"tail -n +{length + 1} {self.facts.journal} 2>/dev/null || true")
        return journal.parse_lines(text)

    def container_state(self) -> tuple[str, int, int]:
        """(status, restart count, main PID) of the web container."""
        text = self.run(
            f"docker inspect -f '{{{{.State.Status}}}} {{{{.RestartCount}}}} "
            f"{{{{.State.Pid}}}}' {self.facts.web_container}"
        )
        status, restarts, pid = text.split()
        return status, int(restarts), int(pid)

    # --- actions --------------------------------------------------------------------------

    def kill_container_main(self, pid: int) -> None:
        self.run(f"kill -9 {pid}")

    def start_container(self) -> None:
        self.run(f"docker start {self.facts.web_container}")

    def run_watchdog(self) -> str:
        self.run("systemctl start difusor-watchdog.service")
        return self.run(f"{self.lib} web status")

    def auto_notice_on(self) -> None:
        """Save the watchdog settings, then for the drill: auto_notice true, and the PREP open
        (watch_until far ahead; a drill runs outside the real night, when the watchdog would
        otherwise report `closed`). restore_web_settings undoes both."""
        settings, saved = self.facts.web_settings, self._saved_web_settings
        self.run(
            f"cp -p {settings} {saved} && "
            f"sed -i -e 's/^auto_notice: .*/auto_notice: true/' "
            f"-e \"s/^watch_until: .*/watch_until: '{DRILL_WATCH_UNTIL}'/\" {settings} && "
            f"grep -qx 'auto_notice: true' {settings} && "
            f"grep -qx \"watch_until: '{DRILL_WATCH_UNTIL}'\" {settings}"
        )

    @property
    def _saved_web_settings(self) -> str:
        return f"{self.facts.web_settings}.drill-saved"

    def restore_web_settings(self) -> bool:
        """Put back the saved watchdog settings; False when there was nothing saved."""
        settings, saved = self.facts.web_settings, self._saved_web_settings
        out = self.run(f"if test -e {saved}; then mv {saved} {settings} && echo restored; fi")
        return out == "restored"

    def publish_generated(self, cut: datetime, name: str) -> str:
        """Generate a synthetic package for `cut` on the host and publish it at once (forced,
        drill); returns the archive's path."""
        out = f"{WORK}/{name}"
        archive = self.run(
            f"rm -rf {out} && {self.lib} package generate --cut '{cut:%Y-%m-%d %H:%M}' "
            f"--out {out} --rows 40"
        ).splitlines()[-1]
        self.run(f"{self.lib} package publish {archive} --force --drill")
        return archive

    def notice_off(self) -> None:
        self.run(f"{self.lib} notice off")
