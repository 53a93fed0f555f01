"""Reading a collected directory, the data of each host that collect.py (playbooks/collect.yml)
fetched or that the operator gives with --from-dir:

DIR/<host>/journal.jsonl        the publisher's event journal (difusor_site_root)
DIR/<host>/web/access.log*      the web container's access logs, rotated ones included
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from difusor.errors import DifusorError
from difusor.package.journal import JOURNAL_NAME, read_journal

LOG_DIR = "web"
LOG_GLOB = "access.log*"


@dataclass(frozen=True)
class HostData:
    name: str
    root: Path
    logs: tuple[Path, ...]
    has_journal: bool

    def events(self) -> list[dict[str, Any]]:
        return read_journal(self.root)


def find_hosts(directory: Path) -> list[HostData]:
    """The hosts in a collected directory (a sub-directory each), by name."""
    if not directory.is_dir():
        raise DifusorError(
            f"{directory} is not a directory of collected data: run playbooks/collect.yml or give "
            "-i INVENTORY"
        )
    hosts = []
    for root in sorted(path for path in directory.iterdir() if path.is_dir()):
        logs = tuple(sorted((root / LOG_DIR).glob(LOG_GLOB)))
        has_journal = (root / JOURNAL_NAME).is_file()
        if logs or has_journal:
            hosts.append(HostData(root.name, root, logs, has_journal))
    if not hosts:
        raise DifusorError(
            f"no host data in {directory}: expected {directory}/<host>/{JOURNAL_NAME} or "
            f"{directory}/<host>/{LOG_DIR}/{LOG_GLOB}"
        )
    return hosts
