"""Ingesting arrivals: publish every complete package that a transfer left in the incoming
directory, oldest cut first, and keep what arrived (accepted or rejected) as evidence.

A package is complete when the archive and its sidecar are both there; rsync writes each file
under a temporary dot-name and renames it into place, so names starting with "." are transfers
still running. While something is still arriving, a pass waits for it (up to `settle_s`), so that
a watcher that fired on the archive also publishes the sidecar's arrival a moment later; what is
still incomplete then waits for the next pass.

One bad arrival costs that arrival only:
- a pass holds the lock of ROOT from listing to filing, so two passes (the service and a manual
  run) never work on the same arrival;
- names are handled as the bytes they are (a name that is not UTF-8, too long to get a sidecar,
  or not an archive name at all is filed as rejected without being opened); whatever is
  printed or journaled is escaped and capped;
- nothing the pusher controls is followed or trusted beyond the bytes of regular files (see
  `arrival`): a link, FIFO or directory is filed as `not-a-file`;
- any exception while handling one arrival is contained: logged with its traceback on
  standard error (the journal of the unit), journaled as rejected with rule `internal-error`,
  the arrival filed, and the pass goes on with the next one;
- a transient failure of the machine (disk full) leaves the arrival for the next pass;
- at filing, the names are checked to still hold the very files that were verified (inode,
  size, times): a file rewritten meanwhile stays in incoming and is verified as a new arrival;
- evidence never overwrites evidence: a second arrival of the same name is filed as NAME.1, ...
- each pass starts by promoting a staged cut once the publication window is open.

`check` is a dry pass: what a pass would do now, with nothing written, moved or journaled (role
prep_publisher runs it with the host's own python3 to prove that the publisher can run there).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import shutil
import stat
import sys
import time
import traceback
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from difusor.errors import DifusorError
from difusor.package import arrival, journal
from difusor.package.errors import PackageRejected, PublishFailed, one_line, shown
from difusor.package.fsutil import fsync_dir, is_transient, remove_tree, write_atomic
from difusor.package.layout import Settings, parse_archive_name, sidecar_path
from difusor.package.publish import promote, publish_locked, window_open
from difusor.package.releases import locked, releases_dir
from difusor.package.verify import MAX_SIDECAR_BYTES, verify

RECEIVED = "received"
# How long a pass waits for transfers still arriving (`difusor package ingest --settle`, the
# value the unit runs with). The audit's arrival threshold adds one safety pass to it
# (compliance catalog, I.H: arrival_settle_s).
SETTLE_S = 30.0
NAME_MAX = 255
MAX_COPY_BYTES = 2 * 1024**3  # evidence copied to another file system (a sparse giant is not)
TRACEBACK_FRAMES = 12  # the innermost frames of an internal error that are logged


@dataclass(frozen=True)
class Outcome:
    archive: str  # the name as it may be shown (escaped, capped)
    # published, staged, unchanged, rejected, or waiting (a file still being written) and
    # deferred (the machine failed: disk full); a check: would-publish, would-stage, would-reject
    event: str
    detail: str


@dataclass(frozen=True)
class Survey:
    complete: list[str]  # archive names whose sidecar is there too, in name order
    # (name, rule, detail): can never become an arrival; an archive's sidecar goes with it
    hopeless: list[tuple[str, str, str]]
    waiting: bool  # transfers running, or a partner still missing


def survey(incoming: Path, settings: Settings) -> Survey:
    """What the incoming directory holds, from one listing, without opening anything."""
    suffix = settings.sidecar_suffix
    with os.scandir(incoming) as found:
        listing = list(found)
    entries = {entry.name: entry for entry in listing if not entry.name.startswith(".")}
    waiting = len(entries) != len(listing)
    complete, hopeless = [], []
    for name, entry in sorted(entries.items()):
        is_sidecar = name.endswith(suffix)
        base = name[: -len(suffix)] if is_sidecar else name
        if not entry.is_file(follow_symlinks=False) and not is_sidecar:
            kind = "directory" if entry.is_dir(follow_symlinks=False) else "link or special file"
            hopeless.append((name, "not-a-file", f"a {kind}, not a regular file"))
            continue
        try:
            parse_archive_name(base, settings)
        except ValueError as exc:
            if not (is_sidecar and base in entries):  # filed with its archive
                hopeless.append((name, "bad-name", str(exc)))
            continue
        if len(os.fsencode(base + suffix)) > NAME_MAX:
            hopeless.append((name, "bad-name", f"too long to have a {suffix} sidecar"))
            continue
        if is_sidecar:
            if base not in entries:
                waiting = True
            continue
        if base + suffix in entries:
            complete.append(name)
        else:
            waiting = True
    return Survey(complete, hopeless, waiting)


def complete_arrivals(incoming: Path, settings: Settings) -> list[Path]:
    """Archives whose sidecar has arrived too, in name order (the name starts with the cut)."""
    return [Path(incoming) / name for name in survey(Path(incoming), settings).complete]


def still_arriving(incoming: Path, settings: Settings) -> bool:
    """Transfers in progress, or an archive or sidecar whose partner has not come yet."""
    return survey(Path(incoming), settings).waiting


def ingest(
    incoming: Path,
    root: Path,
    *,
    drill: bool = False,
    settings: Settings | None = None,
    now: datetime | None = None,
    settle_s: float = 0.0,
    poll_s: float = 0.2,
) -> list[Outcome]:
    """Publish (or stage, or reject) each complete arrival and move it to ROOT/received/; while
    something is still arriving, keep going for up to `settle_s` seconds. An arrival is handled
    once per call unless it changes: one that stays where it was, unchanged (it could not be
    filed), waits for the next pass instead of being journaled again and again until the
    deadline."""
    settings = settings or Settings()
    deadline = time.monotonic() + settle_s
    outcomes: list[Outcome] = []
    handled: dict[str, tuple | None] = {}
    while True:
        outcomes += _ingest_pass(incoming, root, drill, settings, now, handled)
        if time.monotonic() >= deadline:
            return outcomes
        found = survey(Path(incoming), settings)
        names = [*found.complete, *(item[0] for item in found.hopeless)]
        if any(not _already(Path(incoming), name, handled) for name in names):
            continue  # completed (or changed) during the pass
        if not found.waiting:
            return outcomes
        time.sleep(poll_s)


def _ingest_pass(
    incoming: Path,
    root: Path,
    drill: bool,
    settings: Settings,
    now: datetime | None,
    handled: dict[str, tuple | None],
) -> list[Outcome]:
    """One pass over what is complete and not `handled` as it is now (which it records)."""
    incoming, root = Path(os.path.abspath(incoming)), Path(root)
    releases_dir(root).mkdir(parents=True, exist_ok=True)
    outcomes = []
    with locked(root):
        try:
            promoted = promote(root, settings, drill=drill, now=now)
        except Exception as exc:  # a pass goes on whatever the promotion did
            _log_internal("promoting a staged cut", exc)
            promoted = None
        if promoted is not None:
            outcomes.append(Outcome(promoted.cut_id, "published", f"{promoted.path} (promoted)"))
        try:
            _finish_filing(root)  # a filing that a kill interrupted
        except Exception as exc:
            _log_internal("finishing an interrupted filing", exc)
        found = survey(incoming, settings)  # under the lock: what another pass left
        for name, rule, detail in found.hopeless:
            if _already(incoming, name, handled):
                continue
            handled[name] = _signature(incoming / name)
            outcomes.append(
                _contained(
                    name,
                    lambda n=name, r=rule, d=detail: _hopeless(incoming, root, n, r, d, settings),
                )
            )
        for name in found.complete:
            if _already(incoming, name, handled):
                continue
            handled[name] = _signature(incoming / name)
            outcomes.append(
                _contained(
                    name,
                    lambda n=name: _one(incoming, root, n, drill, settings, now),
                    incoming,
                    root,
                    settings,
                )
            )
    return outcomes


def _signature(path: Path) -> tuple | None:
    """What tells one arrival under a name from the next: inode, size, modification time."""
    try:
        info = path.lstat()
    except OSError:
        return None
    return (info.st_ino, info.st_size, info.st_mtime_ns)


def _already(incoming: Path, name: str, handled: dict[str, tuple | None]) -> bool:
    return name in handled and handled[name] == _signature(incoming / name)


def _contained(
    name: str,
    work,
    incoming: Path | None = None,
    root: Path | None = None,
    settings: Settings | None = None,
) -> Outcome:
    """Run the work on one arrival; any exception is logged, journaled and filed."""
    try:
        return work()
    except Exception as exc:
        label = shown(name)
        _log_internal(f"ingesting {label}", exc)
        reason = one_line(f"{label}: internal error: {type(exc).__name__}: {exc}", 1000)
        if root is not None:
            journal.try_record(
                root,
                "rejected",
                archive=None if incoming is None else incoming / name,
                rule="internal-error",
                reason=reason,
            )
            if incoming is not None and settings is not None:
                try:
                    _file_pair(
                        root, "rejected", [incoming / name, sidecar_path(incoming / name, settings)]
                    )
                except Exception as filing:
                    _log_internal(f"filing {label}", filing)
        return Outcome(label, "rejected", reason)


def _log_internal(what: str, exc: BaseException) -> None:
    """An internal error on standard error (the unit's journal): one escaped line per line."""
    frames = traceback.extract_tb(exc.__traceback__)
    lines = [f"internal error while {what}: {type(exc).__name__}: {exc}"]
    if len(frames) > TRACEBACK_FRAMES:
        lines.append(f"  ({len(frames) - TRACEBACK_FRAMES} outer frames left out)")
        frames = frames[-TRACEBACK_FRAMES:]
    for frame in traceback.format_list(frames):
        lines.extend(frame.rstrip("\n").split("\n"))
    with contextlib.suppress(Exception):
        for line in lines:
            print(f"difusor: {one_line(line, 1000)}", file=sys.stderr, flush=True)


def _hopeless(
    incoming: Path, root: Path, name: str, rule: str, detail: str, settings: Settings
) -> Outcome:
    """An entry that can never become a valid arrival (with its sidecar, if it is an archive
    that has one): journaled and filed as rejected, without being opened."""
    path = incoming / name
    exc = PackageRejected(rule, name, detail)
    journal.record(root, "arrival", archive=path, size=_lsize(path))
    journal.record(root, "rejected", archive=path, rule=rule, reason=str(exc))
    paths = [path]
    if not name.endswith(settings.sidecar_suffix):
        with contextlib.suppress(OSError):  # a name too long to have one: ENAMETOOLONG
            if os.path.lexists(sidecar_path(path, settings)):
                paths.append(sidecar_path(path, settings))
    _file_pair(root, "rejected", paths)
    return Outcome(exc.file, "rejected", str(exc))


def _lsize(path: Path) -> int | None:
    try:
        return os.lstat(path).st_size
    except OSError:
        return None


def _one(
    incoming: Path, root: Path, name: str, drill: bool, settings: Settings, now: datetime | None
) -> Outcome:
    """Take, verify, publish and file one complete arrival."""
    archive = incoming / name
    sidecar = sidecar_path(archive, settings)
    label = shown(name)
    try:
        sidecar_bytes, sidecar_id = arrival.read_small(
            sidecar, MAX_SIDECAR_BYTES, "sidecar-invalid"
        )
        snapshot = arrival.take(archive, settings.max_archive_bytes, spool=root)
    except arrival.StillWriting as exc:
        return Outcome(label, "waiting", str(exc))
    except PackageRejected as exc:
        if exc.rule == "unreadable" and exc.detail == "no such file":  # gone since the listing
            return Outcome(label, "waiting", str(exc))
        journal.record(root, "arrival", archive=archive, size=_lsize(archive))
        journal.record(root, "rejected", archive=archive, rule=exc.rule, reason=str(exc))
        _file_pair(root, "rejected", [archive, sidecar])
        return Outcome(label, "rejected", str(exc))
    except OSError as exc:
        if not is_transient(exc):
            raise
        journal.try_record(
            root, "deferred", archive=archive, rule="io-error", reason=f"{label}: {exc}"
        )
        return Outcome(label, "deferred", f"{exc.strerror or exc}; waits for the next pass")
    with snapshot:
        try:
            result = publish_locked(
                archive,
                root,
                drill=drill,
                settings=settings,
                now=now,
                snapshot=snapshot,
                sidecar=sidecar_bytes,
            )
        except PublishFailed as exc:
            if exc.transient:
                return Outcome(label, "deferred", str(exc))
            verdict, detail = "rejected", str(exc)
        except DifusorError as exc:  # PackageRejected and the like: publish journaled why
            verdict, detail = "rejected", str(exc)
        else:
            verdict, detail = result.event, str(result.release)
        same = arrival.unchanged(archive, snapshot.source)
        sidecar_same = arrival.unchanged(sidecar, sidecar_id)
        if verdict == "rejected":
            if not (same and sidecar_same):  # rewritten while verified: a new arrival
                return Outcome(label, "waiting", f"{detail} (changed meanwhile: verified again)")
            _file_pair(root, "rejected", [archive, sidecar])
            return Outcome(label, verdict, detail)
        # What went live is the snapshot: where the name now holds another file, a copy of what
        # was verified is kept, and the new file stays to be verified as a new arrival.
        if not same:
            _file(root, "accepted", archive, copy_from=snapshot.file)
        if not sidecar_same:
            _file(root, "accepted", sidecar, data=sidecar_bytes)
        _file_pair(
            root,
            "accepted",
            [path for path, keep in ((archive, same), (sidecar, sidecar_same)) if keep],
        )
        return Outcome(label, verdict, detail)


INTENT = ".filing.json"


def _file_pair(root: Path, kind: str, paths: list[Path]) -> None:
    """File an archive and its sidecar together: the intent is recorded first (which names,
    which inodes), so that a kill between the two renames is finished by the next pass
    instead of leaving half a pair in incoming for ever."""
    entries = []
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            info = os.lstat(path)
            entries.append([os.fsencode(path).hex(), info.st_dev, info.st_ino])
    if not entries:
        return
    folder = Path(root) / RECEIVED
    folder.mkdir(parents=True, exist_ok=True)
    write_atomic(folder / INTENT, json.dumps({"kind": kind, "paths": entries}).encode())
    _finish_filing(root)


def _finish_filing(root: Path) -> None:
    """Carry out a recorded filing (the very files it names, where they still are)."""
    folder = Path(root) / RECEIVED
    intent = folder / INTENT
    if folder.is_dir():
        for leftover in folder.glob(f".{INTENT}.*.tmp"):  # an intent that was being written
            leftover.unlink()
    try:
        data = json.loads(intent.read_bytes())
    except FileNotFoundError:
        return
    except ValueError:
        data = {"kind": "rejected", "paths": []}
    for hex_path, device, inode in data.get("paths", []):
        path = Path(os.fsdecode(bytes.fromhex(hex_path)))
        with contextlib.suppress(FileNotFoundError):
            info = os.lstat(path)
            if (info.st_dev, info.st_ino) == (device, inode):
                _file(root, str(data.get("kind", "rejected")), path)
    intent.unlink()
    fsync_dir(folder)


def _evidence_name(folder: Path, name: str) -> Path:
    """A name in `folder` that holds nothing yet: NAME, else NAME.1, NAME.2, ..."""
    for index in range(100_000):
        candidate = name if index == 0 else f"{name}.{index}"
        if len(os.fsencode(candidate)) > NAME_MAX:
            digest = hashlib.sha256(os.fsencode(name)).hexdigest()[:32]
            candidate = f"{digest}.{index}"
        if not os.path.lexists(folder / candidate):
            return folder / candidate
    raise DifusorError(f"{folder}: no free name for {shown(name)}")


def _file(
    root: Path,
    kind: str,
    path: Path,
    *,
    copy_from=None,
    data: bytes | None = None,
) -> None:
    """Keep an arrival as evidence in ROOT/received/<kind>/, never over earlier evidence: the
    file itself (renamed), or a copy of what was verified (`copy_from`, `data`) when the name
    now holds another file, which then stays where it is."""
    folder = Path(root) / RECEIVED / kind
    folder.mkdir(parents=True, exist_ok=True)
    if copy_from is None and data is None and not os.path.lexists(path):
        return
    target = _evidence_name(folder, Path(path).name)
    if copy_from is not None or data is not None:
        _write_copy(target, copy_from, data)
    else:
        try:
            os.rename(path, target)
        except OSError as exc:
            if exc.errno != errno.EXDEV:
                raise
            _move_across(path, target)
    fsync_dir(folder)


def _write_copy(target: Path, source=None, data: bytes | None = None) -> None:
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o640)
    with os.fdopen(fd, "wb") as out:
        if source is not None:
            source.seek(0)
            shutil.copyfileobj(source, out)
        if data is not None:
            out.write(data)
        out.flush()
        os.fsync(out.fileno())


