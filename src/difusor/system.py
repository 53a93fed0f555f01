"""Running commands on the controller and installing the Debian packages it needs (the table of
programs and packages is difusor.tools)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterable, Mapping, Sequence

from difusor.errors import DifusorError
from difusor.tools import MissingProgram, missing, package_of


def run(
    args: Sequence[str],
    *,
    input_text: str | None = None,
    check: bool = True,
    timeout: float | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run a command, capturing its output; raise DifusorError when it fails and check is set."""
    try:
        result = subprocess.run(
            list(args),
            input=input_text,
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
            env=env,
        )
    except FileNotFoundError as exc:
        if "/" in args[0]:
            raise DifusorError(f"command not found: {args[0]}") from exc
        raise MissingProgram([args[0]]) from None
    except subprocess.TimeoutExpired as exc:
        raise DifusorError(f"command timed out after {timeout} s: {' '.join(args)}") from exc
    if check and result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()[-5:]
        raise DifusorError(
            f"command failed (exit {result.returncode}): {' '.join(args)}\n  " + "\n  ".join(detail)
        )
    return result


def is_root() -> bool:
    return os.geteuid() == 0


def has_systemd() -> bool:
    """True when systemd is PID 1 (the way systemd itself tests it)."""
    return os.path.isdir("/run/systemd/system")


def ensure_commands(programs: Iterable[str] | Mapping[str, str], why: str = "") -> None:
    """Install the packages (difusor.tools.PROGRAMS) of the programs that are missing when root
    on a system with apt-get; otherwise raise MissingProgram, which names them. A mapping gives
    the package of a program the table does not list."""
    fallback = dict(programs) if isinstance(programs, Mapping) else {}
    absent = missing(programs)
    if not absent:
        return
    if not is_root() or shutil.which("apt-get") is None:
        raise MissingProgram(absent, fallback)
    packages = sorted({package_of(name, fallback) for name in absent})
    env_args = ["env", "DEBIAN_FRONTEND=noninteractive"]
    run([*env_args, "apt-get", "update", "-qq"], timeout=600)
    run([*env_args, "apt-get", "install", "-y", "-qq", *packages], timeout=1200)
    if still := missing(absent):
        raise DifusorError(
            f"apt-get installed {' '.join(packages)}, and yet {', '.join(still)} is not on PATH"
            + (f" ({why})" if why else "")
        )
