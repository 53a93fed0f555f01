"""Issue 13, "a publisher that no arrival can stop": one test (or more) per finding, each failing
on the code before the fix. The rule for all: one bad arrival costs that arrival only; the next
valid cut goes live; evidence is kept; nothing the pusher controls is followed or trusted beyond
the bytes of regular files. Named test_f<finding>_...; the crash points of finding 7 are in
test_package_crash.py, the properties of the readers in test_package_properties.py."""

import dataclasses
import errno
import gzip
import importlib
import json
import os
import struct
import subprocess
import sys
import threading
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from package_kit import (
    AFTER_WINDOW,
    CUT,
    LATER,
    SETTINGS,
    TZ,
    base_files,
    make_tar,
    make_zip,
    raw_tar_gz,
    reseal,
    tar_blocks,
)

from difusor.cli import main
from difusor.errors import DifusorError
from difusor.package import (
    PackageRejected,
    ingest,
    list_releases,
    live_cut_id,
    publish,
    read_journal,
    rollback,
    verify,
)
from difusor.package import arrival as arrival_module
from difusor.package import releases as releases_module
from difusor.package.fsutil import remove_tree
from difusor.package.generate import generate, results_csv
from difusor.package.layout import Settings, archive_name, metadata_document, sha256_line
from difusor.package.verify import CSV_HEAD_BYTES, csv_cut
from difusor.web import freshness
from difusor.web.settings import WatchdogSettings

SRC = Path(__file__).resolve().parents[2] / "src"
publish_module = importlib.import_module("difusor.package.publish")  # the package's `publish`
ingest_module = importlib.import_module("difusor.package.ingest")  # is the function


def events(root):
    return [entry["event"] for entry in read_journal(root)]


def rejected(archive, settings=SETTINGS):
    with pytest.raises(PackageRejected) as caught:
        verify(archive, settings)
    return caught.value


def arrive(incoming: Path, archive: Path) -> Path:
    """Move a sealed archive (and its sidecar) into `incoming`."""
    incoming.mkdir(parents=True, exist_ok=True)
    for path in (archive, archive.with_name(archive.name + ".sha256")):
        os.replace(path, incoming / path.name)
    return incoming / archive.name


def seal_as(directory: Path, name: bytes, data: bytes) -> None:
    """Write an archive and its sidecar under a raw (bytes) name."""
    directory.mkdir(parents=True, exist_ok=True)
    import hashlib

    target = os.path.join(os.fsencode(directory), name)
    with open(target, "wb") as out:
        out.write(data)
    digest = hashlib.sha256(data).hexdigest()
    line = digest.encode() + b"  " + name + b"\n"
    with open(target + b".sha256", "wb") as out:
        out.write(line)


@pytest.fixture
def dirs(tmp_path):
    yield tmp_path / "incoming", tmp_path / "site"
    remove_tree(tmp_path)  # pytest's own clean-up recurses per level (the deep trees of f2)


# --- 1: one arrival stops every ingest run -----------------------------------------------------


def test_f1_a_name_too_long_for_its_sidecar_is_filed_and_the_next_cut_goes_live(dirs, tmp_path):
    incoming, root = dirs
    incoming.mkdir()
    long_name = "20240602_2015_PREP_" + "X" * 226 + ".zip"  # 249 bytes: + ".sha256" > 255
    (incoming / long_name).write_bytes(b"PK\x03\x04 whatever")
    arrive(incoming, generate(LATER, tmp_path / "out", rows=3))
    outcomes = ingest(incoming, root, now=AFTER_WINDOW, settings=SETTINGS)
    assert sorted(o.event for o in outcomes) == ["published", "rejected"]
    assert live_cut_id(root) == "20240602_2030"
    assert (root / "received/rejected" / long_name).exists()
    assert list(incoming.iterdir()) == []


