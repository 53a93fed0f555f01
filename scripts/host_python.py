#!/usr/bin/env python3
"""The host side of difusor on every target's own Python: 3.10 (Ubuntu 22.04) to 3.13 (Debian 13).

The library bundle (src/difusor, unpacked under the library directory of a server), the Ansible
module that calls it and the scripts the audit runs with `python3 -c` all run with the host's
python3, its standard library and python3-yaml (python3-brotli when present). Two checks:

  lint [PATH...]  vermin: nothing newer than Python 3.10 in HOST_TREE and the audit's remote
                  scripts (or in PATH... only). `make lint` runs it.
  test            HOST_TESTS under every Python 3.10 to 3.13 on this machine (pyenv's, or
                  python3.M on PATH), each in a small virtualenv under .cache/hostpy/<version>
                  with requirements/host-tests.txt (pytest and PyYAML only, as on a server).
                  `make unit` runs it; with none of those interpreters it says so and passes.

Syntax newer than 3.10 (except*, nested same-quote f-strings, `type` statements) is also refused
by ruff, whose target-version is py310. Run with the controller's virtualenv (vermin is in
requirements/dev.txt).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# What runs on the hosts. filter_plugins/ is not in it: Jinja filters run on the controller.
HOST_TREE = ("src/difusor", "library")
# The oldest Python of a target (Ubuntu 22.04); `-` means "this one or older may run it".
VERMIN_ARGS = (
    "--no-config-file",
    "--no-tips",
    "--violations",
    "--target=3.10-",
    "--eval-annotations",
)
# Modules whose upper-case string constants are scripts run on a host with `python3 -c`.
REMOTE_SCRIPT_MODULES = ("difusor.compliance.remote",)

HOST_MINORS = (10, 11, 12, 13)
HOST_REQUIREMENTS = ROOT / "requirements" / "host-tests.txt"
HOST_VENVS = ROOT / ".cache" / "hostpy"
# The unit tests of the code that runs on the hosts: the publisher (verify, extract, publish,
# ingest, journal, generate for the drill), a cluster's distribution and agents, the web watchdog
# and notice mode, the CLI's host commands and imports. They need neither Ansible nor Docker nor
# anything outside the stdlib, PyYAML and pytest.
HOST_TESTS = (
    "tests/unit/test_cli_host_imports.py",
    "tests/unit/test_cluster.py",
    "tests/unit/test_package_cli.py",
    "tests/unit/test_package_generate.py",
    "tests/unit/test_package_ingest.py",
    "tests/unit/test_package_layout.py",
    "tests/unit/test_package_publish.py",
    "tests/unit/test_package_verify.py",
    "tests/unit/test_metrics.py",
    "tests/unit/test_web_freshness.py",
    "tests/unit/test_web_notice.py",
)


# --- lint -------------------------------------------------------------------------------------


def vermin_command(paths: list[str]) -> list[str]:
    """vermin of this interpreter's environment (it has no `python -m vermin`)."""
    beside = Path(sys.executable).parent / "vermin"
    vermin = str(beside) if beside.exists() else shutil.which("vermin") or "vermin"
    return [vermin, *VERMIN_ARGS, *paths]


def remote_scripts(out_dir: Path) -> list[str]:
    """Write each remote script to OUT_DIR/<module>.<NAME>.py; their paths."""
    sys.path.insert(0, str(ROOT / "src"))
    import importlib

    written = []
    for name in REMOTE_SCRIPT_MODULES:
        module = importlib.import_module(name)
        for attr, value in sorted(vars(module).items()):
            if attr.isupper() and isinstance(value, str):
                path = out_dir / f"{name}.{attr}.py"
                path.write_text(value)
                written.append(str(path))
    return written


def lint(paths: list[str]) -> int:
    if not Path(vermin_command([])[0]).exists():
        print("host_python: vermin is not installed (requirements/dev.txt): run make setup")
        return 2
    with tempfile.TemporaryDirectory(prefix="difusor-remote-") as scripts:
        if not paths:
            paths = [*HOST_TREE, *remote_scripts(Path(scripts))]
        command = vermin_command(paths)
        shown = " ".join(["vermin", *command[1:]]).replace(scripts, "<remote scripts>")
        print(f"host_python: {shown}", flush=True)
        return subprocess.run(command, cwd=ROOT).returncode


# --- test -------------------------------------------------------------------------------------


