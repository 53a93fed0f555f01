"""Make sure a Docker engine answers: install and start one when there is none."""

from __future__ import annotations

import argparse
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from difusor.errors import DifusorError
from difusor.output import say
from difusor.system import ensure_commands, has_systemd, is_root, run

DOCKERD_LOG = Path("/var/log/difusor-dockerd.log")
START_TIMEOUT_S = 90


def engine_answers() -> bool:
    try:
        return (
            run(
                ["docker", "info", "--format", "{{.ServerVersion}}"], check=False, timeout=30
            ).returncode
            == 0
        )
    except DifusorError:
        return False


def ensure_engine(say: Callable[[str], None] = print) -> None:
    """Return when `docker info` answers; install docker.io and start dockerd when needed."""
    if engine_answers():
        return
    if not is_root():
        raise DifusorError(
            "no Docker engine answers. Install one (sudo apt-get install -y docker.io), start it "
            "(sudo systemctl enable --now docker) and add your user to the 'docker' group "
            "(sudo usermod -aG docker $USER, then log in again); or run this as root."
        )
    ensure_commands({"dockerd": "docker.io", "docker": "docker.io"}, "the Docker engine")
    if has_systemd():
        say("starting the Docker engine (systemctl enable --now docker)")
        run(["systemctl", "enable", "--now", "docker"], timeout=120)
    else:
        say(f"starting dockerd in the background (no systemd here); log: {DOCKERD_LOG}")
        with DOCKERD_LOG.open("ab") as log:
            subprocess.Popen(
                ["dockerd"],
                stdout=log,
                stderr=log,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if engine_answers():
            return
        time.sleep(1)
    raise DifusorError(
        f"the Docker engine did not answer within {START_TIMEOUT_S} s; see {DOCKERD_LOG} "
        "or `journalctl -u docker`"
    )


# --- CLI -------------------------------------------------------------------------------------


def cmd_engine(args: argparse.Namespace) -> int:
    ensure_engine(say)
    say("the Docker engine answers")
    return 0


def register(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """`difusor engine`."""
    parser = commands.add_parser("engine", help="make sure a Docker engine answers (start one)")
    parser.set_defaults(func=cmd_engine)
    return parser