def test_f1_a_name_that_is_not_utf8_is_escaped_and_the_next_cut_goes_live(dirs, tmp_path):
    incoming, root = dirs
    bad = make_zip(tmp_path / "bad")
    seal_as(incoming, b"20240602_2015_PREP_GUB_\xff.zip", bad.read_bytes())
    arrive(incoming, generate(LATER, tmp_path / "out", rows=3))
    outcomes = ingest(incoming, root, now=AFTER_WINDOW, settings=SETTINGS)
    assert live_cut_id(root) == "20240602_2030"
    [refused] = [o for o in outcomes if o.event == "rejected"]
    assert "\\xff" in refused.archive and "\udcff" not in refused.detail
    raw = (root / "journal.jsonl").read_bytes()
    raw.decode("utf-8")  # strict: every line is valid UTF-8
    assert b"\\\\xff" in raw and all(json.loads(line) for line in raw.splitlines())
    assert list(incoming.iterdir()) == []


def test_f1_metadata_nested_100000_deep_is_bad_metadata(tmp_path):
    files = {**base_files(), "metadata.json": b"[" * 100_000 + b"]" * 100_000}
    error = rejected(make_zip(tmp_path, base=files))
    assert error.rule == "bad-metadata" and "nested" in error.detail


def test_f1_a_csv_cut_in_year_1_with_an_offset_is_bad_csv_not_a_crash(tmp_path):
    files = base_files()
    files["GUB_2024.csv"] = files["GUB_2024.csv"].replace(
        b"02/06/2024 20:15 (UTC-6)", b"01/01/0001 00:00 (UTC+14)"
    )
    error = rejected(make_zip(tmp_path, base=files))
    assert error.rule in ("bad-csv", "cut-mismatch")


def test_f1_a_tar_with_3000_chained_long_name_headers_is_refused(tmp_path):
    chain = b"".join(tar_blocks(b"././@LongLink", b"x" * 50 + b"\0", b"L") for _ in range(3000))
    archive = raw_tar_gz(tmp_path, chain + tar_blocks(b"short.txt", b"data"))
    assert rejected(archive).rule == "corrupt"


def test_f1_any_exception_costs_that_arrival_only(dirs, tmp_path, monkeypatch, capfd):
    incoming, root = dirs
    first = arrive(incoming, generate(CUT, tmp_path / "a", rows=3))
    arrive(incoming, generate(LATER, tmp_path / "b", rows=3))
    real_verify = publish_module.verify

    def buggy(archive, *args, **kwargs):
        if Path(archive).name == first.name:
            raise RecursionError("maximum recursion depth exceeded (a bug)")
        return real_verify(archive, *args, **kwargs)

    monkeypatch.setattr(publish_module, "verify", buggy)
    outcomes = ingest(incoming, root, now=AFTER_WINDOW, settings=SETTINGS)
    assert [o.event for o in outcomes] == ["rejected", "published"]
    assert live_cut_id(root) == "20240602_2030"
    refusal = next(e for e in read_journal(root) if e.get("rule") == "internal-error")
    assert "RecursionError" in refusal["reason"]
    err = capfd.readouterr().err
    assert "internal error while ingesting" in err and "Traceback" not in err
    assert "buggy" in err  # the frames are logged
    assert (root / "received/rejected" / first.name).exists()
    assert list(incoming.iterdir()) == []


# --- 2: a member 1,300 directories deep -------------------------------------------------------


def test_f2_a_member_1300_directories_deep_is_refused_and_the_next_cut_goes_live(dirs, tmp_path):
    incoming, root = dirs
    deep = "d/" * 1300 + "app.js"  # 2.6 KB
    settings = dataclasses.replace(SETTINGS, max_path_bytes=4000, max_depth=2000)
    bad = make_zip(tmp_path / "bad", [(deep, b"x" * 300)])
    arrive(incoming, bad)
    outcomes = ingest(incoming, root, now=AFTER_WINDOW, settings=settings)
    # With limits this loose it is published (walks and removal are iterative) ...
    assert [o.event for o in outcomes] == ["published"]
    assert (root / "current" / (deep + ".gz")).exists()
    # ... and with the default limit it is refused before anything is written.
    assert rejected(make_zip(tmp_path / "again", [(deep, b"x")])).rule == "bad-member-name"
    nested = "/".join(["d"] * 40) + "/app.js"
    assert rejected(make_zip(tmp_path / "nested", [(nested, b"x")])).rule == "too-deep"


