"""Bring every web node to the receiving node's live cut: two phases, journaled per node.

The receiving node verifies and publishes each package as a single server does (its `current`
is the cluster's cut). Then (`sync`, started by difusor-cluster.path when `current` switches,
and by a timer for nodes that come back):
1. every node that does not serve the live cut and lacks its release stages it (one stream per
   cut, sent to all nodes at once);
2. every node that failed to answer or to stage in time is taken out of the balancers, BEFORE
   any node switches: no reader gets the old cut from it after the switch;
3. every staged node switches; one that fails now (killed in the middle) is taken out at once;
4. the balancers' health checks learn the cut (`/healthz?min=<cut>`): a node behind is down;
5. a node taken out by an earlier pass that now serves the live cut is put back in (only those
   this module took out: a node an operator put in maintenance stays there).
A pass never empties the balancers: when no node could stage or switch (a loaded or cut-off
network), nobody is taken out, the balancers keep the previous cut, and the pass is journaled
`cluster_stalled`; every node goes on serving the previous cut, whole, until a later pass (the
timer) gets through. A site down is worse than a site one cut behind (V.ii.4).
Every step is journaled on the receiving node with the node's name (`node_*`, `cluster_*`).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import random
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Protocol

from difusor.cluster.settings import ClusterSettings, Peer
from difusor.cluster.stream import write_release
from difusor.errors import DifusorError
from difusor.package import journal
from difusor.package.fsutil import write_atomic
from difusor.package.releases import SWITCHED, live_cut_id, read_marker, releases_dir

STATE = "cluster.json"  # ROOT/cluster.json: the nodes this module took out, the balancers' cut
LOCK = ".cluster.lock"
MAX_ROUNDS = 5  # passes in a row while `current` keeps switching under us


class CallFailed(Exception):
    """A node or balancer did not do what it was asked (unreachable, refused, too slow)."""


class Transport(Protocol):
    def call(
        self, peer: Peer, user: str, command: str, timeout: float, stdin: IO[bytes] | None = None
    ) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Ssh:
    """Commands to the agents over SSH with the receiving node's restricted key."""

    settings: ClusterSettings

    def argv(self, peer: Peer, user: str, command: str) -> list[str]:
        s = self.settings
        options = {
            "BatchMode": "yes",
            "IdentitiesOnly": "yes",
            "StrictHostKeyChecking": "yes",
            "UserKnownHostsFile": os.fspath(s.known_hosts),
            "ConnectTimeout": str(s.connect_timeout_s),
            "ServerAliveInterval": "5",
            "ServerAliveCountMax": "2",
            "LogLevel": "ERROR",
        }
        argv = ["ssh", "-F", "/dev/null", "-i", os.fspath(s.key), "-l", user]
        for name, value in options.items():
            argv += ["-o", f"{name}={value}"]
        return [*argv, peer.address, command]

    def call(
        self, peer: Peer, user: str, command: str, timeout: float, stdin: IO[bytes] | None = None
    ) -> dict[str, Any]:
        """One command; a connection the node's sshd turned away before the key exchange (its
        PerSourceMaxStartups 1: another connection from this host, an audit's `cluster status`
        beside a pass, was still logging in) is tried again within the same timeout."""
        deadline, attempt = time.monotonic() + timeout, 0
        while True:
            attempt += 1
            if stdin is not None:  # the child reads the descriptor, from its start
                os.lseek(stdin.fileno(), 0, os.SEEK_SET)
            try:
                done = subprocess.run(
                    self.argv(peer, user, command),
                    stdin=stdin if stdin is not None else subprocess.DEVNULL,
                    capture_output=True,
                    timeout=max(deadline - time.monotonic(), 0.1),
                    check=False,
                )
            except subprocess.TimeoutExpired:
                raise CallFailed(f"no answer within {timeout:g} s") from None
            except OSError as exc:
                raise CallFailed(f"cannot run ssh: {exc}") from None
            pause = min(0.2 * attempt, 1.0) + random.uniform(0, 0.2)
            if not _turned_away(done) or time.monotonic() + pause >= deadline:
                return answer_of(done.returncode, done.stdout, done.stderr)
            time.sleep(pause)


def _turned_away(done: subprocess.CompletedProcess) -> bool:
    """ssh's error when the server closed or reset the connection before the key exchange (not
    once the command ran: a node killed in the middle is a failure, not a retry)."""
    return done.returncode == 255 and b"kex_exchange_identification" in done.stderr


