"""`difusor package`: verify, publish, ingest, list, roll back or generate results packages.

Runs on the difusor hosts too (the publisher's unit runs `package ingest`), with the system
python3 and PyYAML only.
"""

from __future__ import annotations

import argparse
import re
import sys
from datetime import datetime
from pathlib import Path

from difusor import hostfacts, package
from difusor.output import say
from difusor.owner import act_as_owner_of, readable_by_now
from difusor.package import inspect, synthetic
from difusor.package.ingest import SETTLE_S
from difusor.package.ingest import check as ingest_check
from difusor.package.layout import format_csv_cut, parse_cut_arg

# `package ingest`: a package was rejected (and journaled); the pass itself worked. The ingest
# unit counts it as success (SuccessExitStatus), so a failed unit means the publisher cannot run.
EXIT_REJECTED = 3
ROOT_HELP = "holds releases/ and current (default: the host facts' site root)"


def cmd_package(args: argparse.Namespace) -> int:
    facts = hostfacts.load(args.facts)
    settings = hostfacts.package_settings(facts, args.settings)
    if getattr(args, "root", "") is None:
        args.root = facts.site_root
    if getattr(args, "incoming", "") is None:
        args.incoming = facts.incoming_dir
    if args.action in ("publish", "ingest", "rollback"):
        who = act_as_owner_of(args.root)  # root writes the site root as its owner
        if args.action == "publish":
            readable_by_now(args.path, who)
    if args.action == "verify":
        verified = package.verify(args.path, settings)
        shown = format_csv_cut(verified.cut, settings)
        print(
            f"{args.path}: valid, cut {verified.cut_id} ({shown}), {verified.files} files"
            + (", manifest checked" if verified.manifest else ", no manifest")
            + (", synthetic" if verified.synthetic else "")
            + f", preset {verified.preset}"
        )
    elif args.action == "inspect":
        report = inspect.inspect(args.path, settings)
        sys.stdout.write(inspect.render(report, args.format, args.lang))
        return 0 if report["valid"] else 1
    elif args.action == "publish":
        result = package.publish(
            args.path, args.root, force=args.force, drill=args.drill, settings=settings
        )
        where = "live" if result.live else f"staged until {settings.publish_from.isoformat()}"
        print(f"{result.event} {result.cut_id}: {result.release} ({where})")
    elif args.action == "ingest" and args.check:
        outcomes = ingest_check(args.incoming, args.root, drill=args.drill, settings=settings)
        for outcome in outcomes:
            print(f"{outcome.event} {outcome.archive}: {outcome.detail}")
        live = package.live_cut_id(args.root) or "none"
        print(
            f"check: the publisher runs (python {sys.version.split()[0]}, {sys.executable}); "
            f"{len(outcomes)} complete arrivals in {args.incoming}; live cut {live}; "
            "nothing was changed"
        )
    elif args.action == "ingest":
        outcomes = package.ingest(
            args.incoming, args.root, drill=args.drill, settings=settings, settle_s=args.settle
        )
        for outcome in outcomes:
            print(f"{outcome.event} {outcome.archive}: {outcome.detail}")
        if any(outcome.event == "deferred" for outcome in outcomes):
            return 1  # the machine failed (disk full): the arrival waits, the unit says so
        rejected = any(outcome.event == "rejected" for outcome in outcomes)
        return EXIT_REJECTED if rejected else 0
    elif args.action == "list":
        releases = package.list_releases(args.root, settings)
        live = next((release for release in releases if release.live), None)
        for release in releases:
            state = (
                "live"
                if release.live
                else "staged"
                if live is None or release.cut > live.cut
                else "previous"
            )
            print(f"{release.cut_id}  {format_csv_cut(release.cut, settings):26} {state}")
        if not releases:
            say(f"no releases in {args.root}")
    elif args.action == "rollback":
        release = package.rollback(args.root, args.to, settings)
        print(f"live {release.cut_id}: {release.path}")
    else:
        cut = parse_cut_arg(args.cut, settings.tz)
        path = package.generate(
            cut,
            args.out,
            rows=args.rows,
            fmt=args.format,
            settings=settings,
            layout=args.layout,
            elections=tuple(code for code in args.elections.split(",") if code),
            entity=args.entity,
        )
        print(path)
    return 0


def _cut_time(text: str) -> str:
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}", text.strip()):
            raise ValueError
        datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM-DD HH:MM, got {text!r}") from None
    return text


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return int(text)


