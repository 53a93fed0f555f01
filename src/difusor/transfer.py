"""The electoral body's side of a transfer: push a package to a difusor's rsync daemon.

`push_files` sends an archive and then its .sha256 sidecar (the sidecar's arrival completes the
package for the receiver's ingest) to rsync://USER@HOST:PORT/MODULE/, the password in
RSYNC_PASSWORD. Used by the continuity drill (`difusor drill`) and by the simulated electoral
body of the demo (`difusor simulate`). Only the standard library: the simulator runs it with
the system python3 of the sandbox's client image.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from difusor.errors import DifusorError

# Role rsync_receiver's defaults (rsync_receiver_module, rsync_receiver_auth_user).
DEFAULT_MODULE = "paquetes"
DEFAULT_USER = "ople"
RSYNC_PORT = 873


@dataclass(frozen=True)
class Target:
    """Where the electoral body pushes: rsync://USER@HOST:PORT/MODULE/."""

    host: str
    module: str = DEFAULT_MODULE
    user: str = DEFAULT_USER
    port: int = RSYNC_PORT

    def url(self) -> str:
        port = "" if self.port == RSYNC_PORT else f":{self.port}"
        return f"rsync://{self.user}@{self.host}{port}/{self.module}/"


def rsync_command(files: list[Path], target: Target, timeout_s: int) -> list[str]:
    # -t keeps the mtime; rsync writes under a dot-name and renames into place, which the
    # receiver's ingest ignores until complete.
    return [
        "rsync",
        "-t",
        f"--contimeout={min(timeout_s, 10)}",
        f"--timeout={timeout_s}",
        *[str(path) for path in files],
        target.url(),
    ]


def push_files(
    files: list[Path],
    target: Target,
    password: str,
    timeout_s: int = 60,
    run: Callable[..., subprocess.CompletedProcess[str]] = subprocess.run,
) -> tuple[bool, str]:
    """Send the files in order, one rsync each (the archive, then its sidecar); (True, '') when
    all arrived, else (False, the first line of rsync's error)."""
    env = {**os.environ, "RSYNC_PASSWORD": password}
    for path in files:
        result = run(
            rsync_command([path], target, timeout_s),
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        if result.returncode != 0:
            lines = (result.stderr or result.stdout).strip().splitlines()
            return False, f"rsync exit {result.returncode}: {lines[0] if lines else ''}"
    return True, ""


def read_password(password_file: Path | None) -> str | None:
    """The rsync password: the file's first line when a file is given, else RSYNC_PASSWORD,
    else None."""
    if password_file is not None:
        try:
            return password_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise DifusorError(f"cannot read the password file {password_file}: {exc}") from None
    return os.environ.get("RSYNC_PASSWORD") or None
