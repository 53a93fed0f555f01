"""Run playbooks/collect.yml: fetch every host's access logs and event journal, read-only."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from difusor import tools
from difusor.errors import DifusorError

PLAYBOOK = Path("playbooks") / "collect.yml"


def find_playbook(start: Path | None = None) -> Path:
    """playbooks/collect.yml of the checkout this package runs from, or of the working dir."""
    here = Path(__file__).resolve()
    for base in [*(here.parents[i] for i in range(2, 4)), start or Path.cwd()]:
        if (base / PLAYBOOK).is_file():
            return base / PLAYBOOK
    raise DifusorError(f"cannot find {PLAYBOOK}: run from the difusor checkout")


def ansible_playbook() -> str:
    beside = Path(sys.executable).parent / "ansible-playbook"
    found = str(beside) if beside.exists() else shutil.which("ansible-playbook")
    if not found:
        raise DifusorError("ansible-playbook not found: install the pinned tools (make setup)")
    return found


def collect(inventory: Path, dest: Path, limit: str | None = None) -> Path:
    """Fetch into DEST/<host>/...; returns DEST. Ansible's output goes to the terminal.

    DEST is emptied first: a log fetched in an earlier run under another name (before its
    rotation) would otherwise be counted twice.
    """
    if not inventory.exists():
        raise DifusorError(f"inventory {inventory} not found")
    tools.require("ssh")  # Ansible reaches the hosts over SSH
    playbook = find_playbook()
    dest = dest.resolve()
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    command = [
        ansible_playbook(),
        "-i",
        str(inventory),
        str(playbook),
        "-e",
        f"collect_dest={dest}",
    ]
    if limit:
        command += ["--limit", limit]
    env = {**os.environ, "ANSIBLE_CONFIG": str(playbook.parent.parent / "ansible.cfg")}
    done = subprocess.run(command, cwd=playbook.parent.parent, env=env, check=False)
    if done.returncode != 0:
        raise DifusorError(
            f"collecting from {inventory} failed (ansible-playbook exit {done.returncode}); "
            f"fix the hosts that failed or give --limit, or build from what was fetched with "
            f"--from-dir {dest}"
        )
    return dest