def answer_of(returncode: int, stdout: bytes, stderr: bytes) -> dict[str, Any]:
    """The agent's JSON answer, or CallFailed with its error (or ssh's)."""
    lines = stdout.decode("utf-8", "replace").strip().splitlines()
    try:
        answer = json.loads(lines[-1]) if lines else None
    except ValueError:
        answer = None
    if isinstance(answer, dict) and returncode == 0 and "error" not in answer:
        return answer
    if isinstance(answer, dict) and "error" in answer:
        raise CallFailed(str(answer["error"])[:300])
    detail = stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [f"exit {returncode}"]
    raise CallFailed(detail[0][:300])


@dataclass
class Pass:
    """What one pass did (for the command's output and the tests)."""

    cut: str | None
    staged: list[str] = field(default_factory=list)
    switched: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    taken_out: list[str] = field(default_factory=list)
    put_back: list[str] = field(default_factory=list)
    live_everywhere: bool = False
    stalled: bool = False


def _parallel(peers: Iterable[Peer], action: Callable[[Peer], Any]) -> dict[str, Any]:
    """action(peer) for every peer at once: name -> result, or the CallFailed it raised."""
    peers = list(peers)
    if not peers:
        return {}

    def guarded(peer: Peer) -> Any:
        try:
            return action(peer)
        except CallFailed as exc:
            return exc

    with ThreadPoolExecutor(max_workers=len(peers)) as pool:
        return {
            peer.name: result for peer, result in zip(peers, pool.map(guarded, peers), strict=True)
        }


