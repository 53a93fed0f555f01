"""Benchmark: `difusor audit` on one sandbox host, and on 10 hosts in parallel versus one after
another.

It starts its own sandbox (`difusor sandbox up --name audit-bench`, 10 Debian 12 systemd hosts
in group difusores, NOT provisioned: the suite runs its ~38 checks all the same, most of them
fail fast), audits one host, then the 10 with --parallel 10 and with --parallel 1, and prints
the wall times side by side. The sandbox is removed at the end unless --keep.

    .venv/bin/python bench/audit.py [--hosts 10] [--keep]

The report of each run is written under a temporary directory; timings are not asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
NAME = "audit-bench"


def run(*command: str, check: bool = True) -> subprocess.CompletedProcess:
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    return subprocess.run(command, cwd=ROOT, env=env, text=True, capture_output=True, check=check)


def audit(inventory: Path, out: Path, parallel: int, limit: str) -> tuple[float, dict]:
    start = time.monotonic()
    result = run(
        sys.executable, "-m", "difusor.compliance.cli", "audit",
        "-i", str(inventory), "--limit", limit,
        "--parallel", str(parallel), "--format", "json", "-o", str(out), "--no-progress",
        check=False,
    )  # fmt: skip
    elapsed = time.monotonic() - start
    if result.returncode == 2:
        sys.exit(f"audit could not run:\n{result.stderr}")
    report = json.loads((out / "informe-auditoria.json").read_text())
    return elapsed, report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=10)
    parser.add_argument("--keep", action="store_true", help="leave the sandbox up")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-audit-"))
    inventory = work / "hosts.yml"
    platforms = [
        {"name": f"bench{i:02d}", "image": "debian12", "groups": ["difusores", f"g{i:02d}"]}
        for i in range(1, args.hosts + 1)
    ]
    print(f"starting {args.hosts} sandbox hosts (not provisioned) ...", flush=True)
    start = time.monotonic()
    run(str(BIN / "difusor"), "sandbox", "up", "--name", NAME, "--platforms", json.dumps(platforms),
        "--inventory", str(inventory))  # fmt: skip
    print(f"  up in {time.monotonic() - start:.0f} s", flush=True)
    try:
        one, report = audit(inventory, work / "one", 1, "g01")
        checks = sum(len(r["tests"]) for r in report["hosts"][0]["requirements"])
        parallel, report_p = audit(inventory, work / "parallel", args.hosts, "difusores")
        sequential, report_s = audit(inventory, work / "sequential", 1, "difusores")
    finally:
        if not args.keep:
            run(str(BIN / "difusor"), "sandbox", "down", "--name", NAME, "--inventory",
                str(inventory), check=False)  # fmt: skip
    audited = [sum(h["status"] == "ok" for h in r["hosts"]) for r in (report_p, report_s)]
    cpus = os.cpu_count()
    print()
    print(f"difusor audit, {checks} test results per host, this machine: {cpus} CPUs")
    print(f"{'run':<34}{'hosts':>6}{'wall s':>9}{'s/host':>9}")
    print(f"{'one host':<34}{1:>6}{one:>9.1f}{one:>9.1f}")
    print(f"{f'{args.hosts} hosts, one after another':<34}{audited[1]:>6}{sequential:>9.1f}"
          f"{sequential / args.hosts:>9.1f}")  # fmt: skip
    print(f"{f'{args.hosts} hosts in parallel':<34}{audited[0]:>6}{parallel:>9.1f}"
          f"{parallel / args.hosts:>9.1f}")  # fmt: skip
    print(f"parallel speed-up: {sequential / parallel:.2f}x; reports under {work}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
