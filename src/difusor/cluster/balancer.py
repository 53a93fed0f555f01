"""The balancer's side: what the receiving node's key may change in HAProxy.

The key is restricted to this agent (authorized_keys `restrict,from=...,command=...`), which
speaks to HAProxy's runtime API (a UNIX socket, level admin) and accepts only:
- `status`: each web node's state in the backend, and the cluster's cut the health checks ask for;
- `cut <cut>`: the health checks from now on require that cut (or a later one) on every node
  (`/healthz?min=<cut>`, through the map file); the file is rewritten too, for a restart;
- `out <node>` / `in <node>`: take a web node out of the balancer (maintenance) or put it back
  (its health check still decides whether it gets traffic).
Node names are checked against the backend's servers.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from difusor.errors import DifusorError
from difusor.package.layout import CUT_ID_RE

SOCKET = Path("/run/haproxy/admin.sock")
CUT_MAP = Path("/etc/haproxy/difusor-cut.map")
BACKEND = "prep_web"
MAP_KEY = "live"  # the key the health check looks up: %[str(live),map(CUT_MAP,none)]
NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}")
# `show servers state` columns (HAProxy 2.4 to 2.8) and the admin state's maintenance bit.
_NAME, _OP_STATE, _ADMIN_STATE = 3, 5, 6
_MAINT = 0x01  # SRV_ADMF_FMAINT: maintenance forced from the CLI


class BalancerError(DifusorError):
    """HAProxy refused or could not be reached (what and why in the message)."""


@dataclass(frozen=True)
class Haproxy:
    socket: Path = SOCKET
    cut_map: Path = CUT_MAP
    backend: str = BACKEND

    def ask(self, command: str) -> str:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.settimeout(5)
            try:
                connection.connect(os.fspath(self.socket))
                connection.sendall(command.encode() + b"\n")
                chunks = []
                while chunk := connection.recv(65536):
                    chunks.append(chunk)
            except OSError as exc:
                raise BalancerError(f"HAProxy's runtime API {self.socket}: {exc}") from None
        return b"".join(chunks).decode("utf-8", "replace")

    def servers(self) -> dict[str, dict[str, Any]]:
        answer = self.ask(f"show servers state {self.backend}")
        found = {}
        for line in answer.splitlines():
            fields = line.split()
            if len(fields) <= _ADMIN_STATE or line.startswith("#") or not fields[0].isdigit():
                continue
            admin = int(fields[_ADMIN_STATE])
            found[fields[_NAME]] = {
                "up": fields[_OP_STATE] == "2",
                "maintenance": bool(admin & _MAINT),
            }
        if not found:
            raise BalancerError(f"backend {self.backend} has no servers: {answer.strip()[:200]}")
        return found

    def cut(self) -> str | None:
        for line in self.ask(f"show map {self.cut_map}").splitlines():
            fields = line.split()
            if len(fields) == 3 and fields[1] == MAP_KEY:
                return fields[2]
        return None

    def set_cut(self, cut: str) -> None:
        verb = "set" if self.cut() is not None else "add"
        self._expect_empty(self.ask(f"{verb} map {self.cut_map} {MAP_KEY} {cut}"))
        fd = os.open(self.cut_map, os.O_WRONLY)  # root's directory: rewritten in place
        with os.fdopen(fd, "w") as out:
            out.write(f"{MAP_KEY} {cut}\n")
            out.truncate()
            out.flush()
            os.fsync(out.fileno())

    def set_state(self, node: str, state: str) -> None:
        if node not in self.servers():
            raise BalancerError(f"{node} is not a server of backend {self.backend}")
        self._expect_empty(self.ask(f"set server {self.backend}/{node} state {state}"))

    @staticmethod
    def _expect_empty(answer: str) -> None:
        if answer.strip():
            raise BalancerError(f"HAProxy answered: {answer.strip()[:200]}")


def run(command: str, haproxy: Haproxy | None = None) -> dict[str, Any]:
    """Carry out one command line (SSH_ORIGINAL_COMMAND); DifusorError for anything else."""
    haproxy = haproxy or Haproxy()
    words = command.split()
    if words == ["status"]:
        return {"cut": haproxy.cut(), "servers": haproxy.servers()}
    if len(words) == 2 and words[0] == "cut" and CUT_ID_RE.fullmatch(words[1]):
        haproxy.set_cut(words[1])
        return {"cut": words[1]}
    if len(words) == 2 and words[0] in ("out", "in") and NAME_RE.fullmatch(words[1]):
        haproxy.set_state(words[1], "maint" if words[0] == "out" else "ready")
        return {"node": words[1], "state": words[0]}
    raise DifusorError(
        f"not a command of the balancer agent: {command[:80]!r} "
        "(status, cut CUT, out NODE, in NODE)"
    )


def main(command: str) -> int:
    try:
        answer = run(command)
    except DifusorError as exc:
        print(json.dumps({"error": str(exc)}))
        return 2
    with contextlib.suppress(BrokenPipeError):
        print(json.dumps(answer))
    return 0