def test_f2_a_deep_leftover_is_cleaned_by_the_next_run(dirs, tmp_path):
    incoming, root = dirs
    leftover = root / "releases" / ".incoming-dead"
    leftover.mkdir(parents=True)
    fd = os.open(leftover, os.O_RDONLY)
    for _ in range(1300):  # os.makedirs recurses per level
        os.mkdir("d", dir_fd=fd)
        fd, parent = os.open("d", os.O_RDONLY, dir_fd=fd), fd
        os.close(parent)
    os.close(os.open("x", os.O_WRONLY | os.O_CREAT, dir_fd=fd))
    os.close(fd)
    arrive(incoming, generate(CUT, tmp_path / "out", rows=3))
    assert [o.event for o in ingest(incoming, root, now=AFTER_WINDOW, settings=SETTINGS)] == [
        "published"
    ]
    assert sorted(p.name for p in (root / "releases").iterdir()) == ["20240602_2015"]


# --- 3 (the Python side): links, FIFOs, directories in incoming --------------------------------


def test_f3_links_fifos_and_directories_are_never_opened(dirs, tmp_path):
    incoming, root = dirs
    secret = tmp_path / "root-only.txt"
    secret.write_text("secret")
    incoming.mkdir()
    name = archive_name(CUT, "zip")
    os.symlink(secret, incoming / name)
    os.mkfifo(incoming / (name + ".sha256"))
    (incoming / (archive_name(LATER, "zip") + ".d")).mkdir()
    result = {}
    worker = threading.Thread(
        target=lambda: result.update(
            out=ingest(incoming, root, now=AFTER_WINDOW, settings=SETTINGS)
        ),
        daemon=True,
    )
    worker.start()
    worker.join(20)
    assert not worker.is_alive(), "ingest blocked on a FIFO"
    assert {o.event for o in result["out"]} == {"rejected"}
    assert "secret" not in (root / "journal.jsonl").read_text()
    assert (root / "received/rejected" / name).is_symlink()  # the link itself, as evidence
    assert list(incoming.iterdir()) == []


# --- 4: size before hash -----------------------------------------------------------------------


def test_f4_a_sparse_archive_over_the_limit_is_refused_before_a_byte_is_read(
    dirs, tmp_path, monkeypatch
):
    incoming, root = dirs
    archive = generate(CUT, tmp_path / "out", rows=3)
    os.truncate(archive, 2 * SETTINGS.max_archive_bytes)  # sparse: no blocks on disk
    arrive(incoming, archive)

    def no_reading(*args, **kwargs):
        raise AssertionError("the archive was read")

    monkeypatch.setattr(arrival_module.hashlib, "sha256", no_reading)
    [outcome] = ingest(incoming, root, now=AFTER_WINDOW, settings=SETTINGS)
    assert outcome.event == "rejected" and "too-large" in outcome.detail
    assert read_journal(root)[-1]["rule"] == "too-large"


# --- 5: a future cut freezes the site ---------------------------------------------------------


def test_f5_a_cut_from_the_future_is_refused_and_the_real_ones_go_on(dirs, tmp_path):
    incoming, root = dirs
    typo = datetime(2024, 12, 2, 20, 30, tzinfo=TZ)  # month mistyped: 12 for 06
    arrive(incoming, generate(typo, tmp_path / "typo", rows=3))
    arrive(incoming, generate(CUT, tmp_path / "real", rows=3))
    outcomes = ingest(incoming, root, now=AFTER_WINDOW, settings=SETTINGS)
    assert [o.event for o in outcomes] == ["published", "rejected"]
    assert "future-cut" in outcomes[1].detail
    assert live_cut_id(root) == "20240602_2015"
    arrive(incoming, generate(LATER, tmp_path / "next", rows=3))
    assert [o.event for o in ingest(incoming, root, now=AFTER_WINDOW, settings=SETTINGS)] == [
        "published"
    ]


