"""Benchmark: what the field's scanners say of a stock image and of a provisioned difusor.

It starts its own sandbox (`difusor sandbox up --name bench-security`): two systemd hosts of the
same image (default ubuntu2204), `stock` (left as the image is) and `target` (provisioned with
playbooks/site.yml, the sandbox's settings), the sandbox's NTP server and a `probe` client. Then,
for each host, side by side:

- Lynis (the distribution's package, installed in the host): hardening index, and where the
  provisioned host still loses points, by test;
- ssh-audit (the project's pinned version, requirements/dev.txt, from this machine, a trusted
  source): fail and warn counts with `--skip-rate-test -l warn`;
- testssl.sh (the distribution's package, installed in the probe) against port 443: findings of
  severity MEDIUM or above, from its --jsonfile;
- `systemd-analyze security` exposure of difusor's own units (roles/*/templates/*.service.j2).

    .venv/bin/python bench/security.py [--image ubuntu2204] [--keep]

The sandbox is removed at the end unless --keep. Nothing is asserted: it prints a table.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
NAME = "bench-security"
WEB_ARCHIVE = ROOT / ".difusor" / "images" / "web.tar"
SEVERITIES = ("MEDIUM", "HIGH", "CRITICAL")
APT = "DEBIAN_FRONTEND=noninteractive apt-get"


ENV = dict(
    os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", PYTHONPATH=str(ROOT / "src")
)


def run(*command: str, check: bool = True, timeout: float | None = None):
    return subprocess.run(
        command, cwd=ROOT, env=ENV, text=True, capture_output=True, check=check, timeout=timeout
    )


def difusor(*args: str, timeout: float | None = None) -> str:
    return run(str(BIN / "difusor"), *args, timeout=timeout).stdout


def in_host(container: str, script: str, check: bool = True, timeout: float | None = None):
    return run("docker", "exec", container, "sh", "-c", script, check=check, timeout=timeout)


def progress(message: str, start: float) -> None:
    print(f"[{time.monotonic() - start:6.0f} s] {message}", flush=True)


def difusor_units() -> list[str]:
    return sorted(p.name.removesuffix(".j2") for p in ROOT.glob("roles/*/templates/*.service.j2"))


def write_inventory_vars(work: Path) -> None:
    """The sandbox's group_vars (inventory/sandbox), with the web image archive's real path."""
    text = (ROOT / "inventory/sandbox/group_vars/difusores.yml").read_text()
    text = text.replace("{{ inventory_dir }}/../../.difusor/images/web.tar", str(WEB_ARCHIVE))
    (work / "group_vars" / "all").mkdir(parents=True)
    (work / "group_vars" / "difusores.yml").write_text(text)


def lynis(container: str) -> tuple[int, Counter]:
    """Hardening index, and the points lost by test ID (read from lynis.log)."""
    in_host(container, f"{APT} update -qq && {APT} install -y -qq lynis >/dev/null", timeout=900)
    audit = "lynis audit system --quick --no-colors >/dev/null 2>&1"
    in_host(container, audit, check=False, timeout=900)
    report = in_host(container, "cat /var/log/lynis-report.dat").stdout
    index = int(re.search(r"^hardening_index=(\d+)", report, re.M).group(1))
    lost: Counter = Counter()
    test = None
    for line in in_host(container, "cat /var/log/lynis.log").stdout.splitlines():
        if found := re.search(r"Performing test ID (\S+)", line):
            test = found.group(1)
        elif found := re.search(
            r"assigned partial number of hardening points \((\d+) of (\d+)", line
        ):
            lost[test] += int(found.group(2)) - int(found.group(1))
    return index, +lost


def ssh_audit(address: str) -> tuple[int, int]:
    command = (sys.executable, "-m", "ssh_audit", "--skip-rate-test", "-l", "warn", address)
    result = run(*command, check=False, timeout=120)
    out = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout)
    if result.returncode == 1:  # ssh-audit's CONNECTION_ERROR; 0 good, 2 warn, 3 fail
        return -1, -1
    return len(re.findall(r"-- \[fail\]", out)), len(re.findall(r"-- \[warn\]", out))


def testssl(probe: str, address: str) -> list[str] | None:
    """Findings of severity MEDIUM or above (id: finding), or None when nothing listens on 443."""
    if in_host(probe, f"timeout 5 bash -c '</dev/tcp/{address}/443'", check=False).returncode:
        return None
    scan = f"testssl --quiet --warnings off --jsonfile /tmp/testssl.json {address}:443"
    in_host(probe, f"rm -f /tmp/testssl.json; {scan} >/dev/null 2>&1", check=False, timeout=1200)
    findings = json.loads(in_host(probe, "cat /tmp/testssl.json").stdout or "[]")
    return [f"{f['id']}: {f['finding']}" for f in findings if f.get("severity") in SEVERITIES]


def exposure(container: str, units: list[str]) -> dict[str, str]:
    scores = {}
    for unit in units:
        command = f"systemd-analyze security --no-pager {unit} 2>/dev/null | tail -1"
        out = in_host(container, command, check=False).stdout
        found = re.search(r"Overall exposure level for \S+: ([\d.]+ \S+)", out)
        scores[unit] = found.group(1) if found else "-"
    return scores


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image", default="ubuntu2204", help="image recipe of both hosts")
    parser.add_argument("--keep", action="store_true", help="leave the sandbox up")
    args = parser.parse_args()
    start = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="bench-security-"))
    inventory = work / "hosts.yml"
    write_inventory_vars(work)
    platforms = [
        {"name": "target", "image": args.image, "groups": ["difusores"]},
        {"name": "stock", "image": args.image, "groups": ["stock"]},
        {"name": "probe", "image": "client", "groups": ["clients"]},
    ]
    if not WEB_ARCHIVE.exists():
        progress("saving the web image for the offline install", start)
        WEB_ARCHIVE.parent.mkdir(parents=True, exist_ok=True)
        run("docker", "save", "--output", str(WEB_ARCHIVE), "difusor/web:latest")
    progress(f"starting sandbox {NAME}: target and stock ({args.image}), probe, NTP", start)
    sandbox = ("--name", NAME, "--inventory", str(inventory))
    difusor("sandbox", "up", *sandbox, "--platforms", json.dumps(platforms), timeout=1800)
    log = work / "site.log"
    try:
        difusor(
            "sandbox", "ntp", "--name", NAME, "--vars-out", str(work / "group_vars/all/ntp.yml")
        )
        status = json.loads(difusor("sandbox", "status", "--name", NAME, "--json"))
        hosts = {h["name"]: h for h in status}
        progress(f"provisioning target with playbooks/site.yml (log: {log})", start)
        playbook = (str(BIN / "ansible-playbook"), "-i", str(inventory), "playbooks/site.yml")
        with open(log, "w") as out:
            site = subprocess.run(
                (*playbook, "--limit", "target"),
                cwd=ROOT, env=ENV, stdout=out, stderr=subprocess.STDOUT, check=False,
            )  # fmt: skip
        if site.returncode:
            tail = log.read_text().splitlines()[-40:]
            print("\n".join(tail), file=sys.stderr)
            print(f"provisioning failed (exit {site.returncode})", file=sys.stderr)
            return 1
        progress("installing testssl.sh in the probe (the distribution's package)", start)
        install = f"{APT} update -qq && {APT} install -y -qq testssl.sh >/dev/null"
        in_host(hosts["probe"]["container"], install, timeout=900)
        units = difusor_units()
        results = {}
        for name in ("stock", "target"):
            host = hosts[name]
            progress(f"{name}: Lynis", start)
            index, lost = lynis(host["container"])
            progress(f"{name}: ssh-audit", start)
            fails, warns = ssh_audit(host["address"])
            progress(f"{name}: testssl.sh on 443", start)
            tls = testssl(hosts["probe"]["container"], host["address"])
            progress(f"{name}: systemd-analyze security", start)
            results[name] = {
                "lynis": index, "lost": lost, "ssh": (fails, warns), "tls": tls,
                "units": exposure(host["container"], units),
            }  # fmt: skip
        target_host = hosts["target"]["container"]
        system = in_host(target_host, ". /etc/os-release && echo $PRETTY_NAME").stdout.strip()
        lynis_version = in_host(target_host, "lynis --version").stdout.strip()
    finally:
        if not args.keep:
            progress(f"removing the sandbox {NAME}", start)
            run(str(BIN / "difusor"), "sandbox", "down", *sandbox, check=False)
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"sandbox {NAME} left up; inventory and provisioning log under {work}")
    stock, target = results["stock"], results["target"]

    def ssh_cell(counts: tuple[int, int]) -> str:
        return "no answer" if counts[0] < 0 else f"{counts[0]} fail, {counts[1]} warn"

    def tls_cell(findings: list[str] | None) -> str:
        return "nothing on 443" if findings is None else f"{len(findings)} MEDIUM+"

    def row(check: str, before: object, after: object) -> None:
        print(f"{check:<50}{before!s:>18}{after!s:>18}")

    print()
    print(f"difusor security benchmark: {system} ({args.image}), stock image vs provisioned")
    row("check", "stock", "provisioned")
    row(f"Lynis {lynis_version} hardening index", stock["lynis"], target["lynis"])
    row("ssh-audit (--skip-rate-test -l warn)", ssh_cell(stock["ssh"]), ssh_cell(target["ssh"]))
    row("testssl.sh findings MEDIUM or above", tls_cell(stock["tls"]), tls_cell(target["tls"]))
    for unit in units:
        row(f"systemd-analyze security {unit}", stock["units"][unit], target["units"][unit])
    for finding in target["tls"] or []:
        print(f"  testssl.sh on the provisioned host: {finding}")
    lost = ", ".join(f"{test} {points}" for test, points in target["lost"].most_common())
    print(f"Lynis points the provisioned host still loses, by test: {lost}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
