"""The programs that the controller's commands run, and the Debian/Ubuntu package of each.

This table is the one list: `make setup` (`difusor tools install`) installs what is missing, and a
command that finds a program missing says in one line which package to install (exit 2), never
a traceback. The tools of the virtualenv (ansible-playbook, ansible-inventory, pytest) come from
`make setup` too, through requirements/dev.txt; the programs every Debian or Ubuntu system has
(sh, bash, tar, env, apt-get, apt-config, systemctl) are not listed.
"""

from __future__ import annotations

import argparse
import shutil
from collections.abc import Iterable
from dataclasses import dataclass

from difusor.errors import DifusorError
from difusor.output import say


@dataclass(frozen=True)
class Program:
    name: str
    package: str
    used_by: str


PROGRAMS: dict[str, Program] = {
    program.name: program
    for program in (
        Program("rsync", "rsync", "drill, simulate push: they push results packages"),
        Program(
            "ssh",
            "openssh-client",
            "provision, audit, drill, notice/publish/rollback, memoria (hosts over SSH)",
        ),
        Program("ssh-keygen", "openssh-client", "sandbox up: the sandbox's SSH key"),
        Program("sshpass", "sshpass", "Ansible's SSH login with a password (ansible_password)"),
        Program("curl", "curl", "audit: the portal's certificate from a local:// vantage"),
        Program("openssl", "openssl", "audit: the certificate's expiry from a local:// vantage"),
        Program("ip", "iproute2", "sandbox up: its network checked against this machine's routes"),
        Program("docker", "docker.io", "engine, images, sandbox, simulate, demo, molecule"),
        Program("dockerd", "docker.io", "engine: started when no Docker engine answers"),
        Program("debootstrap", "debootstrap", "images build: the base images"),
        Program("gpg", "gpg", "images build: the Ubuntu archive key is checked"),
        Program("dpkg-deb", "dpkg", "images build: the Ubuntu keyring package is unpacked"),
        Program("promtool", "prometheus", "unit tests: the alert rules (promtool test rules)"),
        Program("chromium", "chromium", "unit tests: the portal monitor's page in a browser"),
    )
}


class MissingProgram(DifusorError):
    """Programs the command needs are not installed; the message names their packages."""

    def __init__(self, names: Iterable[str], packages: dict[str, str] | None = None) -> None:
        self.names = sorted(set(names))
        self.packages = sorted({package_of(name, packages) for name in self.names})
        super().__init__(missing_message(self.names, packages))


def package_of(name: str, fallback: dict[str, str] | None = None) -> str:
    """The package that provides a program: from the table, else `fallback`, else its name."""
    if name in PROGRAMS:
        return PROGRAMS[name].package
    return (fallback or {}).get(name, name)


def missing_message(names: Iterable[str], fallback: dict[str, str] | None = None) -> str:
    """`rsync is not installed; install the package rsync (apt-get install rsync)`."""
    names = sorted(set(names))
    packages = sorted({package_of(name, fallback) for name in names})
    listed = ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]
    verb = "are" if len(names) > 1 else "is"
    noun = "packages" if len(packages) > 1 else "package"
    return (
        f"{listed} {verb} not installed; install the {noun} {' '.join(packages)} "
        f"(apt-get install {' '.join(packages)})"
    )


def missing(names: Iterable[str]) -> list[str]:
    """The programs of `names` that are not on PATH."""
    return sorted({name for name in names if shutil.which(name) is None})


def require(*names: str) -> None:
    """Raise MissingProgram unless every program is on PATH (call it before running any)."""
    if absent := missing(names):
        raise MissingProgram(absent)


# --- CLI -------------------------------------------------------------------------------------


def cmd_tools(args: argparse.Namespace) -> int:
    absent = missing(PROGRAMS)
    if args.action == "install" and absent:
        from difusor.system import ensure_commands

        packages = sorted({package_of(name) for name in absent})
        say(f"installing {' '.join(packages)} (for {', '.join(absent)})")
        ensure_commands(absent, "make setup")
        absent = []
    if args.action == "check":
        for program in PROGRAMS.values():
            state = "missing" if program.name in absent else "ok"
            print(f"{program.name:12} {state:8} {program.package:15} {program.used_by}")
    if absent:
        raise MissingProgram(absent)
    say("every program the controller's commands run is installed")
    return 0


def register(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """`difusor tools check|install`."""
    parser = commands.add_parser(
        "tools",
        help="the programs the controller's commands run (rsync, ssh, docker, ...): "
        "check them, or install the missing ones (make setup)",
    )
    parser.add_argument(
        "action",
        choices=["check", "install"],
        help="check: list them, exit 2 when one is missing; install: apt-get install the "
        "missing ones (as root)",
    )
    parser.set_defaults(func=cmd_tools)
    return parser
