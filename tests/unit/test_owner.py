"""Root writing the site root writes as its owner (difusor.owner): nothing root makes there is out
of the unprivileged units' reach."""

import os
import pwd

import pytest

from difusor.errors import DifusorError
from difusor.owner import act_as_owner_of, readable_by_now

as_root = pytest.mark.skipif(os.geteuid() != 0, reason="switching accounts needs root")


def in_child(function) -> str:
    """Run function in a forked child (a switch of account is for good); its result or error."""
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover (the child)
        os.close(reader)
        try:
            text = repr(function())
        except Exception as exc:  # reported to the parent
            text = f"{type(exc).__name__}: {exc}"
        os.write(writer, text.encode())
        os._exit(0)
    os.close(writer)
    with os.fdopen(reader) as pipe:
        text = pipe.read()
    os.waitpid(pid, 0)
    return text


def test_not_root_changes_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert act_as_owner_of(tmp_path) is None


@as_root
def test_a_root_owned_or_missing_root_changes_nothing(tmp_path):
    assert act_as_owner_of(tmp_path) is None
    assert act_as_owner_of(tmp_path / "missing") is None
    readable_by_now(tmp_path, None)


@as_root
def test_root_becomes_the_owner_with_its_groups(tmp_path):
    nobody = pwd.getpwnam("nobody")
    site = tmp_path / "site"
    site.mkdir()
    os.chown(site, nobody.pw_uid, nobody.pw_gid)

    def switch():
        who = act_as_owner_of(site)
        return who, os.getuid(), os.geteuid(), os.getgid(), os.getegid(), 0 in os.getgroups()

    expected = ("nobody", nobody.pw_uid, nobody.pw_uid, nobody.pw_gid, nobody.pw_gid, False)
    assert in_child(switch) == repr(expected)


@as_root
def test_an_unreadable_package_is_named(tmp_path):
    nobody = pwd.getpwnam("nobody")
    site, private = tmp_path / "site", tmp_path / "private"
    site.mkdir()
    private.mkdir(mode=0o700)
    (private / "package.zip").write_bytes(b"x")
    os.chown(site, nobody.pw_uid, nobody.pw_gid)
    tmp_path.chmod(0o755)

    def switch():
        readable_by_now(private / "package.zip", act_as_owner_of(site))

    said = in_child(switch)
    assert said.startswith("DifusorError:") and "not readable by nobody" in said


@as_root
def test_an_owner_without_an_account_is_an_error(tmp_path):
    unused = next(uid for uid in range(64000, 65000) if not _has_account(uid))
    os.chown(tmp_path, unused, unused)
    with pytest.raises(DifusorError, match=f"uid {unused}, which has no account"):
        act_as_owner_of(tmp_path)


def _has_account(uid: int) -> bool:
    try:
        pwd.getpwuid(uid)
    except KeyError:
        return False
    return True