def _read_state(root: Path) -> dict[str, Any]:
    try:
        data = json.loads((root / STATE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"out": [], "balancer_cut": None}
    return data if isinstance(data, dict) else {"out": [], "balancer_cut": None}


def _write_state(root: Path, state: dict[str, Any]) -> None:
    write_atomic(root / STATE, json.dumps(state, sort_keys=True).encode() + b"\n", mode=0o640)


def _switched_at(root: Path) -> float | None:
    """When the receiving node switched to its live cut (epoch seconds), from switched.json."""
    try:
        record = json.loads((root / SWITCHED).read_text(encoding="utf-8"))
        return datetime.fromisoformat(record["time"].replace("Z", "+00:00")).timestamp()
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


class Distributor:
    def __init__(self, root: Path, settings: ClusterSettings, transport: Transport) -> None:
        self.root = Path(root)
        self.settings = settings
        self.transport = transport

    # --- the balancers ---------------------------------------------------------------------

    def _balancers(self, command: str) -> list[str]:
        """Send a command to every balancer; the names of those that failed (journaled)."""
        outcome = _parallel(
            self.settings.balancers,
            lambda peer: self.transport.call(
                peer, self.settings.balancer_user, command, self.settings.switch_timeout_s
            ),
        )
        failed = []
        for name, result in outcome.items():
            if isinstance(result, CallFailed):
                failed.append(name)
                journal.try_record(
                    self.root, "node_failed", node=name, step=command, reason=str(result)
                )
        return failed

    def statuses(self) -> dict[str, Any]:
        """Every web node's `status` answer, or the CallFailed of one that did not answer."""
        s = self.settings
        return _parallel(
            s.nodes,
            lambda peer: self.transport.call(peer, s.node_user, "status", s.switch_timeout_s),
        )

    # --- one pass --------------------------------------------------------------------------

    def run_pass(self) -> Pass:
        root, s = self.root, self.settings
        cut = live_cut_id(root)
        done = Pass(cut)
        if cut is None:
            return done
        marker = read_marker(root, cut) or {}
        state = _read_state(root)
        out = set(state.get("out") or [])
        statuses = self.statuses()
        behind: list[Peer] = []
        serving: list[str] = []  # nodes that already serve the live cut
        for peer in s.nodes:
            status = statuses[peer.name]
            if isinstance(status, CallFailed):
                done.failed[peer.name] = f"status: {status}"
            elif status.get("live") != cut:
                behind.append(peer)
            else:
                serving.append(peer.name)
        needs_stage = [
            peer
            for peer in behind
            if (statuses[peer.name].get("releases") or {}).get(cut) != marker.get("sha256")
            or marker.get("sha256") is None
        ]
        if needs_stage:
            self._stage(cut, marker, needs_stage, done)
        for name, reason in done.failed.items():
            if name not in out:
                journal.try_record(root, "node_failed", node=name, cut=cut, reason=reason)
        ready = [peer for peer in behind if peer.name not in done.failed]
        if not ready and not serving:
            return self._stall(done, state, out)
        # Phase 2 only once every node that is not ready is out of the balancers.
        self._take_out([peer for peer in s.nodes if peer.name in done.failed], out, done, cut)
        started = time.monotonic()
        switched = _parallel(
            ready,
            lambda peer: self.transport.call(
                peer, s.node_user, f"switch {cut}", s.switch_timeout_s
            ),
        )
        not_switched = []
        for peer in ready:
            result = switched[peer.name]
            if isinstance(result, CallFailed):
                done.failed[peer.name] = f"switch: {result}"
                not_switched.append(peer)
                journal.try_record(
                    root, "node_failed", node=peer.name, cut=cut, step="switch", reason=str(result)
                )
            else:
                done.switched.append(peer.name)
                journal.try_record(
                    root,
                    "node_switched",
                    node=peer.name,
                    cut=cut,
                    seconds=round(time.monotonic() - started, 3),
                )
        if not done.switched and not serving:
            return self._stall(done, state, out)
        self._take_out(not_switched, out, done, cut)
        if s.balancers and state.get("balancer_cut") != cut and not self._balancers(f"cut {cut}"):
            state["balancer_cut"] = cut
        for name in sorted(out - set(done.failed)):
            self._put_back(name, out, done, cut)
        state["out"] = sorted(out)
        _write_state(root, state)
        done.live_everywhere = not done.failed
        if done.live_everywhere and (done.switched or done.put_back):
            since = _switched_at(root)
            journal.try_record(
                root,
                "cluster_live",
                cut=cut,
                nodes=len(s.nodes),
                seconds=None if since is None else round(time.time() - since, 3),
            )
        return done

    def _stall(self, done: Pass, state: dict[str, Any], out: set[str]) -> Pass:
        """No node serves the live cut: the cluster stays on the previous one, whole (nodes this
        pass took out go back in, the balancers' cut is not moved)."""
        for name in list(done.taken_out):
            self._put_back(name, out, done, done.cut)
        state["out"] = sorted(out)
        _write_state(self.root, state)
        done.stalled = True
        journal.try_record(
            self.root,
            "cluster_stalled",
            cut=done.cut,
            kept=state.get("balancer_cut"),
            failed=done.failed,
        )
        return done

    def _put_back(self, name: str, out: set[str], done: Pass, cut: str | None) -> None:
        if not self._balancers(f"in {name}"):
            out.discard(name)
            done.put_back.append(name)
            journal.try_record(self.root, "node_in", node=name, cut=cut)

    def _stage(self, cut: str, marker: dict[str, Any], peers: list[Peer], done: Pass) -> None:
        s = self.settings
        with tempfile.TemporaryFile() as stream:
            digest = write_release(releases_dir(self.root) / cut, {**marker, "cut_id": cut}, stream)
            size = stream.tell()

            def send(peer: Peer) -> dict[str, Any]:
                # each sender reads the stream through its own descriptor (its own offset)
                with open(f"/proc/self/fd/{stream.fileno()}", "rb") as source:
                    began = time.monotonic()
                    answer = self.transport.call(
                        peer, s.node_user, f"stage {cut} {digest}", s.stage_timeout_s, source
                    )
                    return {**answer, "seconds": round(time.monotonic() - began, 3)}

            results = _parallel(peers, send)
        for peer in peers:
            self._staged(peer, cut, results[peer.name], size, done)

    def _staged(self, peer: Peer, cut: str, result: Any, size: int, done: Pass) -> None:
        if isinstance(result, CallFailed):
            done.failed[peer.name] = f"stage: {result}"
            return
        done.staged.append(peer.name)
        journal.try_record(
            self.root,
            "node_staged",
            node=peer.name,
            cut=cut,
            bytes=size,
            seconds=result.get("seconds"),
        )

    def _take_out(self, peers: list[Peer], out: set[str], done: Pass, cut: str) -> None:
        for peer in peers:
            if peer.name in out:
                continue
            if not self._balancers(f"out {peer.name}") or not self.settings.balancers:
                out.add(peer.name)
                done.taken_out.append(peer.name)
                journal.try_record(self.root, "node_out", node=peer.name, cut=cut)

    def sync(self) -> list[Pass]:
        """Passes until the live cut holds still (at most MAX_ROUNDS), one sync at a time."""
        passes = []
        fd = os.open(self.root / LOCK, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o640)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            for _ in range(MAX_ROUNDS):
                passes.append(self.run_pass())
                if live_cut_id(self.root) == passes[-1].cut:
                    break
        finally:
            with contextlib.suppress(OSError):
                os.close(fd)
        return passes


def require_settings(settings: ClusterSettings) -> None:
    for path in (settings.key, settings.known_hosts):
        if not path.is_file():
            raise DifusorError(
                f"{path} does not exist: provision this receiving node (prep_cluster)"
            )
