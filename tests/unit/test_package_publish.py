"""Publishing: atomic switch, replay refusal, no partial release, window, pruning, rollback."""

import dataclasses
import errno
import gzip
import os
import shutil
import tarfile
import zipfile
from datetime import datetime, timedelta

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
    served_csv,
    tar_member,
)

from difusor.errors import DifusorError
from difusor.package import (
    PackageRejected,
    PublishFailed,
    generate,
    list_releases,
    live_cut_id,
    publish,
    read_journal,
    rollback,
)
from difusor.package import extract as extract_module
from difusor.package.releases import prune


def cut_at(minutes: int) -> datetime:
    return CUT + timedelta(minutes=minutes)


def events(root):
    return [entry["event"] for entry in read_journal(root)]


@pytest.fixture
def root(tmp_path):
    return tmp_path / "srv"


@pytest.fixture
def incoming(tmp_path):
    return tmp_path / "incoming"


def test_publish_switches_current_and_serves_the_archive_unchanged(root, incoming):
    archive = generate(CUT, incoming, rows=30)
    result = publish(archive, root, now=AFTER_WINDOW, settings=SETTINGS)
    assert result.event == "published" and result.live
    assert os.readlink(root / "current") == "releases/20240602_2015"
    served = root / "current"
    with zipfile.ZipFile(archive) as handle:
        names = set(handle.namelist())
        for name in names:
            assert (served / name).read_bytes() == handle.read(name), name
    extra = {
        str(path.relative_to(served))
        for path in served.rglob("*")
        if path.is_file() and str(path.relative_to(served)) not in names
    }
    assert extra and all(name.endswith((".gz", ".br")) for name in extra)
    assert (
        gzip.decompress((served / "index.html.gz").read_bytes())
        == (served / "index.html").read_bytes()
    )
    assert "02/06/2024 20:15 (UTC-6)" in (served / "index.html").read_text()
    assert (served / "index.html").stat().st_mode & 0o777 == 0o644
    assert (served / "assets").stat().st_mode & 0o777 == 0o755
    assert served.resolve().stat().st_mode & 0o777 == 0o755
    assert events(root) == ["arrival", "verify_ok", "published"]
    assert not [p for p in (root / "releases").iterdir() if p.name.startswith(".")]


def test_tar_gz_publishes_too(root, incoming):
    archive = generate(CUT, incoming, rows=5, fmt="tar.gz")
    assert publish(archive, root, now=AFTER_WINDOW, settings=SETTINGS).live
    assert live_cut_id(root) == "20240602_2015"


def test_newer_cut_replaces_the_live_one(root, incoming):
    publish(generate(CUT, incoming, rows=5), root, now=AFTER_WINDOW, settings=SETTINGS)
    result = publish(generate(LATER, incoming, rows=5), root, now=AFTER_WINDOW, settings=SETTINGS)
    assert result.previous == "20240602_2015"
    assert live_cut_id(root) == "20240602_2030"
    assert [release.cut_id for release in list_releases(root)] == [
        "20240602_2015",
        "20240602_2030",
    ]


@pytest.mark.parametrize("replayed", [CUT, LATER], ids=["older", "same-cut-other-package"])
def test_replayed_cut_is_rejected_and_current_unchanged(root, incoming, replayed):
    old = generate(replayed, incoming / "old", rows=6)
    publish(generate(LATER, incoming, rows=5), root, now=AFTER_WINDOW, settings=SETTINGS)
    with pytest.raises(PackageRejected) as caught:
        publish(old, root, now=AFTER_WINDOW, settings=SETTINGS)
    rule = "replayed-cut" if replayed == CUT else "duplicate-cut"
    assert caught.value.rule == rule
    assert old.name in str(caught.value)
    assert live_cut_id(root) == "20240602_2030"
    last = read_journal(root)[-1]
    assert (last["event"], last["rule"]) == ("rejected", rule)
    assert last["archive"] == str(old)
    assert not [p for p in (root / "releases").iterdir() if p.name.startswith(".")]


def test_force_publishes_an_older_cut(root, incoming):
    old = generate(CUT, incoming / "old", rows=5)
    publish(generate(LATER, incoming, rows=5), root, now=AFTER_WINDOW, settings=SETTINGS)
    result = publish(old, root, force=True, now=AFTER_WINDOW, settings=SETTINGS)
    assert result.live and live_cut_id(root) == "20240602_2015"
    assert read_journal(root)[-1]["forced"] is True


def test_force_replaces_the_live_cut_in_place(root, incoming):
    publish(generate(CUT, incoming, rows=5), root, now=AFTER_WINDOW, settings=SETTINGS)
    other = generate(CUT, incoming / "again", rows=9)  # same cut, other content
    publish(other, root, force=True, now=AFTER_WINDOW, settings=SETTINGS)
    assert live_cut_id(root) == "20240602_2015"
    with zipfile.ZipFile(other) as handle:
        assert (root / "current" / served_csv()).read_bytes() == handle.read(served_csv())
    assert [release.cut_id for release in list_releases(root)] == ["20240602_2015"]
    assert not [p for p in (root / "releases").iterdir() if p.name.startswith(".")]