def test_f5_a_synthetic_package_is_refused_outside_drill_mode(dirs, tmp_path):
    incoming, root = dirs
    arrive(incoming, generate(CUT, tmp_path / "out", rows=3))
    [outcome] = ingest(incoming, root, now=AFTER_WINDOW)  # the real settings
    assert outcome.event == "rejected" and "rule synthetic" in outcome.detail
    arrive(incoming, generate(LATER, tmp_path / "out", rows=3))
    assert [o.event for o in ingest(incoming, root, now=AFTER_WINDOW, drill=True)] == ["published"]


def test_f5_the_watchdog_treats_a_live_cut_from_the_future_as_an_incident():
    watchdog, now = WatchdogSettings(), AFTER_WINDOW
    future = datetime(2024, 12, 2, 20, 30, tzinfo=TZ)
    assert freshness.assess(future, now, SETTINGS, watchdog) == "incident"
    assert freshness.assess(now + timedelta(minutes=2), now, SETTINGS, watchdog) == "fresh"


# --- 6: valid packages rejected at byte 65,536 ------------------------------------------------


def test_f6_a_head_that_splits_a_multibyte_character_is_read(tmp_path):
    csv_bytes, _ = results_csv(CUT, 3, SETTINGS)
    cut_at = csv_bytes.index(b"\n", csv_bytes.index(b"CLAVE_CASILLA")) + 1
    filler = b"x" * (CSV_HEAD_BYTES - 1 - cut_at)  # then "Á" takes bytes 65,535 and 65,536
    padded = csv_bytes[:cut_at] + filler + "ÁRBOL\n".encode() + csv_bytes[cut_at:]
    assert padded[CSV_HEAD_BYTES - 1 : CSV_HEAD_BYTES + 1] == "Á".encode()
    files = {**base_files(), "GUB_2024.csv": padded}
    assert verify(make_zip(tmp_path, base=files)).cut == CUT


# --- 7: crash consistency (the kill at every point is in test_package_crash.py) ---------------


def test_f7_a_kill_between_the_switch_and_filing_does_not_reject_the_live_cut(dirs, tmp_path):
    incoming, root = dirs
    archive = arrive(incoming, generate(CUT, tmp_path / "out", rows=3))
    publish(archive, root, now=AFTER_WINDOW, settings=SETTINGS)  # killed before filing
    [outcome] = ingest(incoming, root, now=AFTER_WINDOW, settings=SETTINGS)
    assert outcome.event == "unchanged"
    assert (root / "received/accepted" / archive.name).exists()
    assert not (root / "received/rejected").exists()


def test_f7_a_release_without_its_marker_is_never_offered_nor_left(dirs, tmp_path):
    _, root = dirs
    for minutes in (0, 15):
        archive = generate(CUT + timedelta(minutes=minutes), tmp_path / "out", rows=3)
        publish(archive, root, now=AFTER_WINDOW, settings=SETTINGS)
    # What a publisher killed while pruning 20:15 leaves: its marker gone, some files gone.
    (root / "complete" / "20240602_2015.json").unlink()
    (root / "releases" / "20240602_2015" / "index.html").unlink()
    assert [r.cut_id for r in list_releases(root)] == ["20240602_2030"]
    with pytest.raises(DifusorError, match="no release older"):
        rollback(root)
    with pytest.raises(DifusorError, match="no release 20240602_2015"):
        rollback(root, to="20240602_2015")
    assert not (root / "releases" / "20240602_2015").exists()  # removed by the next start
    assert live_cut_id(root) == "20240602_2030"


