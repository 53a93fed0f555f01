"""The `difusor` command: a thin layer over the library modules."""

from __future__ import annotations

import argparse
import sys

from difusor import (
    __version__,
    diagram,
    engine,
    images,
    provision,
    role_docs,
    sandbox,
    simulator,
    tools,
)
from difusor.cluster import cli as cluster_cli
from difusor.compliance import cli as compliance_cli
from difusor.drill import cli as drill_cli
from difusor.errors import DifusorError
from difusor.memoria import cli as memoria_cli
from difusor.metrics import cli as metrics_cli
from difusor.monitor import cli as monitor_cli
from difusor.output import say
from difusor.package import cli as package_cli
from difusor.stats import cli as stats_cli
from difusor.status import cli as status_cli
from difusor.web import cli as web_cli


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="difusor", description="Provisioning and compliance toolkit for PREP difusores."
    )
    parser.add_argument("--version", action="version", version=f"difusor {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    # Every command group registers its own parser (and the function that runs it).
    groups = (
        engine,
        tools,
        images,
        sandbox,
        role_docs,
        package_cli,
        web_cli,
        metrics_cli,
        stats_cli,
        memoria_cli,
        compliance_cli,
        provision,
        drill_cli,
        status_cli,
        cluster_cli,
        monitor_cli,
        diagram,
        simulator,
    )
    for group in groups:
        group.register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except tools.MissingProgram as exc:
        say(str(exc))
        return 2
    except DifusorError as exc:
        say(f"error: {exc}")
        return 1
    except FileNotFoundError as exc:  # a program run without a check first
        if exc.filename not in tools.PROGRAMS:
            raise
        say(tools.missing_message([exc.filename]))
        return 2
    except KeyboardInterrupt:
        say("interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main())
