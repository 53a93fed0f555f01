"""`difusor monitor PORTALS.yml [--once] [--out DIR] [--lang es|en] [--rounds N]`: probe every
portal each round, print one line per portal, and write OUT/index.html (the status page),
OUT/monitor.prom (metrics) and OUT/status.json."""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

from difusor.metrics.textfile import write_atomically
from difusor.monitor import config as portal_config
from difusor.monitor import page, prom
from difusor.monitor.evaluate import Verdict, judge_all
from difusor.monitor.probe import probe
from difusor.output import say


def one_round(config: portal_config.MonitorConfig, out: Path | None, lang: str):
    """Probe every portal (in parallel), judge, write the outputs; returns the verdicts."""
    with ThreadPoolExecutor(max_workers=max(1, min(16, len(config.portals)))) as pool:
        results = pool.map(
            lambda portal: (portal.name, probe(portal.url, config.timeout_s, config.ca_file)),
            config.portals,
        )
        probes = dict(results)
    now = datetime.now(timezone.utc)
    newest, verdicts = judge_all(config, probes, now)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        write_atomically(
            out, "index.html", page.render(verdicts, newest, now, lang, config.interval_s)
        )
        write_atomically(out, prom.PROM_NAME, prom.metrics(verdicts, newest, now))
        write_atomically(out, "status.json", status_json(verdicts, newest, now))
    return newest, verdicts


def status_json(verdicts: list[Verdict], newest: str | None, now: datetime) -> str:
    return json.dumps(
        {
            "probed": now.isoformat(),
            "newest_cut": newest,
            "portals": [
                {
                    "name": verdict.portal.name,
                    "url": verdict.portal.url,
                    "state": verdict.state,
                    "incident": verdict.incident,
                    "cut": verdict.probe.cut,
                    "lag_s": verdict.lag_s,
                    "status": verdict.probe.status,
                    "error": verdict.probe.error,
                    "elapsed_s": verdict.probe.elapsed_s,
                    "tls_valid": verdict.probe.tls_valid,
                    "tls_days": verdict.tls_days,
                    "embedding": verdict.embedding,
                    "frame_options": verdict.probe.frame_options,
                    "frame_ancestors": verdict.probe.frame_ancestors,
                }
                for verdict in verdicts
            ],
        },
        ensure_ascii=False,
        indent=2,
    )


def monitor(
    config: portal_config.MonitorConfig,
    out: Path | None,
    lang: str,
    rounds: int,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """`rounds` rounds (0: until interrupted); exit 1 when the last round flagged a portal."""
    done = 0
    while True:
        newest, verdicts = one_round(config, out, lang)
        for verdict in verdicts:
            mark = "!!" if verdict.flagged else "ok"
            lag = "-" if verdict.lag_s is None else f"{verdict.lag_s / 60:.0f} min"
            say(
                f"{mark} {verdict.portal.name}: {verdict.state}, cut {verdict.probe.cut or '-'} "
                f"(newest {newest or '-'}, lag {lag}), TLS {verdict.probe.tls_valid}, "
                f"embedding {verdict.embedding}"
            )
        done += 1
        if rounds and done >= rounds:
            return 1 if any(verdict.flagged for verdict in verdicts) else 0
        sleep(config.interval_s)


def cmd_monitor(args: argparse.Namespace) -> int:
    config = portal_config.load(args.portals)
    return monitor(config, args.out, args.lang, 1 if args.once else args.rounds)


def register(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """`difusor monitor` (anywhere with network: the electoral body, a difusor's second look)."""
    parser = commands.add_parser(
        "monitor",
        help="watch the portals from outside: reachable, TLS, the cut shown and its lag "
        "behind the newest (45 minutes, V.ii.4), embedding headers (VI.e)",
    )
    parser.add_argument("portals", type=Path, help="the portal list (YAML, see docs/monitoreo.md)")
    parser.add_argument("--once", action="store_true", help="one round, then exit")
    parser.add_argument(
        "--rounds", type=int, default=0, help="stop after N rounds (default: never)"
    )
    parser.add_argument("--out", type=Path, help="write index.html, monitor.prom, status.json here")
    parser.add_argument("--lang", choices=sorted(page.TEXT), default="es")
    parser.set_defaults(func=cmd_monitor)
    return parser
