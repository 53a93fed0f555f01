import importlib
import json
import threading
import time

import pytest
from package_kit import AFTER_WINDOW, CUT, LATER, SETTINGS

from difusor.errors import DifusorError
from difusor.package import ingest, live_cut_id
from difusor.package.generate import generate
from difusor.package.layout import cut_id

# The submodule (difusor.package exports a function of the same name).
ingest_module = importlib.import_module("difusor.package.ingest")


def test_complete_arrivals_go_live_oldest_first_and_are_kept(tmp_path):
    incoming, root = tmp_path / "incoming", tmp_path / "site"
    later = generate(LATER, incoming, rows=5)
    first = generate(CUT, incoming, rows=5)
    outcomes = ingest(incoming, root, now=AFTER_WINDOW, settings=SETTINGS)
    assert [(o.archive, o.event) for o in outcomes] == [
        (first.name, "published"),
        (later.name, "published"),
    ]
    assert live_cut_id(root) == cut_id(LATER, SETTINGS)
    assert sorted(p.name for p in (root / "received/accepted").iterdir()) == sorted(
        [first.name, first.name + ".sha256", later.name, later.name + ".sha256"]
    )
    assert list(incoming.iterdir()) == []


def test_an_archive_without_its_sidecar_waits(tmp_path):
    incoming, root = tmp_path / "incoming", tmp_path / "site"
    archive = generate(CUT, incoming, rows=5)
    sidecar = archive.with_name(archive.name + ".sha256")
    sidecar.rename(tmp_path / sidecar.name)
    (incoming / f".{archive.name}.Xy12Z").write_bytes(b"partial transfer")  # rsync temp file
    assert ingest(incoming, root, now=AFTER_WINDOW, settings=SETTINGS) == []
    assert archive.exists() and live_cut_id(root) is None
    (tmp_path / sidecar.name).rename(sidecar)
    assert [o.event for o in ingest(incoming, root, now=AFTER_WINDOW, settings=SETTINGS)] == [
        "published"
    ]


def test_a_rejected_arrival_is_kept_apart_and_the_live_cut_stays(tmp_path):
    incoming, root = tmp_path / "incoming", tmp_path / "site"
    generate(CUT, incoming, rows=5)
    ingest(incoming, root, now=AFTER_WINDOW, settings=SETTINGS)
    corrupt = generate(LATER, incoming, rows=5)
    corrupt.write_bytes(corrupt.read_bytes()[:-10])  # truncated in transfer
    [outcome] = ingest(incoming, root, now=AFTER_WINDOW, settings=SETTINGS)
    assert outcome.event == "rejected" and corrupt.name in outcome.detail
    assert live_cut_id(root) == cut_id(CUT, SETTINGS)
    assert (root / "received/rejected" / corrupt.name).exists()
    events = [
        json.loads(line)["event"] for line in (root / "journal.jsonl").read_text().splitlines()
    ]
    assert events[-1] == "rejected"


def test_a_pass_waits_for_the_sidecar_that_is_on_its_way(tmp_path):
    incoming, root = tmp_path / "incoming", tmp_path / "site"
    archive = generate(CUT, incoming, rows=5)
    sidecar = archive.with_name(archive.name + ".sha256")
    parked = tmp_path / sidecar.name
    sidecar.rename(parked)
    threading.Timer(0.3, parked.rename, args=[sidecar]).start()
    outcomes = ingest(incoming, root, now=AFTER_WINDOW, settle_s=5, poll_s=0.05, settings=SETTINGS)
    assert [o.event for o in outcomes] == ["published"]


def test_a_pass_gives_up_on_an_incomplete_arrival_after_settling(tmp_path):
    incoming, root = tmp_path / "incoming", tmp_path / "site"
    archive = generate(CUT, incoming, rows=5)
    archive.with_name(archive.name + ".sha256").unlink()
    started = time.monotonic()
    assert (
        ingest(incoming, root, now=AFTER_WINDOW, settle_s=0.3, poll_s=0.05, settings=SETTINGS) == []
    )
    assert time.monotonic() - started >= 0.3
    assert archive.exists()


