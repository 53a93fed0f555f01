"""Running commands on the controller and installing Debian packages it needs."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence

from difusor.errors import DifusorError


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
        raise DifusorError(f"command not found: {args[0]}") from exc
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


def ensure_commands(packages_by_command: dict[str, str], why: str) -> None:
    """Install the Debian packages that provide missing commands, or say how to."""
    missing = {cmd: pkg for cmd, pkg in packages_by_command.items() if shutil.which(cmd) is None}
    if not missing:
        return
    packages = sorted(set(missing.values()))
    if not is_root() or shutil.which("apt-get") is None:
        raise DifusorError(
            f"{why} needs {', '.join(sorted(missing))}; install the package(s) "
            f"{' '.join(packages)} (for example: sudo apt-get install -y {' '.join(packages)})"
        )
    env_args = ["env", "DEBIAN_FRONTEND=noninteractive"]
    run([*env_args, "apt-get", "update", "-qq"], timeout=600)
    run([*env_args, "apt-get", "install", "-y", "-qq", *packages], timeout=1200)