def _usable_version(python: str) -> str | None:
    """The version of an interpreter that can build the test virtualenv: not itself a virtualenv,
    with venv and ensurepip (Debian's python3.M without python3.M-venv has none). None if not."""
    probe = (
        "import sys, venv, ensurepip; assert sys.prefix == sys.base_prefix; "
        "print('%d.%d.%d' % sys.version_info[:3])"
    )
    try:
        out = subprocess.run([python, "-c", probe], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def _pyenv_root() -> Path:
    if "PYENV_ROOT" in os.environ:
        return Path(os.environ["PYENV_ROOT"])
    if pyenv := shutil.which("pyenv"):
        out = subprocess.run([pyenv, "root"], capture_output=True, text=True)
        if out.returncode == 0 and out.stdout.strip():
            return Path(out.stdout.strip())
    return Path.home() / ".pyenv"


def interpreters() -> tuple[dict[int, tuple[str, str]], list[int]]:
    """For each minor version 3.10 to 3.13: (version, path) of pyenv's newest patch release, else
    of python3.M on PATH (see _usable_version); and the minor versions not found."""
    versions = _pyenv_root() / "versions"
    found: dict[int, tuple[str, str]] = {}
    for minor in HOST_MINORS:
        candidates = []
        if versions.is_dir():
            releases = [d for d in versions.iterdir() if re.fullmatch(rf"3\.{minor}\.\d+", d.name)]
            releases.sort(key=lambda d: int(d.name.split(".")[2]), reverse=True)
            candidates += [str(d / "bin" / f"python3.{minor}") for d in releases]
        if on_path := shutil.which(f"python3.{minor}"):
            candidates.append(on_path)
        for python in candidates:
            version = _usable_version(python)
            if version and version.startswith(f"3.{minor}."):
                found[minor] = (version, python)
                break
    return found, [minor for minor in HOST_MINORS if minor not in found]


def ensure_venv(version: str, python: str) -> Path:
    """The test virtualenv for one interpreter, built only when missing or out of date."""
    venv = HOST_VENVS / version
    stamp = venv / ".installed"
    wanted = hashlib.sha256(
        HOST_REQUIREMENTS.read_bytes() + f"\n{python} {version}".encode()
    ).hexdigest()
    if (venv / "bin" / "python").exists() and stamp.exists() and stamp.read_text() == wanted:
        return venv
    print(f"host_python: building {os.path.relpath(venv, ROOT)} ({python})", flush=True)
    shutil.rmtree(venv, ignore_errors=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--disable-pip-version-check"]
    for command in (
        [python, "-m", "venv", str(venv)],
        [*pip, "--quiet", "-r", str(HOST_REQUIREMENTS)],
    ):
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode:
            print(done.stdout + done.stderr, end="", file=sys.stderr)
            raise SystemExit(f"host_python: {' '.join(command)} failed (exit {done.returncode})")
    stamp.write_text(wanted)
    return venv


def run_tests(venv: Path) -> tuple[int, str, float]:
    """(exit code, pytest's output, seconds) of HOST_TESTS under one virtualenv."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("VIRTUAL_ENV", "PYTHONHOME", "PYTHONPATH")
    }
    env |= {
        "PYTHONPATH": str(ROOT / "src"),  # the library as the bundle ships it: not installed
        "PYTHONDONTWRITEBYTECODE": "1",
        "PATH": f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
    }
    command = [
        str(venv / "bin" / "python"),
        "-m",
        "pytest",
        "-q",
        "--tb=short",
        "-p",
        "no:cacheprovider",
    ]
    started = time.monotonic()
    done = subprocess.run(
        [*command, *HOST_TESTS],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr, time.monotonic() - started


def test() -> int:
    found, missing = interpreters()
    if not found:
        print(
            "host_python: no Python 3.10 to 3.13 with venv on this machine (pyenv versions, "
            "python3.M on PATH): host-side tests under the targets' Pythons skipped"
        )
        return 0
    results = []
    started = time.monotonic()
    for version, python in (found[minor] for minor in sorted(found)):
        venv = ensure_venv(version, python)
        rc, output, seconds = run_tests(venv)
        lines = output.strip().splitlines()
        summary = lines[-1].strip("= ") if lines else f"exit {rc}"
        if rc:
            print(output, end="")
        print(f"host_python: Python {version} ({python}): {summary} ({seconds:.0f} s)", flush=True)
        results.append((version, rc))
    if missing:
        absent = ", ".join(f"3.{minor}" for minor in missing)
        print(f"host_python: not on this machine (or without venv), not run: Python {absent}")
    failed = [version for version, rc in results if rc]
    ran = ", ".join(version for version, _ in results)
    verdict = f"FAILED on {', '.join(failed)}" if failed else "passed"
    print(
        f"host_python: host-side tests ran under Python {ran}: {verdict} "
        f"in {time.monotonic() - started:.0f} s"
    )
    return 1 if failed else 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["lint"]:
        return lint(argv[1:])
    if argv == ["test"]:
        return test()
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
