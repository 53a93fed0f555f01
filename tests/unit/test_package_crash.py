"""Issue 13, finding 7: the publisher killed before every file-system change.

A forked child runs the publisher with the os-level mutations (rename, replace, unlink, rmdir,
mkdir, symlink, chmod, write, open for writing, renameat2) counted, and exits at once (os._exit,
as a SIGKILL would leave it: nothing flushed, nothing cleaned) before the Nth one; N runs from 1
until the child completes. After each kill:
- `current` names a whole tree of one cut (every file of that cut's archive, byte for byte),
- every release that `list_releases` (so `rollback`) offers is whole,
- the next normal run recovers: the arrival goes live (or the forced cut stays whole), nothing is
  rejected, the arrival is filed once, no staging, swap or trash tree is left, and rollback offers
  a whole release.
"""

import dataclasses
import gzip
import hashlib
import importlib
import os
import shutil
import tempfile
import traceback
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from package_kit import AFTER_WINDOW, CUT, SETTINGS, make_zip

from difusor.package import ingest, list_releases, live_cut_id, publish, read_journal, rollback
from difusor.package.generate import generate
from difusor.package.layout import archive_name, sha256_line

fsutil = importlib.import_module("difusor.package.fsutil")
releases = importlib.import_module("difusor.package.releases")
KILLED = 77
FAILURES = Path(tempfile.gettempdir()) / f"difusor-crash-test-{os.getpid()}.log"
MUTATIONS = ("rename", "replace", "unlink", "remove", "rmdir", "mkdir", "symlink", "link")
MUTATIONS += ("chmod", "fchmod", "truncate", "ftruncate", "write")
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
SETTINGS_2 = dataclasses.replace(SETTINGS, keep_releases=2)
CUTS = [CUT + timedelta(minutes=15 * index) for index in range(4)]  # 20:15 ... 21:00
NOW = AFTER_WINDOW + timedelta(minutes=5)
ALIASES = {"re-issued": CUTS[2].strftime("%Y%m%d_%H%M")}  # the forced package's cut


