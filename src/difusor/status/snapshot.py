"""One host's snapshot, fetched over SSH: the host runs `difusor metrics show --format json`
(its library, from the facts' lib_dir), the controller only renders. The SSH connection is the
drill's (`drill.remote.Remote`: the inventory's user, key, port and options)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from difusor import hostfacts
from difusor.drill.remote import Remote, RemoteError
from difusor.errors import DifusorError

SNAPSHOT_TIMEOUT_S = 30


@dataclass(frozen=True)
class HostSnapshot:
    name: str
    address: str
    fetched: float  # when (Unix time, controller's clock)
    data: dict[str, Any] | None  # what `metrics show` printed
    error: str | None = None


def command(remote: Remote) -> str:
    return f"{remote.lib} metrics show --format json --facts {hostfacts.FACTS_PATH}"


def fetch(remote: Remote, clock: Callable[[], float] = time.time) -> HostSnapshot:
    """The host's snapshot, or the reason there is none (never raises)."""
    host = remote.host
    try:
        text = remote.run(command(remote), timeout_s=SNAPSHOT_TIMEOUT_S)
        data = json.loads(text.splitlines()[-1] if text else "")
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
    except (RemoteError, DifusorError) as exc:
        return HostSnapshot(host.name, host.address, clock(), None, str(exc))
    except ValueError as exc:
        return HostSnapshot(host.name, host.address, clock(), None, f"no snapshot: {exc}")
    return HostSnapshot(host.name, host.address, clock(), data)


def fetch_all(remotes: Iterable[Remote], clock: Callable[[], float] = time.time):
    """Every host's snapshot, fetched in parallel, in the inventory's order."""
    remotes = list(remotes)
    with ThreadPoolExecutor(max_workers=max(1, min(8, len(remotes)))) as pool:
        return list(pool.map(lambda remote: fetch(remote, clock), remotes))