def test_f7_files_and_directories_are_synced_before_current_switches(dirs, tmp_path, monkeypatch):
    _, root = dirs
    synced, switched = [], []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        return real_fsync(fd)

    def replace(source, target, *args, **kwargs):
        if Path(target).name == "current":
            switched.append(len(synced))
        return real_replace(source, target, *args, **kwargs)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    publish(generate(CUT, tmp_path / "out", rows=3), root, now=AFTER_WINDOW, settings=SETTINGS)
    release = root / "releases" / "20240602_2015"
    done = {Path(path).name for path in synced[: switched[0]]}
    everything = [*release.rglob("*"), root / "releases"]  # the tree itself under its staging name
    assert all(path.name in done for path in everything)
    assert any(name.startswith(".incoming-") for name in done)
    assert (root / "complete" / "20240602_2015.json").exists()


# --- 8: amplification -------------------------------------------------------------------------


def test_f8_a_400_mib_member_name_is_refused_without_reading_it(tmp_path):
    header = tar_blocks(b"././@LongLink", b"", b"L")[:512]
    big = bytearray(header)
    size = 400 * 1024**2
    big[124:136] = b"%011o\0" % size
    big[148:156] = b" " * 8
    big[148:156] = b"%06o\0 " % sum(big)
    path = tmp_path / archive_name(CUT, "tar.gz")
    with gzip.open(path, "wb", compresslevel=1) as out:
        out.write(bytes(big))
        zeros = bytes(1024 * 1024)
        for _ in range(8):  # only the start of the name: the reader must stop at the header
            out.write(zeros)
    reseal(path)
    error = rejected(path)
    assert error.rule == "bad-member-name" and "419430400 bytes" in error.detail


def test_f8_names_in_messages_and_the_journal_are_capped(dirs, tmp_path):
    incoming, root = dirs
    name = "a/" * 1900 + "/../evil"  # 3.8 KB, in the message of every rule that names it
    arrive(incoming, make_zip(tmp_path / "bad", [(name, b"x")], name=archive_name(LATER, "zip")))
    [outcome] = ingest(incoming, root, now=AFTER_WINDOW, settings=SETTINGS)
    assert outcome.event == "rejected" and len(outcome.detail) < 1200
    assert max(len(line) for line in (root / "journal.jsonl").read_bytes().splitlines()) < 3000


def test_f8_a_zip_declaring_too_many_entries_is_refused_before_its_directory_is_read(tmp_path):
    archive = make_zip(tmp_path)
    data = bytearray(archive.read_bytes())
    end = data.rindex(b"PK\x05\x06")
    struct.pack_into("<2H", data, end + 8, 400_000 & 0xFFFF, 400_000 & 0xFFFF)
    archive.write_bytes(bytes(data))
    reseal(archive)
    settings = dataclasses.replace(SETTINGS, max_files=3)
    assert rejected(make_zip(tmp_path / "four", [("a.txt", b"1")]), settings).rule == (
        "too-many-files"
    )
    assert rejected(archive, dataclasses.replace(SETTINGS, max_files=1000)).rule in (
        "too-many-files",
        "corrupt",
    )


def test_f8_precompression_streams(tmp_path):
    import tracemalloc

    from difusor.package.precompress import precompress_tree

    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "big.csv").write_bytes(os.urandom(1024) * 20 * 1024)  # 20 MiB
    tracemalloc.start()
    precompress_tree(tree, SETTINGS)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert (tree / "big.csv.gz").exists() and peak < 8 * 1024**2


# --- 9: races with the pusher -----------------------------------------------------------------


