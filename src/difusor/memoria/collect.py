"""Run playbooks/collect.yml: fetch every host's access logs and event journal, read-only."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from difusor import tools
from difusor.errors import DifusorError
from difusor.inventory import ansible_env, ansible_program, find_checkout

PLAYBOOK = Path("playbooks") / "collect.yml"


def collect(inventory: Path, dest: Path, limit: str | None = None) -> Path:
    """Fetch into DEST/<host>/...; returns DEST. Ansible's output goes to the terminal.

    DEST is emptied first: a log fetched in an earlier run under another name (before its
    rotation) would otherwise be counted twice.
    """
    if not inventory.exists():
        raise DifusorError(f"inventory {inventory} not found")
    tools.require("ssh")  # Ansible reaches the hosts over SSH
    checkout = find_checkout()
    playbook = checkout / PLAYBOOK
    dest = dest.resolve()
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    command = [
        ansible_program("ansible-playbook"),
        "-i",
        str(inventory.resolve()),  # the playbook runs in the checkout
        str(playbook),
        "-e",
        f"collect_dest={dest}",
    ]
    if limit:
        command += ["--limit", limit]
    done = subprocess.run(command, cwd=checkout, env=ansible_env(checkout), check=False)
    if done.returncode != 0:
        raise DifusorError(
            f"collecting from {inventory} failed (ansible-playbook exit {done.returncode}); "
            f"fix the hosts that failed or give --limit, or build from what was fetched with "
            f"--from-dir {dest}"
        )
    return dest
