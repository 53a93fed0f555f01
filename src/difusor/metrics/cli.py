"""`difusor metrics write|show`, on a difusor host (as the publisher's account, or root).

- write: measure, advance the access-log counters, and replace OUT/difusor.prom atomically (a
  temporary file in the same directory renamed over it), for node exporter's textfile
  collector. Run it every minute (a systemd timer).
- show: measure without writing anything, and print the snapshot (JSON for `difusor status`,
  which runs it over SSH) or the metrics it would write (prom).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from difusor import hostfacts
from difusor.errors import DifusorError
from difusor.metrics.collect import Sources, collect, now_utc
from difusor.metrics.exposition import render
from difusor.metrics.families import families
from difusor.metrics.textfile import PROM_NAME, write_atomically


def _sources(args: argparse.Namespace, facts: hostfacts.HostFacts) -> Sources:
    return Sources.of(
        facts,
        access_log=args.access_log,
        tls_certificate=args.tls_certificate,
        fail2ban_db=args.fail2ban_db,
    )


def cmd_metrics(args: argparse.Namespace) -> int:
    facts = hostfacts.load(args.facts)
    if not facts.site_root.is_dir():
        raise DifusorError(
            f"{facts.site_root} does not exist: run this on a provisioned difusor "
            f"(its facts: {facts.source or 'none, the defaults'})"
        )
    sources = _sources(args, facts)
    if args.action == "write":
        out = args.out or facts.metrics_dir
        if not out.is_dir():
            raise DifusorError(f"{out} is not a directory (node exporter's textfile directory)")
        snapshot = collect(facts, now_utc(), sources, state_dir=out)
        target = write_atomically(out, PROM_NAME, render(families(snapshot)))
        print(f"wrote {target}", file=sys.stderr)
        return 0
    snapshot = collect(facts, now_utc(), sources)
    if args.format == "json":
        print(json.dumps(snapshot, ensure_ascii=False, sort_keys=True))
    else:
        sys.stdout.write(render(families(snapshot)))
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    """`difusor metrics write|show` (host side)."""
    parser = commands.add_parser(
        "metrics",
        help="on a difusor host: its figures for Prometheus (live cut and age, arrivals, "
        "rejections, watchdog, notice, requests, bans, certificate)",
    )
    parser.add_argument(
        "action",
        choices=["write", "show"],
        help="write: OUT/difusor.prom for node exporter's textfile collector; show: print "
        "the snapshot, writing nothing",
    )
    parser.add_argument(
        "--facts",
        type=Path,
        default=hostfacts.FACTS_PATH,
        help="the host's facts, which give every path (default: %(default)s)",
    )
    parser.add_argument(
        "--out", type=Path, help="write: the textfile directory (default: the facts' metrics_dir)"
    )
    parser.add_argument(
        "--format", choices=["json", "prom"], default="json", help="show: (default: json)"
    )
    parser.add_argument(
        "--access-log", type=Path, help="(default: access.log in the facts' web_log_dir)"
    )
    parser.add_argument(
        "--tls-certificate", type=Path, help="(default: the facts' tls_certificate)"
    )
    parser.add_argument(
        "--fail2ban-db", type=Path, help="fail2ban's database (default: fail2ban's own)"
    )
    parser.set_defaults(func=cmd_metrics)