def test_rejected_package_keeps_the_served_cut_and_is_journaled(root, incoming, tmp_path):
    publish(generate(CUT, incoming, rows=5), root, now=AFTER_WINDOW, settings=SETTINGS)
    bad = make_zip(tmp_path / "bad", [("../evil.txt", b"x")], name="20240602_2030_PREP_GUB.zip")
    with pytest.raises(PackageRejected):
        publish(bad, root, now=AFTER_WINDOW, settings=SETTINGS)
    assert live_cut_id(root) == "20240602_2015"
    failed, outcome = read_journal(root)[-2:]
    assert failed["event"] == "verify_failed" and failed["rule"] == "path-traversal"
    assert outcome["event"] == "rejected" and "../evil.txt" in outcome["reason"]
    assert [release.cut_id for release in list_releases(root)] == ["20240602_2015"]
    assert not (tmp_path / "evil.txt").exists() and not (root / "evil.txt").exists()


def test_disk_full_half_way_leaves_no_partial_release(root, incoming, monkeypatch):
    publish(generate(CUT, incoming, rows=5), root, now=AFTER_WINDOW, settings=SETTINGS)
    real_write = extract_module.write_file
    written = []

    def fill_up(target, chunks):
        if len(written) == 3:
            raise OSError(errno.ENOSPC, "No space left on device", str(target))
        written.append(target)
        real_write(target, chunks)

    monkeypatch.setattr(extract_module, "write_file", fill_up)
    with pytest.raises(PublishFailed, match="No space left"):
        publish(generate(LATER, incoming, rows=5), root, now=AFTER_WINDOW, settings=SETTINGS)
    assert written  # it did fail half-way
    assert live_cut_id(root) == "20240602_2015"
    assert sorted(p.name for p in (root / "releases").iterdir()) == ["20240602_2015"]
    last = read_journal(root)[-1]
    assert (last["event"], last["rule"]) == ("deferred", "io-error")  # disk full: a retry


def test_leftovers_of_a_killed_publisher_are_cleaned(root, incoming):
    (root / "releases" / ".incoming-dead").mkdir(parents=True)
    (root / "releases" / ".incoming-dead" / "half.csv").write_text("x")
    publish(generate(CUT, incoming, rows=5), root, now=AFTER_WINDOW, settings=SETTINGS)
    assert sorted(p.name for p in (root / "releases").iterdir()) == ["20240602_2015"]


def test_before_the_window_cuts_are_staged_not_published(root, incoming):
    drill_day = datetime(2024, 5, 19, 10, 0, tzinfo=TZ)
    cut = datetime(2024, 5, 19, 9, 45, tzinfo=TZ)
    result = publish(generate(cut, incoming, rows=5), root, now=drill_day, settings=SETTINGS)
    assert result.event == "staged" and not result.live
    assert not (root / "current").exists() and not (root / "current").is_symlink()
    assert [release.cut_id for release in list_releases(root)] == ["20240519_0945"]
    assert events(root)[-1] == "staged"


def test_drill_mode_publishes_before_the_window(root, incoming):
    drill_day = datetime(2024, 5, 26, 10, 0, tzinfo=TZ)
    cut = datetime(2024, 5, 26, 9, 45, tzinfo=TZ)
    result = publish(
        generate(cut, incoming, rows=5), root, drill=True, now=drill_day, settings=SETTINGS
    )
    assert result.live and live_cut_id(root) == "20240526_0945"
    assert read_journal(root)[-1]["drill"] is True


def test_the_window_opens_at_publish_from(root, incoming):
    opening = SETTINGS.publish_from
    publish(
        generate(opening - timedelta(minutes=15), incoming, rows=5),
        root,
        now=opening - timedelta(seconds=1),
        settings=SETTINGS,
    )
    assert live_cut_id(root) is None
    assert publish(generate(opening, incoming, rows=5), root, now=opening, settings=SETTINGS).live


def test_keep_last_n_never_removes_the_live_release(root, incoming):
    settings = dataclasses.replace(SETTINGS, keep_releases=2)
    drill_day = datetime(2024, 5, 26, 10, 0, tzinfo=TZ)
    first = datetime(2024, 5, 26, 9, 0, tzinfo=TZ)
    publish(generate(first, incoming, rows=3), root, drill=True, settings=settings, now=drill_day)
    for minutes in (15, 30, 45):
        archive = generate(first + timedelta(minutes=minutes), incoming, rows=3)
        publish(archive, root, settings=settings, now=drill_day)  # staged: window closed
    names = [release.cut_id for release in list_releases(root)]
    assert names == ["20240526_0900", "20240526_0930", "20240526_0945"]
    assert live_cut_id(root) == "20240526_0900"


def test_keep_last_n_after_window(root, incoming):
    settings = dataclasses.replace(SETTINGS, keep_releases=3)
    for minutes in range(0, 75, 15):
        publish(
            generate(cut_at(minutes), incoming, rows=3),
            root,
            settings=settings,
            now=cut_at(minutes + 1),
        )
    names = [release.cut_id for release in list_releases(root)]
    assert names == ["20240602_2045", "20240602_2100", "20240602_2115"]
    assert "pruned" in read_journal(root)[-1]


