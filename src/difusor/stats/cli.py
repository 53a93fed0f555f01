"""`difusor stats LOG... [--from DATE --to DATE] [--format json,csv,html,md] [-o PATH]`."""

from __future__ import annotations

import argparse
import re
import sys
from datetime import date
from pathlib import Path
from typing import Any

from difusor.errors import DifusorError
from difusor.formats import format_option
from difusor.stats.render import FORMATS

OUTPUT_STEM = "estadisticas"


def iso_date(text: str) -> date:
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):  # 3.11+ also reads 20240602
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM-DD, got {text!r}") from None


def read_salt(path: Path | None) -> bytes | None:
    """The secret salt of the visitor hashes; None means a random one for this run."""
    if path is None:
        return None
    try:
        salt = path.read_bytes().strip()
    except OSError as exc:
        raise DifusorError(f"cannot read the salt file {path}: {exc.strerror}") from exc
    if len(salt) < 16:
        raise DifusorError(
            f"the salt in {path} is too short ({len(salt)} bytes); write at least 16 random "
            "bytes, e.g. `head -c 32 /dev/urandom | base64 > FILE`"
        )
    return salt


def write_outputs(
    result: dict[str, Any], formats: list[str], output: Path | None, lang: str
) -> list[Path]:
    """Write the chosen formats; without an output path the (single) format goes to stdout."""
    from difusor.stats import render

    if output is None:
        if len(formats) > 1:
            raise DifusorError("several formats need -o DIR (one file per format)")
        sys.stdout.write(render.render(result, formats[0], lang))
        return []
    as_dir = output.is_dir() or len(formats) > 1 or not output.suffix
    if not as_dir:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(render.render(result, formats[0], lang), encoding="utf-8")
        return [output]
    output.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in formats:
        path = output / f"{OUTPUT_STEM}.{fmt}"
        path.write_text(render.render(result, fmt, lang), encoding="utf-8")
        written.append(path)
        if fmt == "csv":
            for name, text in (("paginas", render.pages_csv), ("horas", render.hours_csv)):
                extra = output / f"{OUTPUT_STEM}_{name}.csv"
                extra.write_text(text(result), encoding="utf-8")
                written.append(extra)
        if fmt == "html":
            from difusor.stats import charts
            from difusor.stats.labels import labels

            for name, png in charts.render_all(result, labels(lang), "png").items():
                extra = output / f"{OUTPUT_STEM}_{name}.png"
                extra.write_bytes(png)
                written.append(extra)
    return written


def cmd_stats(args: argparse.Namespace) -> int:
    from difusor.stats import compute

    if args.start and args.end and args.start > args.end:
        raise DifusorError(f"--from {args.start} is after --to {args.end}")
    result = compute(args.logs, start=args.start, end=args.end, salt=read_salt(args.salt_file))
    for path in write_outputs(result, args.format, args.output, args.lang):
        print(f"difusor: wrote {path}", file=sys.stderr)
    if result["malformed_lines"]:
        print(
            f"difusor: {result['malformed_lines']} malformed lines counted and skipped",
            file=sys.stderr,
        )
    if result["empty"]:
        print("difusor: no requests in the range", file=sys.stderr)
    return 0


def register(commands: Any) -> argparse.ArgumentParser:
    """Add `stats` to the subcommands of the `difusor` parser."""
    parser = commands.add_parser(
        "stats",
        help="visitors, page views, pages and time on site from the access logs (I.E.a-d)",
        description="Streams the web container's JSON access logs (plain or .gz) once. Days and "
        "hours are Tiempo del Centro. Visitors are salted hashes of IP and user agent: no IP is "
        "ever printed.",
    )
    parser.add_argument("logs", nargs="+", type=Path, metavar="LOG", help="access.log, .1, .2.gz…")
    parser.add_argument("--from", dest="start", type=iso_date, help="first day, YYYY-MM-DD")
    parser.add_argument("--to", dest="end", type=iso_date, help="last day (included), YYYY-MM-DD")
    parser.add_argument(
        "--format",
        type=format_option(lambda: FORMATS),
        default=["json"],
        help="comma-separated: json, csv, html, md (default: json)",
    )
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        help="a file (one format) or a directory (estadisticas.<format>, charts as PNG); "
        "default: standard output",
    )
    parser.add_argument(
        "--salt-file",
        type=Path,
        help="secret salt of the visitor hashes (same salt = comparable runs); default: random",
    )
    parser.add_argument("--lang", choices=["es", "en"], default="es", help="(default: es)")
    parser.set_defaults(func=cmd_stats)
    return parser
