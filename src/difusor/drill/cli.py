"""`difusor drill`: the continuity drill (III.c.ii) against the difusores of an inventory.

Exit 0: every step passed on every host; 1: a step failed; 2: the drill could not run (no
inventory, no password, host unreachable, inside the publication window without --force).
"""

from __future__ import annotations

import argparse
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from difusor import tools
from difusor.errors import DifusorError
from difusor.output import say

EXIT_PASSED, EXIT_FAILED, EXIT_NOT_RUN = 0, 1, 2


def cmd_drill(args: argparse.Namespace) -> int:
    from difusor import inventory
    from difusor.drill import report
    from difusor.drill.inventory import select_hosts
    from difusor.drill.remote import Remote
    from difusor.drill.steps import Drill
    from difusor.package.layout import Settings
    from difusor.transfer import read_password
    from difusor.web.window import refuse_in_window

    tools.require("rsync", "ssh")  # the pushes and the host's shell (exit 2 with the package)
    reports: list[report.HostReport] = []
    try:
        refuse_in_window(
            datetime.now(timezone.utc),
            Settings(),
            "run the continuity drill (it pushes test cuts, "
            "crashes the web container and serves the notice)",
            args.force,
        )
        inv = inventory.read(args.inventory, vault_password_file=args.vault_password_file)
        hosts = select_hosts(inv, args.limit, read_password(args.password_file))
        for host in hosts:
            drill = Drill(host, Remote(host), say, lang=args.lang, timeout_s=args.timeout)
            with tempfile.TemporaryDirectory(prefix="difusor-drill-") as workdir:
                host_report = drill.run(Path(workdir))
            reports.append(host_report)
            print(report.render(host_report, args.lang), flush=True)
            print()
    except DifusorError as exc:
        say(f"error: {exc}")
        return EXIT_NOT_RUN
    finally:
        if args.json and reports:
            args.json.write_text(report.as_json(reports, args.lang), encoding="utf-8")
    return EXIT_PASSED if all(item.passed for item in reports) else EXIT_FAILED


def register(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        "drill",
        help="continuity drill (III.c.ii): cuts, a corrupt and a replayed one, a web crash, a "
        "45-minute gap; recovery times",
        description="Run the continuity drill of call III.c.ii against each difusor of the "
        "inventory: two normal cuts by rsync, a truncated one, a replayed one, a crash of the "
        "web container and a 45-minute gap, observed over HTTPS from this machine. Prints a step "
        "table with PASS/FAIL and recovery times. Exit 0: every step passed; 1: a step failed; "
        "2: the drill could not run. The host is left serving the newest cut, notice off, "
        "settings restored.",
    )
    parser.add_argument("-i", "--inventory", type=Path, required=True, help="inventory file")
    parser.add_argument(
        "--limit", help="only these hosts of group difusores (host or group names, comma-separated)"
    )
    parser.add_argument(
        "--lang", choices=["es", "en"], default="es", help="report language (default: es)"
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the report as JSON")
    parser.add_argument(
        "--timeout",
        type=float,
        default=60.0,
        help="seconds each recovery may take before the step fails (default: %(default)s)",
    )
    parser.add_argument(
        "--password-file",
        type=Path,
        help="the rsync password (default: RSYNC_PASSWORD, else the inventory's "
        "rsync_receiver_password)",
    )
    parser.add_argument(
        "--vault-password-file",
        type=Path,
        help="for an inventory with Vault-encrypted files (e.g. group_vars/difusores/vault.yml)",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="run even inside the publication window (VI.a): it disturbs the live site",
    )
    parser.set_defaults(func=cmd_drill)
    return parser
