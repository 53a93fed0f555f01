"""The Debian mirror and apt settings that this machine uses, for building Debian images."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from difusor.errors import DifusorError
from difusor.system import run

SOURCES = [Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt/sources.list.d").glob("*"))]
# apt settings worth carrying into an image: they make the same mirror usable from inside.
CARRIED_APT_KEYS = (
    "Acquire::Check-Valid-Until",
    "Acquire::Check-Date",
    "Acquire::http::Proxy",
    "Acquire::https::Proxy",
)


@dataclass(frozen=True)
class DebianMirror:
    archive: str
    security: str


def parse_source_uris(text: str) -> list[str]:
    """The repository URIs of a one-line (.list) or deb822 (.sources) apt source file."""
    uris = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("URIs:"):
            uris.extend(line.split()[1:])
        elif match := re.match(r"^deb\s+(?:\[[^\]]*\]\s+)?(\S+)", line):
            uris.append(match.group(1))
    return uris


def pick_mirror(uris: list[str]) -> DebianMirror | None:
    """The archive and security mirrors among a machine's Debian source URIs."""

    def debian(uri: str, suffix: str) -> bool:
        return uri.rstrip("/").endswith(suffix)

    archive = next((u for u in uris if debian(u, "/debian")), None)
    security = next((u for u in uris if debian(u, "/debian-security")), None)
    if archive is None:
        return None
    return DebianMirror(
        archive.rstrip("/"), (security or archive.rstrip("/") + "-security").rstrip("/")
    )


def debian_mirror() -> DebianMirror:
    """DIFUSOR_DEBIAN_MIRROR (and _SECURITY_MIRROR) when set, else the mirror apt uses here."""
    if archive := os.environ.get("DIFUSOR_DEBIAN_MIRROR"):
        security = os.environ.get("DIFUSOR_DEBIAN_SECURITY_MIRROR", archive + "-security")
        return DebianMirror(archive.rstrip("/"), security.rstrip("/"))
    uris = [
        uri
        for path in SOURCES
        if path.is_file()
        for uri in parse_source_uris(path.read_text(errors="replace"))
    ]
    mirror = pick_mirror(uris)
    if mirror is None:
        raise DifusorError(
            "no Debian mirror found in this machine's apt sources; set DIFUSOR_DEBIAN_MIRROR "
            "to a Debian archive URL (and DIFUSOR_DEBIAN_SECURITY_MIRROR to its security archive)"
        )
    return mirror


def carried_apt_config() -> str:
    """The lines of this machine's apt configuration that an image needs to use the mirror."""
    lines = []
    for key in CARRIED_APT_KEYS:
        out = run(["apt-config", "dump", key], check=False).stdout
        lines.extend(line for line in out.splitlines() if line.startswith(key + " "))
    return "".join(line + "\n" for line in lines)


def deb822_sources(mirror: DebianMirror, suite: str) -> str:
    return (
        f"Types: deb\nURIs: {mirror.archive}\nSuites: {suite} {suite}-updates\n"
        "Components: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n"
        f"Types: deb\nURIs: {mirror.security}\nSuites: {suite}-security\n"
        "Components: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n"
    )


# --- Ubuntu -----------------------------------------------------------------------------------

DEBOOTSTRAP_SCRIPTS = Path("/usr/share/debootstrap/scripts")
# The script every Ubuntu suite of debootstrap links to; an older debootstrap that lacks a new
# suite's script (noble on Debian 12's) builds it with this one.
UBUNTU_SCRIPT = "gutsy"
# Evaluate a debootstrap suite script with stubs, printing only the mirror it chooses by default.
_DEFAULT_MIRROR_PROBE = """
default_mirror() { echo "$1"; }
for f in mirror_style download_style finddebs_style variants keyring force_md5 doing_variant \
    error warning info; do
  eval "$f() { :; }"
done
. "$1"
"""


def debootstrap_script(suite: str) -> Path:
    """The debootstrap script that builds an Ubuntu suite."""
    own = DEBOOTSTRAP_SCRIPTS / suite
    return own if own.exists() else DEBOOTSTRAP_SCRIPTS / UBUNTU_SCRIPT


def ubuntu_mirror(suite: str, arch: str = "amd64") -> str:
    """DIFUSOR_UBUNTU_MIRROR when set, else the mirror debootstrap itself uses for the suite."""
    if archive := os.environ.get("DIFUSOR_UBUNTU_MIRROR"):
        return archive.rstrip("/")
    script = debootstrap_script(suite)
    if not script.exists():
        raise DifusorError(
            f"debootstrap has no script for {suite} ({script}); install debootstrap or set "
            "DIFUSOR_UBUNTU_MIRROR to an Ubuntu archive URL"
        )
    out = run(
        ["sh", "-c", _DEFAULT_MIRROR_PROBE, "probe", str(script)],
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "ARCH": arch, "SUITE": suite},
    ).stdout.split()
    if not out:
        raise DifusorError(
            f"could not read debootstrap's default mirror for {suite} from {script}; set "
            "DIFUSOR_UBUNTU_MIRROR to an Ubuntu archive URL"
        )
    return out[-1].rstrip("/")


def ubuntu_sources(archive: str, suite: str) -> str:
    """deb822 sources of an Ubuntu server: main and universe, with -updates and -security."""
    return (
        f"Types: deb\nURIs: {archive}\nSuites: {suite} {suite}-updates {suite}-security\n"
        "Components: main universe\n"
        "Signed-By: /usr/share/keyrings/ubuntu-archive-keyring.gpg\n"
    )