def register(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """`difusor package verify|publish|ingest|list|rollback|generate`."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--settings",
        type=Path,
        help="YAML file of package format and publishing settings (default: the host facts')",
    )
    common.add_argument(
        "--facts",
        type=Path,
        default=hostfacts.FACTS_PATH,
        help="the host's facts: paths, publication window (default: %(default)s; "
        "the defaults when it does not exist)",
    )
    parser = commands.add_parser(
        "package", help="verify, publish, list, roll back or generate results packages"
    )
    pkg_actions = parser.add_subparsers(dest="action", required=True)
    verify = pkg_actions.add_parser(
        "verify", parents=[common], help="check a package (its sidecar is PATH.sha256)"
    )
    verify.add_argument("path", type=Path, metavar="PATH")
    look = pkg_actions.add_parser(
        "inspect",
        parents=[common],
        help="verify a package and show its preset, cut, elections and files",
        description="Verify a package (nothing is written) and show the preset in force, the "
        "cut, each election's actas esperadas, capturadas and contabilizadas and its "
        "participation, and every file with its size. Exit 0 when valid, 1 when rejected.",
    )
    look.add_argument("path", type=Path, metavar="PATH")
    look.add_argument("--format", choices=["text", "json"], default="text")
    look.add_argument("--lang", choices=["es", "en"], default="es", help="(default: es)")
    publish = pkg_actions.add_parser(
        "publish", parents=[common], help="verify a package and make it the live cut"
    )
    publish.add_argument("path", type=Path, metavar="PATH")
    publish.add_argument("--root", type=Path, help=ROOT_HELP)
    publish.add_argument(
        "--force", action="store_true", help="accept a cut not newer than the live one"
    )
    publish.add_argument(
        "--drill", action="store_true", help="go live even before the publication window"
    )
    ingest = pkg_actions.add_parser(
        "ingest",
        parents=[common],
        help="publish every complete arrival in an incoming directory",
        description="Publish every complete arrival (archive and sidecar) in an incoming "
        f"directory. Exit 0 when every arrival was handled, {EXIT_REJECTED} when a package was "
        "rejected (journaled, the live cut kept), 1 when the pass itself failed.",
    )
    ingest.add_argument(
        "--incoming", type=Path, help="where transfers arrive (default: the host facts')"
    )
    ingest.add_argument("--root", type=Path, help=ROOT_HELP)
    ingest.add_argument(
        "--drill", action="store_true", help="go live even before the publication window"
    )
    ingest.add_argument(
        "--settle",
        type=float,
        default=SETTLE_S,
        help="seconds to wait for transfers still arriving (default: %(default)s)",
    )
    ingest.add_argument(
        "--check",
        action="store_true",
        help="dry pass: verify the complete arrivals in place and say what a pass would do; "
        "nothing is published, moved or journaled",
    )
    listing = pkg_actions.add_parser("list", parents=[common], help="list the releases")
    listing.add_argument("--root", type=Path, help=ROOT_HELP)
    back = pkg_actions.add_parser(
        "rollback", parents=[common], help="make the previous (or the given) cut live"
    )
    back.add_argument("--root", type=Path, help=ROOT_HELP)
    back.add_argument("--to", metavar="CUT", help="YYYYMMDD_HHMM or 'YYYY-MM-DD HH:MM'")
    gen = pkg_actions.add_parser(
        "generate", parents=[common], help="write a synthetic package in the real layout"
    )
    gen.add_argument("--cut", type=_cut_time, required=True, help="'YYYY-MM-DD HH:MM' (local)")
    gen.add_argument("--out", type=Path, required=True)
    gen.add_argument("--rows", type=_positive, default=200, help="actas (default: %(default)s)")
    gen.add_argument("--format", choices=["zip", "tar.gz"], default="zip")
    gen.add_argument(
        "--layout",
        choices=synthetic.LAYOUTS,
        default="state",
        help="the 2024 layout to write (default: %(default)s)",
    )
    gen.add_argument(
        "--elections",
        default="",
        help="comma-separated election codes, e.g. GUB,DIP_LOC (default: the layout's own: "
        + "; ".join(f"{k} {','.join(v)}" for k, v in synthetic.DEFAULT_ELECTIONS.items())
        + ")",
    )
    gen.add_argument(
        "--entity", default="VER", help="the state's code in the state layout (default: VER)"
    )
    parser.set_defaults(func=cmd_package)
    return parser