def test_f9_a_writer_on_the_archive_cannot_change_what_is_served(dirs, tmp_path, monkeypatch):
    incoming, root = dirs
    stored = zipfile.ZipInfo("assets/app.js")  # stored: its bytes appear as they are
    archive = arrive(incoming, make_zip(tmp_path / "out", [(stored, b"console.log('good')")]))
    original = b"console.log('good')"
    real_take = arrival_module.take

    def take_then_rewrite(path, *args, **kwargs):
        snapshot = real_take(path, *args, **kwargs)
        data = Path(path).read_bytes().replace(original, b"console.log('evil')")
        with open(path, "r+b") as out:  # `rsync --inplace` on the same file
            out.write(data)
        return snapshot

    monkeypatch.setattr(arrival_module, "take", take_then_rewrite)
    outcomes = ingest(incoming, root, now=AFTER_WINDOW, settings=SETTINGS)
    assert outcomes[0].event == "published"
    assert (root / "current" / "assets/app.js").read_bytes() == original
    kept = zipfile.ZipFile(root / "received/accepted" / archive.name)
    assert kept.read("assets/app.js") == original  # the evidence is what was verified


def test_f9_a_half_written_archive_waits_for_its_writer(dirs, tmp_path, monkeypatch):
    incoming, root = dirs
    archive = arrive(incoming, generate(CUT, tmp_path / "out", rows=3))
    whole = archive.read_bytes()
    archive.write_bytes(whole[: len(whole) // 2])  # sidecar first, archive written in place
    real_publish = ingest_module.publish_locked

    def publish_while_the_writer_finishes(*args, **kwargs):
        try:
            return real_publish(*args, **kwargs)
        finally:
            with open(archive, "ab") as out:
                out.write(whole[len(whole) // 2 :])

    monkeypatch.setattr(ingest_module, "publish_locked", publish_while_the_writer_finishes)
    [first] = ingest(incoming, root, now=AFTER_WINDOW, settings=SETTINGS)
    assert first.event == "waiting" and archive.exists()
    monkeypatch.undo()
    [second] = ingest(incoming, root, now=AFTER_WINDOW, settings=SETTINGS)
    assert second.event == "published"
    assert not (root / "received/rejected").exists()


def test_f9_a_file_sent_again_while_the_first_is_published_is_verified(dirs, tmp_path, monkeypatch):
    incoming, root = dirs
    archive = arrive(incoming, generate(CUT, tmp_path / "out", rows=3))
    other = make_zip(tmp_path / "other", [("assets/extra.js", b"1")])  # same name, same cut
    real_publish = ingest_module.publish_locked

    def publish_while_it_is_sent_again(*args, **kwargs):
        result = real_publish(*args, **kwargs)
        os.replace(other, archive)  # rsync's rename of its temporary file
        os.replace(
            other.with_name(other.name + ".sha256"), archive.with_name(archive.name + ".sha256")
        )
        return result

    monkeypatch.setattr(ingest_module, "publish_locked", publish_while_it_is_sent_again)
    [first] = ingest(incoming, root, now=AFTER_WINDOW, settings=SETTINGS)
    monkeypatch.undo()
    assert first.event == "published" and archive.exists()  # the new file waits
    [second] = ingest(incoming, root, now=AFTER_WINDOW, settings=SETTINGS)
    assert second.event == "rejected" and "duplicate-cut" in second.detail
    assert not (root / "current" / "assets" / "extra.js").exists()


# --- 10: served files that nothing checks ------------------------------------------------------


def test_f10_a_shipped_gz_beside_its_file_is_refused(tmp_path):
    files = {**base_files(), "GUB_2024.csv.gz": gzip.compress(b"the previous cut")}
    error = rejected(make_zip(tmp_path, base=files))
    assert error.rule == "precompressed-sibling" and "send the file alone" in error.detail
    files = {**base_files(), "index.html.br": b"\x0b\x02\x80hi\x03"}
    assert rejected(make_tar(tmp_path / "tar", base=files)).rule == "precompressed-sibling"


def test_f10_a_package_without_index_html_is_refused(tmp_path):
    files = base_files()
    del files["index.html"]
    assert rejected(make_zip(tmp_path, base=files)).rule == "no-index"


# --- 11: smaller ones --------------------------------------------------------------------------


def test_f11_line_2_is_the_csvs_record_2(tmp_path):
    csv_bytes, _ = results_csv(CUT, 3, SETTINGS)
    quoted = csv_bytes.replace(b"GUBERNATURA", b'"GUBER\nNATURA"', 1)
    assert csv_cut("a.zip", "GUB_2024.csv", quoted, SETTINGS) == CUT
    feed = csv_bytes.replace(b"GUBERNATURA", b"GUBER\x0cNATURA", 1)
    assert csv_cut("a.zip", "GUB_2024.csv", feed, SETTINGS) == CUT


def test_f11_two_ingest_runs_at_once_handle_each_arrival_once(dirs, tmp_path):
    incoming, root = dirs
    for minutes in (0, 15, 30):
        arrive(incoming, generate(CUT + timedelta(minutes=minutes), tmp_path / "o", rows=3))
    results = []

    def run():
        results.append(ingest(incoming, root, now=AFTER_WINDOW, settings=SETTINGS))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(o.event for found in results for o in found) == ["published"] * 3
    assert "rejected" not in events(root)


def test_f11_disk_full_leaves_the_arrival_for_the_next_pass(dirs, tmp_path, monkeypatch):
    incoming, root = dirs
    archive = arrive(incoming, generate(CUT, tmp_path / "out", rows=3))

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("difusor.package.extract.write_file", full)
    [outcome] = ingest(incoming, root, now=AFTER_WINDOW, settings=SETTINGS)
    assert outcome.event == "deferred" and archive.exists()
    assert not (root / "received").exists()
    monkeypatch.undo()
    assert [o.event for o in ingest(incoming, root, now=AFTER_WINDOW, settings=SETTINGS)] == [
        "published"
    ]


def test_f11_a_second_bad_arrival_of_the_same_name_keeps_the_first_evidence(dirs, tmp_path):
    incoming, root = dirs
    sizes = []
    for attempt in range(2):
        archive = generate(LATER, tmp_path / f"o{attempt}", rows=3 + attempt)
        archive.write_bytes(archive.read_bytes()[:-10])
        sizes.append(archive.stat().st_size)
        arrive(incoming, archive)
        ingest(incoming, root, now=AFTER_WINDOW, settings=SETTINGS)
    kept = sorted((root / "received/rejected").iterdir())
    name = archive_name(LATER, "zip")
    assert [p.name for p in kept] == [name, name + ".1", name + ".sha256", name + ".sha256.1"]
    assert [kept[0].stat().st_size, kept[1].stat().st_size] == sizes


def test_f11_a_newline_in_a_name_writes_one_line(dirs, tmp_path):
    incoming, root = dirs
    seal_as(incoming, b"20240602_2015_PREP_GUB.zip\npublished 20240602_2100_PREP.zip", b"x")
    arrive(incoming, generate(LATER, tmp_path / "out", rows=3))
    settings = tmp_path / "settings.yml"
    settings.write_text("accept_synthetic: true\n")
    command = [sys.executable, "-m", "difusor.cli", "package", "ingest", "--incoming"]
    command += [str(incoming), "--root", str(root), "--settle", "0", "--settings", str(settings)]
    env = {**os.environ, "PYTHONPATH": str(SRC), "LC_ALL": "C.UTF-8", "PYTHONIOENCODING": ""}
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    lines = done.stdout.splitlines()
    assert done.returncode == 3, done.stderr
    assert len(lines) == 2  # one per arrival: the bad pair, the cut published
    assert sum(line.startswith("published ") for line in lines) == 1
    assert all("\\n" in line for line in lines if line.startswith("rejected"))


def test_f11_a_cut_staged_before_the_window_goes_live_when_it_opens(dirs, tmp_path):
    incoming, root = dirs
    opening = SETTINGS.publish_from
    arrive(incoming, generate(opening, tmp_path / "out", rows=3))
    [staged] = ingest(incoming, root, now=opening - timedelta(seconds=10), settings=SETTINGS)
    assert staged.event == "staged" and live_cut_id(root) is None
    [promoted] = ingest(incoming, root, now=opening + timedelta(seconds=50), settings=SETTINGS)
    assert promoted.event == "published" and live_cut_id(root) == "20240602_2000"
    assert read_journal(root)[-1]["promoted"] is True
    # A drill's cut staged weeks before is not promoted on election night.
    drill_root = tmp_path / "drill-site"
    drill_cut = datetime(2024, 5, 26, 9, 45, tzinfo=TZ)
    arrive(incoming, generate(drill_cut, tmp_path / "drill", rows=3))
    ingest(incoming, drill_root, now=drill_cut + timedelta(minutes=5), settings=SETTINGS)
    assert ingest(incoming, drill_root, now=opening + timedelta(minutes=1), settings=SETTINGS) == []
    assert live_cut_id(drill_root) is None


def test_f11_two_packages_of_one_cut_and_a_resent_one(dirs, tmp_path):
    _, root = dirs
    first = generate(CUT, tmp_path / "a", rows=3)
    publish(first, root, now=AFTER_WINDOW, settings=SETTINGS)
    again = publish(first, root, now=AFTER_WINDOW, settings=SETTINGS)  # the same bytes
    assert again.event == "unchanged" and again.live
    other = make_zip(tmp_path / "b", name=archive_name(CUT, "zip", label="DIP_LOC_VER"))
    with pytest.raises(PackageRejected) as caught:
        publish(other, root, now=AFTER_WINDOW, settings=SETTINGS)
    assert caught.value.rule == "duplicate-cut" and first.name in caught.value.detail


def test_f11_a_transient_error_while_taking_the_snapshot_is_deferred(dirs, tmp_path, monkeypatch):
    incoming, root = dirs
    arrive(incoming, generate(CUT, tmp_path / "out", rows=3))

    def full(*args, **kwargs):
        raise OSError(errno.EFBIG, "File too large")

    monkeypatch.setattr(arrival_module.tempfile, "TemporaryFile", full)
    [outcome] = ingest(incoming, root, now=AFTER_WINDOW, settings=SETTINGS)
    assert outcome.event == "deferred"
    assert read_journal(root)[-1]["event"] == "deferred"


def test_settings_know_the_new_limits():
    settings = Settings.from_mapping({"max_cut_ahead_min": 30, "accept_synthetic": True})
    assert settings.max_cut_ahead_min == 30 and settings.accept_synthetic
    assert releases_module.COMPLETE == "complete"
    assert sha256_line("0" * 64, "a") and metadata_document(CUT, synthetic=False)


def test_f11_disk_full_makes_the_ingest_command_exit_1(dirs, tmp_path, monkeypatch, capsys):
    incoming, root = dirs
    arrive(incoming, generate(CUT, tmp_path / "out", rows=3))

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("difusor.package.extract.write_file", full)
    settings = tmp_path / "settings.yml"
    settings.write_text("accept_synthetic: true\n")
    argv = ["package", "ingest", "--incoming", str(incoming), "--root", str(root)]
    assert main([*argv, "--settle", "0", "--settings", str(settings)]) == 1
    assert "deferred" in capsys.readouterr().out


def test_f7_releases_of_a_publisher_without_markers_are_kept(dirs, tmp_path):
    _, root = dirs
    for minutes in (0, 15):
        archive = generate(CUT + timedelta(minutes=minutes), tmp_path / "out", rows=3)
        publish(archive, root, now=AFTER_WINDOW, settings=SETTINGS)
    remove_tree(root / "complete")  # as the publisher before markers left its releases
    archive = generate(CUT + timedelta(minutes=30), tmp_path / "out", rows=3)
    publish(archive, root, now=AFTER_WINDOW, settings=SETTINGS)
    assert [r.cut_id for r in list_releases(root)] == [
        "20240602_2015",
        "20240602_2030",
        "20240602_2045",
    ]
    assert rollback(root).cut_id == "20240602_2030"
