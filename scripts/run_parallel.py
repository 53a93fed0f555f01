#!/usr/bin/env python3
"""Run shell commands concurrently, each output line prefixed with its job's name.

`make test` runs lint, unit and each molecule scenario with it, so that CI's log stays readable
while the jobs interleave. At the end it prints each job's result and wall time, and exits 1 if
any job failed (all jobs run to their end; Ctrl-C or SIGTERM stops them all).
Usage: run_parallel.py NAME=COMMAND [NAME=COMMAND ...]
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time

_print_lock = threading.Lock()


def _emit(line: str) -> None:
    with _print_lock:
        sys.stdout.write(line)
        sys.stdout.flush()


def _pump(name: str, stream) -> None:
    prefix = f"[{name}] "
    for raw in iter(stream.readline, b""):
        _emit(prefix + raw.decode("utf-8", "replace").rstrip("\r\n") + "\n")
    stream.close()


def main(argv: list[str]) -> int:
    jobs = [arg.split("=", 1) for arg in argv[1:]]
    if not jobs or any(len(job) != 2 or not job[0] for job in jobs):
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    running = []
    for name, command in jobs:
        _emit(f"[{name}] START {command}\n")
        process = subprocess.Popen(
            ["bash", "-o", "pipefail", "-c", command],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,  # its own process group: stopped as a whole on SIGTERM
        )
        pump = threading.Thread(target=_pump, args=(name, process.stdout), daemon=True)
        pump.start()
        running.append((name, process, pump, time.monotonic()))

    def stop(signum, _frame):
        for _name, process, _pump_thread, _start in running:
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    results = {}

    def wait(name, process, pump, start):
        rc = process.wait()
        # A daemon a job left behind may hold its output open: do not wait for it long.
        pump.join(timeout=10)
        results[name] = (rc, time.monotonic() - start)
        _emit(f"[{name}] END {'OK' if rc == 0 else f'FAILED (exit {rc})'}\n")

    waiters = [threading.Thread(target=wait, args=job, daemon=True) for job in running]
    for waiter in waiters:
        waiter.start()
    for waiter in waiters:
        while waiter.is_alive():  # join with a timeout: signals still reach the main thread
            waiter.join(timeout=1)
    results = [(name, *results[name]) for name, _command in jobs]

    width = max(len(name) for name, _rc, _t in results)
    lines = ["", "Summary:"]
    for name, rc, seconds in results:
        minutes, secs = divmod(round(seconds), 60)
        outcome = "OK" if rc == 0 else f"FAILED (exit {rc})"
        lines.append(f"  {name:<{width}}  {outcome:<16} {minutes:3d}m{secs:02d}s")
    failed = [name for name, rc, _t in results if rc != 0]
    summary = f"{len(results) - len(failed)} of {len(results)} jobs OK"
    lines.append(summary + (f"; failed: {', '.join(failed)}" if failed else ""))
    _emit("\n".join(lines) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