def test_a_sidecar_that_lands_during_a_pass_is_published_in_the_same_call(tmp_path, monkeypatch):
    incoming, root = tmp_path / "incoming", tmp_path / "site"
    archive = generate(CUT, incoming, rows=5)
    sidecar = archive.with_name(archive.name + ".sha256")
    parked = tmp_path / sidecar.name
    sidecar.rename(parked)
    original = ingest_module._ingest_pass

    def pass_then_sidecar_lands(*args):
        outcomes = original(*args)
        if parked.exists():
            parked.rename(sidecar)  # after the pass listed the directory, before it returns
        return outcomes

    monkeypatch.setattr(ingest_module, "_ingest_pass", pass_then_sidecar_lands)
    outcomes = ingest(incoming, root, now=AFTER_WINDOW, settle_s=5, poll_s=0.05, settings=SETTINGS)
    assert [o.event for o in outcomes] == ["published"]


def tree(path):
    """Every path below `path` with its type, size and modification time."""
    return sorted(
        (str(p.relative_to(path)), p.is_dir(), p.stat().st_size, p.stat().st_mtime_ns)
        for p in path.rglob("*")
    )


def test_a_check_says_what_a_pass_would_do_and_touches_nothing(tmp_path):
    incoming, root = tmp_path / "incoming", tmp_path / "site"
    root.mkdir()
    good = generate(CUT, incoming, rows=5)
    corrupt = generate(LATER, incoming, rows=5)
    corrupt.write_bytes(corrupt.read_bytes()[:-10])
    (incoming / f".{good.name}.Xy12Z").write_bytes(b"partial transfer")
    before = tree(tmp_path)
    outcomes = ingest_module.check(incoming, root, now=AFTER_WINDOW)
    assert [(o.archive, o.event) for o in outcomes] == [
        (good.name, "would-publish"),
        (corrupt.name, "would-reject"),
    ]
    assert "sidecar-mismatch" in outcomes[1].detail
    assert tree(tmp_path) == before  # nothing published, moved or journaled
    before_window = CUT.replace(hour=12)
    staged = ingest_module.check(incoming, root, now=before_window)
    assert staged[0].event == "would-stage"
    drill = ingest_module.check(incoming, root, now=before_window, drill=True)
    assert drill[0].event == "would-publish"


def test_a_check_fails_where_a_pass_could_not_run(tmp_path):
    (tmp_path / "site").mkdir()
    with pytest.raises(DifusorError, match="incoming directory does not exist"):
        ingest_module.check(tmp_path / "incoming", tmp_path / "site")
    (tmp_path / "incoming").mkdir()
    with pytest.raises(DifusorError, match="site root does not exist"):
        ingest_module.check(tmp_path / "incoming", tmp_path / "nowhere")


def test_an_arrival_that_cannot_be_filed_is_journaled_once_per_call(tmp_path, monkeypatch):
    """A rejected arrival the pass cannot move out of incoming/ (filing fails) is handled once per
    call, not again and again until the settle deadline; the next call tries it again."""
    incoming, root = tmp_path / "incoming", tmp_path / "site"
    corrupt = generate(CUT, incoming, rows=5)
    corrupt.write_bytes(corrupt.read_bytes()[:-10])

    def cannot_file(*_args, **_kwargs):
        raise PermissionError("received/ is read-only")

    monkeypatch.setattr(ingest_module, "_file_pair", cannot_file)
    outcomes = ingest(incoming, root, now=AFTER_WINDOW, settings=SETTINGS, settle_s=1.0)
    assert [o.event for o in outcomes] == ["rejected"]
    assert corrupt.exists()  # still where it landed
    journal = (root / "journal.jsonl").read_text().splitlines()
    # One pass's lines: the rule that rejected it, then the internal error of filing it.
    assert [json.loads(line).get("rule") for line in journal if '"rejected"' in line] == [
        "sidecar-mismatch",
        "internal-error",
    ]
    assert [o.event for o in ingest(incoming, root, now=AFTER_WINDOW, settings=SETTINGS)] == [
        "rejected"
    ]