def test_prune_protects_live_and_given(root, incoming):
    for minutes in (0, 15, 30):
        publish(
            generate(cut_at(minutes), incoming, rows=3), root, now=AFTER_WINDOW, settings=SETTINGS
        )
    rollback(root, "20240602_2015")
    assert prune(root, 1, protect={"20240602_2030"}) == []
    assert prune(root, 0) == ["20240602_2030", "20240602_2045"]
    assert [release.cut_id for release in list_releases(root)] == ["20240602_2015"]


def test_rollback_to_previous_and_to_a_given_cut(root, incoming):
    for minutes in (0, 15, 30):
        publish(
            generate(cut_at(minutes), incoming, rows=3), root, now=AFTER_WINDOW, settings=SETTINGS
        )
    assert rollback(root).cut_id == "20240602_2030"
    assert live_cut_id(root) == "20240602_2030"
    assert rollback(root, to="2024-06-02 20:15").cut_id == "20240602_2015"
    assert rollback(root, to="20240602_2045").cut_id == "20240602_2045"
    entry = read_journal(root)[-1]
    assert entry["event"] == "rollback"
    assert (entry["cut"], entry["previous"]) == ("20240602_2045", "20240602_2015")
    states = {release.cut_id: release.live for release in list_releases(root)}
    assert states == {"20240602_2015": False, "20240602_2030": False, "20240602_2045": True}


def test_rollback_errors(root, incoming):
    with pytest.raises(DifusorError, match="no releases in"):
        rollback(root)
    assert not root.exists()
    (root / "releases").mkdir(parents=True)
    with pytest.raises(DifusorError, match="nothing is live"):
        rollback(root)
    publish(generate(CUT, incoming, rows=3), root, now=AFTER_WINDOW, settings=SETTINGS)
    with pytest.raises(DifusorError, match="no release older"):
        rollback(root)
    with pytest.raises(DifusorError, match="no release 20240602_2100"):
        rollback(root, to="20240602_2100")


def test_journal_lines_are_complete_json_with_utc_times(root, incoming):
    publish(generate(CUT, incoming, rows=3), root, now=AFTER_WINDOW, settings=SETTINGS)
    for entry in read_journal(root):
        assert entry["time"].endswith("Z")
        datetime.fromisoformat(entry["time"].replace("Z", "+00:00"))
        assert {"event", "archive", "cut"} <= entry.keys()
    assert read_journal(root)[0]["cut"] == "20240602_2015"


def test_current_that_is_a_directory_is_refused(root, incoming):
    (root / "current").mkdir(parents=True)
    with pytest.raises(DifusorError, match="not a symlink"):
        publish(generate(CUT, incoming, rows=3), root, now=AFTER_WINDOW, settings=SETTINGS)
    assert (root / "current").is_dir()
    assert list((root / "releases").iterdir()) == []


def test_disk_full_while_precompressing_leaves_no_partial_release(root, incoming, monkeypatch):
    publish(generate(CUT, incoming, rows=5), root, now=AFTER_WINDOW, settings=SETTINGS)

    def full(path, chunks):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr("difusor.package.precompress._stream_to", full)
    with pytest.raises(PublishFailed):
        publish(generate(LATER, incoming, rows=5), root, now=AFTER_WINDOW, settings=SETTINGS)
    assert live_cut_id(root) == "20240602_2015"
    assert sorted(p.name for p in (root / "releases").iterdir()) == ["20240602_2015"]


def test_tar_made_from_a_directory_with_dot_entries(root, tmp_path):
    members = [
        tar_member("./", kind=tarfile.DIRTYPE),
        tar_member("./assets/", kind=tarfile.DIRTYPE),
    ]
    members += [tar_member(f"./{name}", data) for name, data in base_files().items()]
    members.append(tar_member("./assets/app.js", b"console.log('corte')\n"))
    archive = make_tar(tmp_path / "in", members, base={})
    assert publish(archive, root, now=AFTER_WINDOW, settings=SETTINGS).live
    assert (root / "current" / "assets" / "app.js").read_bytes() == b"console.log('corte')\n"
    assert (root / "current" / "assets").stat().st_mode & 0o777 == 0o755


def test_current_left_on_a_replacement_tree_is_repaired(root, incoming):
    publish(generate(CUT, incoming, rows=3), root, now=AFTER_WINDOW, settings=SETTINGS)
    # A publisher killed while replacing the live cut in place (publish --force, same cut).
    swap = root / "releases" / ".replace-20240602_2015-0123abcd"
    shutil.copytree(root / "releases" / "20240602_2015", swap)
    (root / "current").unlink()
    (root / "current").symlink_to("releases/.replace-20240602_2015-0123abcd")
    assert publish(
        generate(LATER, incoming, rows=3), root, now=AFTER_WINDOW, settings=SETTINGS
    ).previous == ("20240602_2015")
    assert sorted(p.name for p in (root / "releases").iterdir()) == [
        "20240602_2015",
        "20240602_2030",
    ]
