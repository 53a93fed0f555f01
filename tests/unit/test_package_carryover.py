"""A new cut keeps the validators (mtime, precompressed siblings) of the files it shares with
the live cut, and never gives a changed file the live file's validators."""

import json
import os
from datetime import timedelta

from package_kit import CUT

from difusor.package import generate, publish
from difusor.package.carryover import carry_over
from difusor.package.fsutil import walk
from difusor.package.releases import SWITCHED


def regular_files(tree):
    return {
        relative: os.lstat(entry.path)
        for relative, entry in walk(tree)
        if entry.is_file(follow_symlinks=False)
    }


def publish_two_cuts(tmp_path):
    root = tmp_path / "srv"
    first = publish(generate(CUT, tmp_path / "in", rows=40), root, drill=True)
    # An hour earlier on disk, as 15 minutes or more lie between cuts on a real night.
    for relative in regular_files(first.release):
        earlier = os.lstat(first.release / relative).st_mtime_ns - 3600 * 10**9
        os.utime(first.release / relative, ns=(earlier, earlier))
    later = generate(CUT + timedelta(minutes=15), tmp_path / "in", rows=40)
    second = publish(later, root, drill=True)
    return first.release, second.release


def test_unchanged_files_keep_mtime_and_share_their_siblings(tmp_path):
    old, new = publish_two_cuts(tmp_path)
    old_files, new_files = regular_files(old), regular_files(new)
    same = [
        path
        for path in new_files
        if path in old_files
        and not path.endswith((".gz", ".br"))
        and (old / path).read_bytes() == (new / path).read_bytes()
    ]
    different = [
        path
        for path in new_files
        if path in old_files
        and not path.endswith((".gz", ".br"))
        and (old / path).read_bytes() != (new / path).read_bytes()
    ]
    assert same and different
    for path in same:
        assert new_files[path].st_mtime_ns == old_files[path].st_mtime_ns, path
        for suffix in (".gz", ".br"):
            if path + suffix in old_files:
                assert new_files[path + suffix].st_ino == old_files[path + suffix].st_ino
    for path in different:
        assert int(new_files[path].st_mtime) != int(old_files[path].st_mtime), path


def test_siblings_carry_the_mtime_of_their_source(tmp_path):
    _, new = publish_two_cuts(tmp_path)
    files = regular_files(new)
    siblings = [path for path in files if path.endswith((".gz", ".br"))]
    assert siblings
    for path in siblings:
        assert files[path].st_mtime_ns == files[path[:-3]].st_mtime_ns, path


def test_a_changed_file_of_the_same_size_written_in_the_same_second_moves_on(tmp_path):
    live, staging = tmp_path / "live", tmp_path / "staging"
    live.mkdir()
    staging.mkdir()
    (live / "data.json").write_bytes(b'{"votos": 10}')
    (staging / "data.json").write_bytes(b'{"votos": 11}')
    moment = 1_717_380_000_000_000_000
    for path in (live / "data.json", staging / "data.json"):
        os.utime(path, ns=(moment + 5, moment + 5))
    result = carry_over(staging, live)
    assert (result.unchanged, result.changed) == (0, 1)
    assert int(os.lstat(staging / "data.json").st_mtime) == moment // 1_000_000_000 + 1


def test_without_a_live_release_everything_is_new(tmp_path):
    staging = tmp_path / "staging"
    staging.mkdir()
    (staging / "index.html").write_text("<p>corte</p>")
    assert carry_over(staging, None).changed == 1


def test_links_are_never_followed(tmp_path):
    live, staging = tmp_path / "live", tmp_path / "staging"
    live.mkdir()
    staging.mkdir()
    secret = tmp_path / "secret"
    secret.write_bytes(b"x" * 400)
    (live / "a.js").symlink_to(secret)
    (staging / "a.js").write_bytes(b"x" * 400)
    result = carry_over(staging, live)
    assert (result.unchanged, result.changed) == (0, 1)


def test_each_switch_is_recorded_after_it_for_the_cdn_purge(tmp_path):
    """difusor-cdn-purge.path waits for switched.json (it cannot watch the `current` link)."""
    _, new = publish_two_cuts(tmp_path)
    record = json.loads((new.parent.parent / SWITCHED).read_text())
    assert record["cut"] == new.name
    assert os.readlink(new.parent.parent / "current") == f"releases/{new.name}"


def test_hashed_names_are_compressed_harder_once(tmp_path):
    """A bundle named by its content hash is compressed once a night (later cuts take the copy
    over), so at gzip 9 / brotli 9; other files at the everyday levels."""
    import zlib

    from difusor.package.layout import Settings
    from difusor.package.precompress import brotli, precompress_tree

    tree = tmp_path / "tree"
    tree.mkdir()
    body = b"".join(f"function f{i}(a){{return a*{i}+{i * 7 % 13}}}".encode() for i in range(4000))
    (tree / "main.3f2a9c1e5b7d4a60.js").write_bytes(body)
    (tree / "prep.js").write_bytes(body)
    settings = Settings(gzip_level=1, brotli_quality=1)
    precompress_tree(tree, settings)
    hashed = (tree / "main.3f2a9c1e5b7d4a60.js.gz").read_bytes()
    plain = (tree / "prep.js.gz").read_bytes()
    assert len(hashed) < len(plain)
    assert zlib.decompress(hashed, 16 + zlib.MAX_WBITS) == body
    if brotli is not None:
        assert len((tree / "main.3f2a9c1e5b7d4a60.js.br").read_bytes()) < len(
            (tree / "prep.js.br").read_bytes()
        )
