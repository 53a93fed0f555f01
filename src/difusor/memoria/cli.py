"""`difusor memoria (-i INVENTORY | --from-dir DIR) [-o DIR] [--format html,pdf,md]`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from difusor.formats import format_option


def _memoria_formats() -> tuple[str, ...]:
    from difusor.memoria.render import FORMATS

    return tuple(FORMATS)


def cmd_memoria(args: argparse.Namespace) -> int:
    from difusor.memoria import collect, render
    from difusor.memoria.build import build
    from difusor.memoria.incidents import Thresholds
    from difusor.stats.cli import read_salt

    if args.from_dir is not None:
        source = args.from_dir
    else:
        source = collect.collect(args.inventory, args.output / "recolectado", args.limit)
    memoria = build(
        source,
        difusor=args.difusor,
        salt=read_salt(args.salt_file),
        thresholds=Thresholds(late_arrival_min=args.late_min, silent_min=args.silent_min),
    )
    for path in render.write(memoria, args.output, args.format, args.lang):
        print(f"difusor: wrote {path}", file=sys.stderr)
    print(
        f"difusor: {len(memoria.incidents)} incidents, {memoria.stats['hits']:,} hits from "
        f"2 to 9 June 2024 ({memoria.stats['malformed_lines']} malformed lines skipped)",
        file=sys.stderr,
    )
    return 0


def register(commands: Any) -> argparse.ArgumentParser:
    """Add `memoria` to the subcommands of the `difusor` parser."""
    parser = commands.add_parser(
        "memoria",
        help="draft of the memoria técnica (VII): incidents, statistics 2-9 June, improvements",
        description="Collects the access logs and event journals of every host (playbooks/"
        "collect.yml, read-only) and writes the memoria técnica draft, due 12 June 2024.",
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("-i", "--inventory", type=Path, help="collect from these hosts first")
    source.add_argument(
        "--from-dir", type=Path, help="already collected: DIR/<host>/journal.jsonl, web/access.log*"
    )
    parser.add_argument("--limit", help="ansible --limit for the collection")
    parser.add_argument(
        "-o", "--output", type=Path, default=Path("memoria"), help="(default: %(default)s)"
    )
    parser.add_argument(
        "--format",
        type=format_option(_memoria_formats),
        default=["html", "md"],
        help="html, pdf, md (default: html,md)",
    )
    parser.add_argument("--difusor", default="", help="the difusor's name, for the cover")
    parser.add_argument("--lang", choices=["es", "en"], default="es", help="(default: es)")
    parser.add_argument("--salt-file", type=Path, help="secret salt of the visitor hashes")
    parser.add_argument(
        "--late-min",
        type=int,
        default=15,
        help="a cut published more than this after its time is late (default: %(default)s)",
    )
    parser.add_argument(
        "--silent-min",
        type=int,
        default=15,
        help="minutes without any request reported as a possible outage (default: %(default)s)",
    )
    parser.set_defaults(func=cmd_memoria)
    return parser
