"""Benchmark: how Ansible reaches the molecule hosts (issue 18: make test's time).

Every molecule host is a systemd container reached with a community.docker connection. This
runs the same playbook (gather facts, then 60 small module tasks: stat, command, file, copy,
lineinfile, as a role does) against 3 sandbox hosts in three ways, side by side, in turns:

- `docker`: the `docker` CLI per step, no pipelining (what molecule did before);
- `docker+pipelining`: the same with pipelining (one `docker exec` per task instead of ~4);
- `docker_api+pipelining`: the Docker API straight from Python, no CLI process per step.

and prints each way's median wall time and its ratio to the first. Timings are not asserted.

    .venv/bin/python bench/connection.py [--rounds 3] [--hosts 3] [--keep]

It starts its own sandbox (`difusor sandbox up --name conn-bench`, Ubuntu 22.04 hosts, not
provisioned) and removes it at the end unless --keep.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
NAME = "conn-bench"
WAYS = {
    "docker": ("community.docker.docker", False),
    "docker+pipelining": ("community.docker.docker", True),
    "docker_api+pipelining": ("community.docker.docker_api", True),
}
TASKS_PER_KIND = 12
PLAYBOOK = """\
- name: A role's worth of small tasks
  hosts: all
  gather_facts: true
  tasks:
    - name: Stat
      ansible.builtin.stat:
        path: /etc/hostname
      loop: "{{ range(N) | list }}"
    - name: Command
      ansible.builtin.command: "true"
      changed_when: false
      loop: "{{ range(N) | list }}"
    - name: Directory
      ansible.builtin.file:
        path: /tmp/bench-{{ item }}
        state: directory
        mode: "0755"
      loop: "{{ range(N) | list }}"
    - name: Copy
      ansible.builtin.copy:
        dest: /tmp/bench-{{ item }}/file
        content: "{{ item }}\\n"
        mode: "0644"
      loop: "{{ range(N) | list }}"
    - name: Line
      ansible.builtin.lineinfile:
        path: /tmp/bench-{{ item }}/file
        line: "bench"
      loop: "{{ range(N) | list }}"
""".replace("N)", f"{TASKS_PER_KIND})")


def run(*command: str, env: dict | None = None) -> subprocess.CompletedProcess:
    path_env = {"PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run(
        command,
        cwd=ROOT,
        env=dict(os.environ, **path_env, **(env or {})),
        text=True,
        capture_output=True,
        check=True,
    )


def inventory(hosts: list[dict], plugin: str, pipelining: bool) -> str:
    lines = ["all:", "  hosts:"]
    for host in hosts:
        lines += [
            f"    {host['name']}:",
            f"      ansible_host: {host['container']}",
            f"      ansible_connection: {plugin}",
            f"      ansible_pipelining: {str(pipelining).lower()}",
            "      ansible_user: root",
        ]
    return "\n".join(lines) + "\n"


def play(workdir: Path, way: str) -> float:
    start = time.monotonic()
    run(
        str(BIN / "ansible-playbook"),
        "-i",
        str(workdir / f"{way}.yml"),
        str(workdir / "playbook.yml"),
        env={"ANSIBLE_CONFIG": str(workdir / "ansible.cfg")},
    )
    return time.monotonic() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--hosts", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="leave the sandbox running")
    args = parser.parse_args()
    platforms = [
        {"name": f"h{index}", "image": "ubuntu2204", "groups": ["bench"]}
        for index in range(1, args.hosts + 1)
    ]
    with tempfile.TemporaryDirectory(prefix="conn-bench-") as tmp:
        workdir = Path(tmp)
        print(f"starting {args.hosts} sandbox hosts ...", file=sys.stderr)
        hosts = json.loads(
            run(
                str(BIN / "difusor"),
                "sandbox",
                "up",
                f"--name={NAME}",
                f"--state-dir={workdir / 'state'}",
                f"--platforms={json.dumps(platforms)}",
                "--json",
            ).stdout
        )
        try:
            (workdir / "playbook.yml").write_text(PLAYBOOK)
            (workdir / "ansible.cfg").write_text(
                "[defaults]\nforks = 20\ninterpreter_python = auto_silent\n"
                "gathering = implicit\nretry_files_enabled = false\n"
            )
            for way, (plugin, pipelining) in WAYS.items():
                (workdir / f"{way}.yml").write_text(inventory(hosts, plugin, pipelining))
            times: dict[str, list[float]] = {way: [] for way in WAYS}
            for round_number in range(1, args.rounds + 1):
                for way in WAYS:
                    seconds = play(workdir, way)
                    times[way].append(seconds)
                    print(f"round {round_number}: {way:<22} {seconds:6.1f} s", file=sys.stderr)
        finally:
            if not args.keep:
                run(str(BIN / "difusor"), "sandbox", "down", f"--name={NAME}")
    tasks = 1 + 5 * TASKS_PER_KIND
    base = statistics.median(times["docker"])
    print(f"{tasks} module runs on each of {args.hosts} hosts, median of {args.rounds} rounds:")
    for way, values in times.items():
        median = statistics.median(values)
        print(f"  {way:<22} {median:6.1f} s   ratio to docker {median / base:4.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