def _move_across(path: Path, target: Path) -> None:
    """Another file system: copy a regular file (without following a link), then unlink."""
    info = os.lstat(path)
    if stat.S_ISREG(info.st_mode) and info.st_size <= MAX_COPY_BYTES:
        fd = os.open(path, arrival.OPEN_FLAGS)
        with os.fdopen(fd, "rb") as source:
            _write_copy(target, source)
    if stat.S_ISDIR(info.st_mode):
        remove_tree(path)
    else:
        os.unlink(path)


def check(
    incoming: Path,
    root: Path,
    *,
    drill: bool = False,
    settings: Settings | None = None,
    now: datetime | None = None,
) -> list[Outcome]:
    """What a pass would do now, touching nothing: each complete arrival is verified in place
    (read only, nothing extracted) and reported as would-publish, would-stage or would-reject;
    nothing is journaled, moved or switched. Raises DifusorError when a directory is missing.
    (A cut not newer than the live one is refused only by a real pass: publish() decides.)"""
    settings = settings or Settings()
    if not Path(incoming).is_dir():
        raise DifusorError(f"{incoming}: the incoming directory does not exist")
    if not Path(root).is_dir():
        raise DifusorError(f"{root}: the site root does not exist")
    live = drill or window_open(settings, now)
    outcomes = []
    for archive in complete_arrivals(Path(incoming), settings):
        try:
            verified = verify(archive, settings)
        except PackageRejected as exc:
            outcomes.append(Outcome(shown(archive.name), "would-reject", str(exc)))
            continue
        event = "would-publish" if live else "would-stage"
        outcomes.append(Outcome(shown(archive.name), event, f"cut {verified.cut_id}"))
    return outcomes
