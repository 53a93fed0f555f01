"""The Ubuntu archive's signing key, for debootstrap on a machine that lacks ubuntu-keyring.

Debian carries no package with Ubuntu's archive key. The key ships in Ubuntu's own
`ubuntu-keyring` package, so it is fetched from the archive and trusted only if it has the
fingerprint written in images.yml: the index and the package are read unverified, and only the key
with that fingerprint is exported into the keyring that debootstrap then checks the suite with.
"""

from __future__ import annotations

import gzip
import hashlib
import itertools
import shutil
import tempfile
import urllib.request
from pathlib import Path

from difusor.errors import DifusorError
from difusor.system import ensure_commands, run

SYSTEM_KEYRING = Path("/usr/share/keyrings/ubuntu-archive-keyring.gpg")
KEYRING_IN_PACKAGE = "usr/share/keyrings/ubuntu-archive-keyring.gpg"
FETCH_TIMEOUT_S = 120


def _fetch(url: str) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT_S) as response:
            return response.read()
    except OSError as exc:
        raise DifusorError(f"cannot fetch {url}: {exc}") from exc


def package_stanza(packages_index: str, name: str) -> dict[str, str]:
    """The fields of one package in an apt Packages index."""
    for stanza in packages_index.split("\n\n"):
        fields = {}
        for line in stanza.splitlines():
            key, sep, value = line.partition(":")
            if sep and not line.startswith(" "):
                fields[key] = value.strip()
        if fields.get("Package") == name:
            return fields
    raise DifusorError(f"package {name} is not in the archive's index")


def fingerprints(keyring: Path) -> list[str]:
    """The primary-key fingerprints in an OpenPGP keyring file."""
    out = run(["gpg", "--batch", "--with-colons", "--show-keys", str(keyring)]).stdout
    lines = out.splitlines()
    return [
        line.split(":")[9]
        for previous, line in itertools.pairwise(lines)
        if previous.startswith("pub:") and line.startswith("fpr:")
    ]


def ubuntu_keyring(archive: str, suite: str, fingerprint: str, dest: Path) -> Path:
    """A keyring file holding only the Ubuntu archive key with the given fingerprint."""
    ensure_commands({"gpg": "gpg", "dpkg-deb": "dpkg"}, "checking the Ubuntu archive key")
    source = SYSTEM_KEYRING if SYSTEM_KEYRING.exists() else None
    with tempfile.TemporaryDirectory(prefix="difusor-keyring-") as tmp:
        work = Path(tmp)
        if source is None:
            index = gzip.decompress(
                _fetch(f"{archive}/dists/{suite}/main/binary-amd64/Packages.gz")
            ).decode("utf-8", "replace")
            stanza = package_stanza(index, "ubuntu-keyring")
            deb = _fetch(f"{archive}/{stanza['Filename']}")
            if hashlib.sha256(deb).hexdigest() != stanza.get("SHA256"):
                raise DifusorError("the ubuntu-keyring package does not match its index entry")
            (work / "keyring.deb").write_bytes(deb)
            run(["dpkg-deb", "-x", str(work / "keyring.deb"), str(work / "root")])
            source = work / "root" / KEYRING_IN_PACKAGE
        if fingerprint not in fingerprints(source):
            raise DifusorError(
                f"the Ubuntu archive keyring ({source}) has no key {fingerprint}; "
                "refusing to build from an archive whose key cannot be checked"
            )
        home = work / "gnupg"
        home.mkdir(mode=0o700)
        gpg = ["gpg", "--batch", "--homedir", str(home)]
        run([*gpg, "--import", str(source)])
        run([*gpg, "--export", "--output", str(work / "key.gpg"), fingerprint])
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(work / "key.gpg", dest)
    return dest