def contents(archive: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(archive) as handle:
        return {name: handle.read(name) for name in handle.namelist() if not name.endswith("/")}


def whole_as(tree: Path, expected: dict[str, dict[str, bytes]]) -> str | None:
    """The cut whose archive `tree` holds completely (its .gz copies matching), or None."""
    for cut, files in expected.items():
        if all(
            (tree / name).is_file() and (tree / name).read_bytes() == data
            for name, data in files.items()
        ):
            for packed in tree.rglob("*.gz"):
                assert gzip.decompress(packed.read_bytes()) == packed.with_suffix("").read_bytes()
            return cut
    return None


def run_killed_at(point: int, work) -> int:
    """Run `work()` in a forked child killed before its `point`th mutation; its exit status."""
    pid = os.fork()
    if pid == 0:  # the child: never returns
        code = 1
        try:
            count = [0]

            def guard(real):
                def wrapper(*args, **kwargs):
                    count[0] += 1
                    if count[0] == point:
                        os._exit(KILLED)
                    return real(*args, **kwargs)

                return wrapper

            for name in MUTATIONS:
                setattr(os, name, guard(getattr(os, name)))
            real_open = os.open

            def open_(path, flags, *args, **kwargs):
                if flags & WRITE_FLAGS:
                    count[0] += 1
                    if count[0] == point:
                        os._exit(KILLED)
                return real_open(path, flags, *args, **kwargs)

            os.open = open_
            fsutil._renameat2 = guard(fsutil._renameat2)
            work()
            code = 0
        except BaseException:
            code = 2
            with open(FAILURES, "a") as out:
                out.write(traceback.format_exc())
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def check_state(root: Path, expected: dict[str, dict[str, bytes]], allowed: set[str]) -> str:
    """`current` whole and one of `allowed`; every offered release whole. Returns the live cut."""
    current = root / "current"
    assert current.is_symlink() and current.is_dir(), "current is dangling or missing"
    live = whole_as(current, expected)
    assert live in allowed, f"current is not whole ({os.readlink(current)})"
    for release in list_releases(root, SETTINGS):
        label = whole_as(release.path, expected)
        assert ALIASES.get(label, label) == release.cut_id, f"{release.cut_id} is partial"
    return live


def leftovers(root: Path) -> list[str]:
    names = [p.name for p in (root / "releases").iterdir() if p.name.startswith(".")]
    names += [p.name for p in root.iterdir() if p.name.startswith(".current-")]
    return names


KEPT = ("index.html", "metadata.json", "LEEME.txt", "assets/data/resumen.json")


def small_package(cut, out: Path) -> Path:
    """A generated package cut down to its CSVs, a few site files and their manifest: every
    kill point is tried, so the cost grows with the square of the file count (a whole site
    adds nothing here)."""
    archive = generate(cut, out, rows=4)
    kept = {n: data for n, data in contents(archive).items() if n in KEPT or n.endswith(".csv")}
    kept["MANIFEST.sha256"] = "".join(
        sha256_line(hashlib.sha256(data).hexdigest(), name) for name, data in sorted(kept.items())
    ).encode()
    archive.with_name(archive.name + ".sha256").unlink()
    archive.unlink()
    return make_zip(out, name=archive.name, base=kept)


@pytest.fixture(scope="module")
def packages(tmp_path_factory):
    out = tmp_path_factory.mktemp("packages")
    archives = [small_package(cut, out / cut.strftime("%H%M")) for cut in CUTS]
    other = make_zip(  # the same cut as archives[2], other bytes: for publish --force
        out / "other",
        [("assets/extra.js", b"console.log('re-issued');\n" * 20)],
        name=archives[2].name,
        base={
            name: data for name, data in contents(archives[2]).items() if name != "MANIFEST.sha256"
        },
    )
    return archives, other


def copy_pair(archive: Path, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for path in (archive, archive.with_name(archive.name + ".sha256")):
        shutil.copyfile(path, directory / path.name)
    return directory / archive.name


def points(tmp_path: Path, prepare, work, after) -> int:
    """Kill at every point until the work completes; returns how many points there were."""
    point = 0
    while True:
        point += 1
        base = tmp_path / f"run-{point}"
        root, incoming = prepare(base)
        status = run_killed_at(point, lambda r=root, i=incoming: work(r, i))
        if status not in (KILLED, 0):
            text = FAILURES.read_text() if FAILURES.exists() else ""
            FAILURES.unlink(missing_ok=True)
            pytest.fail(f"the publisher failed at point {point} (exit {status}):\n{text}")
        after(root, incoming, point, status == 0)
        shutil.rmtree(base)
        if status == 0:
            return point - 1
        assert point < 1000


def test_ingest_killed_before_every_change(tmp_path, packages, capsys):
    archives, _ = packages
    expected = {archive.name[:13]: contents(archive) for archive in archives}
    template = tmp_path / "template"
    for archive in archives[:2]:  # 20:15 and 20:30 live in turn; 20:45 arrives (20:15 pruned)
        publish(archive, template / "site", now=NOW, settings=SETTINGS_2)
    copy_pair(archives[2], template / "incoming")
    new, old = archives[2].name[:13], archives[1].name[:13]

    def prepare(base):
        shutil.copytree(template, base, symlinks=True)
        return base / "site", base / "incoming"

    def work(root, incoming):
        ingest(incoming, root, now=NOW, settings=SETTINGS_2)

    def after(root, incoming, point, completed):
        check_state(root, expected, {old, new})
        outcomes = ingest(incoming, root, now=NOW, settings=SETTINGS_2)  # the next run
        assert all(o.event in ("published", "unchanged") for o in outcomes), (point, outcomes)
        assert check_state(root, expected, {new}) == new
        assert list(incoming.iterdir()) == []
        accepted = sorted(p.name for p in (root / "received/accepted").iterdir())
        assert accepted == [archives[2].name, archives[2].name + ".sha256"], point
        assert not (root / "received/rejected").exists()
        assert "rejected" not in [e["event"] for e in read_journal(root)], point
        assert leftovers(root) == [], (point, leftovers(root))
        back = rollback(root, settings=SETTINGS)
        assert whole_as(back.path, expected) == back.cut_id == old

    count = points(tmp_path, prepare, work, after)
    with capsys.disabled():
        print(f"\ncrash points (ingest of a new cut, with a prune): {count}")
    assert count >= 40


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2", "no-exchange"])
def test_force_replacing_the_live_cut_killed_before_every_change(
    tmp_path, packages, capsys, monkeypatch, exchange
):
    archives, other = packages
    expected = {archive.name[:13]: contents(archive) for archive in archives}
    expected["re-issued"] = contents(other)
    if not exchange:
        monkeypatch.setattr(releases, "exchange", lambda first, second: False)
    template = tmp_path / "template"
    for archive in archives[:3]:
        publish(archive, template / "site", now=NOW, settings=SETTINGS)
    copy_pair(other, template / "forced")
    copy_pair(archives[3], template / "incoming")
    cut = archives[2].name[:13]

    def prepare(base):
        shutil.copytree(template, base, symlinks=True)
        return base / "site", base / "incoming"

    def work(root, incoming):
        publish(root.parent / "forced" / other.name, root, force=True, now=NOW, settings=SETTINGS)

    def after(root, incoming, point, completed):
        live = check_state(root, expected, {cut, "re-issued"})
        assert live == "re-issued" or not completed
        assert live_cut_id(root) == cut  # also while `current` names a swap tree
        outcomes = ingest(incoming, root, now=NOW, settings=SETTINGS)  # the next run: 21:00
        assert [o.event for o in outcomes] == ["published"], (point, outcomes)
        check_state(root, expected, {archives[3].name[:13]})
        assert leftovers(root) == [], (point, leftovers(root))
        back = rollback(root, settings=SETTINGS)
        assert back.cut_id == cut and whole_as(back.path, expected) in (cut, "re-issued")

    count = points(tmp_path, prepare, work, after)
    with capsys.disabled():
        print(f"\ncrash points (publish --force of the live cut, {exchange=}): {count}")
    assert count >= 20


def test_the_crash_harness_counts_the_changes(tmp_path):
    """The harness itself: a child killed at point 1 changed nothing."""
    marker = tmp_path / "made"
    assert run_killed_at(1, lambda: marker.write_text("x") and os.mkdir(tmp_path / "d")) in (
        KILLED,
        0,
    )
    assert run_killed_at(1, lambda: os.mkdir(tmp_path / "d")) == KILLED
    assert not (tmp_path / "d").exists()
    assert archive_name(CUT) == "20240602_2015_PREP_VER.zip"
