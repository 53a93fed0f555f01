"""Run the compliance suite on hosts: one pytest subprocess per host, hosts in parallel.

Each run writes a JSON results file (difusor.compliance.plugin); a host that cannot be reached,
or whose run breaks, becomes a host-level error in the report instead of a crash or a skip.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from difusor import inventory
from difusor.errors import DifusorError

HOST_TIMEOUT_S = 1800
ProgressFn = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Target:
    name: str
    url: str
    extra_args: tuple[str, ...] = ()


@dataclass
class SuiteOptions:
    catalog: Path
    trusted_vantage: str | None = None
    untrusted_vantage: str | None = None
    portal_url: str | None = None
    portal_ca_file: str | None = None  # a path on the vantage host
    target_address: str | None = None
    extra_args: list[str] = field(default_factory=list)
    vault_password_file: Path | None = None  # for the inventory (the environment, not args)

    def args(self) -> list[str]:
        args = ["--catalog", str(self.catalog)]
        for option, value in (
            ("--trusted-vantage", self.trusted_vantage),
            ("--untrusted-vantage", self.untrusted_vantage),
            ("--portal-url", self.portal_url),
            ("--portal-ca-file", self.portal_ca_file),
            ("--target-address", self.target_address),
        ):
            if value:
                args += [option, value]
        return args + list(self.extra_args)


def suite_dir() -> Path:
    """The compliance suite of the checkout (tests/compliance)."""
    return inventory.find_checkout() / "tests" / "compliance"


def tool_env(vault_password_file: Path | None = None) -> dict[str, str]:
    """The environment of the subprocesses: this virtualenv's tools (ansible-inventory) first,
    the checkout's ansible.cfg, and the Vault password file for testinfra's Ansible backend."""
    env = inventory.ansible_env()
    env["PY_COLORS"] = "0"
    if vault_password_file is not None:
        env["ANSIBLE_VAULT_PASSWORD_FILE"] = str(Path(vault_password_file).resolve())
    return env


def inventory_targets(
    path: Path, limit: str, vault_password_file: Path | None = None
) -> list[Target]:
    """One ansible:// target per host that `limit` names (comma-separated group or host names)
    in the inventory, in inventory order."""
    names = inventory.read(path, vault_password_file=vault_password_file).hosts(limit)
    if not names:
        raise DifusorError(f"no host in {limit!r} of {path} (choose a group or hosts with --limit)")
    extra = ("--ansible-inventory", str(Path(path).resolve()))  # the suite runs in the checkout
    return [Target(name, f"ansible://{name}", extra) for name in names]


def url_targets(urls: list[str]) -> list[Target]:
    targets = []
    for url in urls:
        if "://" not in url:
            raise DifusorError(
                f"{url!r} is not a testinfra URL (ssh://user@host, paramiko://, docker://name, "
                "local://, ansible://host with -i)"
            )
        name = url.split("://", 1)[1].split("?", 1)[0].rsplit("@", 1)[-1] or url
        targets.append(Target(name, url))
    return targets


def command(target: Target, options: SuiteOptions, results: Path, progress: Path) -> list[str]:
    return [
        sys.executable, "-m", "pytest", str(suite_dir()),
        f"--hosts={target.url}", *target.extra_args,
        "-p", "difusor.compliance.plugin",
        f"--results={results}", f"--progress-file={progress}",
        *options.args(),
        "--rootdir", str(inventory.find_checkout()), "-p", "no:cacheprovider", "-o", "addopts=",
        "-q", "--no-header", "-rN", "--tb=short",
    ]  # fmt: skip


def run_host(
    target: Target, options: SuiteOptions, work: Path, progress: ProgressFn | None = None
) -> dict[str, Any]:
    """Run the suite on one host; its results, or a host error that says what happened."""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in target.name)
    results, progress_file, log = (work / f"{safe}.{ext}" for ext in ("json", "progress", "log"))
    for path in (results, progress_file):
        path.unlink(missing_ok=True)
    progress_file.touch()
    done = threading.Event()

    def report_progress() -> None:
        lines = progress_file.read_text().split()
        if progress and len(lines) >= 2:
            progress(target.name, int(lines[-2]), int(lines[-1]))

    def watch() -> None:
        while not done.wait(0.3):
            report_progress()

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    started = time.monotonic()
    try:
        with open(log, "w", encoding="utf-8") as out:
            proc = subprocess.run(
                command(target, options, results, progress_file),
                stdout=out, stderr=subprocess.STDOUT, cwd=inventory.find_checkout(),
                env=tool_env(options.vault_password_file),
                timeout=HOST_TIMEOUT_S, check=False,
            )  # fmt: skip
        returncode: int | None = proc.returncode
    except subprocess.TimeoutExpired:
        returncode = None
    finally:
        done.set()
        watcher.join()
        report_progress()
    data: dict[str, Any] = {}
    if results.exists():
        data = json.loads(results.read_text(encoding="utf-8"))
    if returncode is None:
        data["run_error"] = f"the suite did not finish within {HOST_TIMEOUT_S} s"
    elif not data.get("tests") and not data.get("host_error"):
        tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-15:]
        data["run_error"] = f"pytest exited {returncode}; log {log}:\n" + "\n".join(tail)
    data["elapsed_s"] = round(time.monotonic() - started, 2)
    return data


def run_all(
    targets: list[Target],
    options: SuiteOptions,
    work: Path,
    parallel: int,
    progress: ProgressFn | None = None,
) -> list[dict[str, Any]]:
    """Results of every target, in the targets' order (parallel: how many at once)."""
    work.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
        futures = [pool.submit(run_host, target, options, work, progress) for target in targets]
        return [future.result() for future in futures]
