"""The library bundle: deterministic, and every directory in it readable by everyone, the top one
included (a host's umask must not decide who may read the library)."""

import tarfile
from pathlib import Path

from difusor.bundle import bundle

SOURCE = Path(__file__).resolve().parents[2] / "src" / "difusor"


def test_the_bundle_names_every_directory_with_mode_0755(tmp_path):
    out = bundle(SOURCE, tmp_path / "lib.tar.gz")
    with tarfile.open(out) as tar:
        members = {member.name: member for member in tar.getmembers()}
    assert members["difusor"].isdir() and members["difusor"].mode == 0o755
    directories = {name.rsplit("/", 1)[0] for name in members if "/" in name}
    assert directories <= {name for name, member in members.items() if member.isdir()}
    assert all(member.mode == 0o755 for member in members.values() if member.isdir())


def test_the_same_tree_gives_the_same_bytes(tmp_path):
    first = bundle(SOURCE, tmp_path / "a.tar.gz").read_bytes()
    assert bundle(SOURCE, tmp_path / "b.tar.gz").read_bytes() == first
