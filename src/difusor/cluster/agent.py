"""The web node's side of the distribution: what the receiving node's key may do here.

The receiving node's key on a web node is restricted (authorized_keys `restrict,from=...,
command=...`) to this agent, which reads the requested command from SSH_ORIGINAL_COMMAND and
accepts only:
- `status`: the live cut and the complete releases (cut -> package SHA-256), as JSON;
- `stage <cut> <sha256>`: a release stream (`stream`) on standard input, unpacked under a dot-name
  in the releases directory, checked, synced and installed as a staged release (never live);
- `switch <cut>`: make a staged (or older) complete release the live cut, then prune.
So the key writes only into the releases directory, and switches only to what it staged. Every
answer is one JSON line on standard output; a refusal exits 2 with the reason.
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
from pathlib import Path
from typing import IO, Any

from difusor.cluster.stream import Limits, StreamRejected, read_release
from difusor.errors import DifusorError
from difusor.package import journal
from difusor.package.fsutil import fsync_tree, remove_tree, write_atomic
from difusor.package.layout import CUT_ID_RE, Settings
from difusor.package.releases import (
    INCOMING_PREFIX,
    clean_leftovers,
    install,
    list_releases,
    live_cut_id,
    locked,
    point_current,
    prune,
    read_marker,
    releases_dir,
    set_state,
)

DIGEST_RE = re.compile(r"[0-9a-f]{64}")
# ROOT/expected.json: the cut the receiving node last sent (and when), written before the stream
# is read: what this node's watchdog measures its lag by, whatever becomes of the stage.
EXPECTED = "expected.json"


class Refused(DifusorError):
    """A command this agent does not run (what and why in the message)."""


def status(root: Path) -> dict[str, Any]:
    releases = {
        release.cut_id: (read_marker(root, release.cut_id) or {}).get("sha256")
        for release in list_releases(root)
    }
    return {"live": live_cut_id(root), "releases": releases}


def stage(root: Path, cut: str, digest: str, source: IO[bytes], settings: Settings) -> dict:
    limits = Limits(
        max_files=settings.max_files * 3,  # with the .gz and .br copies
        max_total_bytes=settings.max_total_bytes * 3,
        max_depth=settings.max_depth + 1,
        max_path_bytes=settings.max_path_bytes + 8,
    )
    releases_dir(root).mkdir(parents=True, exist_ok=True)
    with locked(root):
        expected = {"cut": cut, "time": journal.utc_now()}
        write_atomic(root / EXPECTED, json.dumps(expected).encode() + b"\n")
        clean_leftovers(root)
        staging = Path(tempfile.mkdtemp(prefix=INCOMING_PREFIX, dir=releases_dir(root)))
        try:
            marker = read_release(source, staging, digest, limits)
            if marker.get("cut_id") != cut:
                raise StreamRejected(f"the stream holds cut {marker.get('cut_id')}, not {cut}")
            staging.chmod(0o755)
            fsync_tree(staging)
            fields = {key: value for key, value in marker.items() if key != "state"}
            install(root, staging, cut, go_live=False, marker={**fields, "stream": digest})
        finally:
            remove_tree(staging)
    return {"staged": cut, "live": live_cut_id(root)}


def switch(root: Path, cut: str, settings: Settings) -> dict:
    if not releases_dir(root).is_dir():
        raise Refused(f"cut {cut} is not a complete release here: stage it first")
    with locked(root):
        marker = read_marker(root, cut)
        if marker is None or not (releases_dir(root) / cut).is_dir():
            raise Refused(f"cut {cut} is not a complete release here: stage it first")
        previous = live_cut_id(root)
        if previous != cut:
            point_current(root, cut)
        set_state(root, cut, "published")
        pruned = prune(root, settings.keep_releases, protect={cut})
    journal.try_record(
        root,
        "published",
        archive=marker.get("archive"),
        cut=cut,
        sha256=marker.get("sha256"),
        previous=previous,
        cluster=True,
        pruned=pruned or None,
    )
    return {"live": cut, "previous": previous}


def run(command: str, root: Path, settings: Settings, source: IO[bytes]) -> dict:
    """Carry out one command line (SSH_ORIGINAL_COMMAND); Refused for anything else."""
    words = command.split()
    if words == ["status"]:
        return status(root)
    if len(words) == 3 and words[0] == "stage":
        return stage(root, _cut(words[1]), _digest(words[2]), source, settings)
    if len(words) == 2 and words[0] == "switch":
        return switch(root, _cut(words[1]), settings)
    raise Refused(
        f"not a command of the node agent: {command[:80]!r} (status, stage CUT SHA256, switch CUT)"
    )


def _cut(text: str) -> str:
    if not CUT_ID_RE.fullmatch(text):
        raise Refused(f"not a cut id (YYYYMMDD_HHMM): {text[:40]!r}")
    return text


def _digest(text: str) -> str:
    if not DIGEST_RE.fullmatch(text):
        raise Refused("not a SHA-256 (64 lowercase hex digits)")
    return text


def main(command: str, root: Path, settings: Settings) -> int:
    try:
        answer = run(command, root, settings, sys.stdin.buffer)
    except DifusorError as exc:
        print(json.dumps({"error": str(exc)}))
        return 2
    print(json.dumps(answer))
    return 0
