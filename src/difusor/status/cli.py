"""`difusor status -i INVENTORY`: per difusor host, the live cut and its age against the update
period (I.H), the last arrivals and verdicts, the watchdog, notice mode (V.ii.4), requests per
minute and error rate, bans; refreshed every few seconds, or once (text or JSON)."""

from __future__ import annotations

import argparse
import subprocess
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from difusor import tools
from difusor.drill.remote import Remote
from difusor.status import render
from difusor.status.snapshot import fetch_all
from difusor.status.view import host_view


def watch(
    remotes: list[Remote],
    *,
    once: bool,
    fmt: str,
    lang: str,
    interval_s: float,
    count: int,
    console,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Fetch and show; with `once` a single snapshot, else `count` refreshes (0: until
    interrupted). Exit 1 when a host gave no snapshot (once), else 0."""

    def refresh():
        snapshots = fetch_all(remotes)
        return snapshots, [host_view(snapshot) for snapshot in snapshots]

    if once or fmt == "json":
        snapshots, views = refresh()
        now = datetime.now(timezone.utc)
        if fmt == "json":
            print(render.as_json(views, snapshots, now))
        else:
            console.print(render.table(views, lang, now))
        return 1 if any(view.error for view in views) else 0
    from rich.live import Live

    done = 0
    with Live(console=console, auto_refresh=False, transient=False) as live:
        while True:
            _, views = refresh()
            live.update(render.table(views, lang), refresh=True)
            done += 1
            if count and done >= count:
                return 0
            sleep(interval_s)


def cmd_status(
    args: argparse.Namespace,
    runner: Callable[..., subprocess.CompletedProcess[str]] = subprocess.run,
) -> int:
    from rich.console import Console

    from difusor import inventory
    from difusor.drill.inventory import select_hosts

    tools.require("ssh")
    inv = inventory.read(args.inventory, vault_password_file=args.vault_password_file)
    hosts = select_hosts(inv, args.limit, push=False)
    remotes = [Remote(host, runner) for host in hosts]
    return watch(
        remotes,
        once=args.once,
        fmt=args.format,
        lang=args.lang,
        interval_s=args.interval,
        count=args.count,
        console=Console(),
    )


def register(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """`difusor status` (controller side)."""
    parser = commands.add_parser(
        "status",
        help="the difusores at a glance: live cut and age, arrivals and verdicts, watchdog, "
        "notice, requests, bans (refreshed, or --once)",
    )
    parser.add_argument("-i", "--inventory", type=Path, required=True, help="inventory file")
    parser.add_argument("--limit", help="only these hosts of group difusores")
    parser.add_argument("--once", action="store_true", help="print one snapshot and exit")
    parser.add_argument("--format", choices=["text", "json"], default="text")
    parser.add_argument("--lang", choices=sorted(render.LABELS), default="es")
    parser.add_argument(
        "--interval", type=float, default=5.0, help="seconds between refreshes (default: 5)"
    )
    parser.add_argument(
        "--count", type=int, default=0, help="stop after N refreshes (default: until Ctrl-C)"
    )
    parser.add_argument(
        "--vault-password-file", type=Path, help="for an inventory with Vault-encrypted files"
    )
    parser.set_defaults(func=cmd_status)
    return parser
