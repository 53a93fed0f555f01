"""`difusor audit`: run the compliance suite on hosts and write the auditor's report.

Exit codes: 0 every mandatory requirement passes or is waived on every host; 1 a requirement
fails or a host could not be audited; 2 nothing could be audited, or a usage error (bad
catalog, bad waivers, unknown format).
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from difusor import tools
from difusor.errors import DifusorError
from difusor.formats import format_option
from difusor.output import say

DEFAULT_FORMATS = "html,json"


def _report_formats() -> tuple[str, ...]:
    from difusor.compliance.report.render import FORMATS

    return tuple(FORMATS)


_formats = format_option(_report_formats)


def register(commands: Any) -> argparse.ArgumentParser:
    """Add `audit` to the `difusor` subcommands."""
    from difusor.inventory import GROUP

    audit = commands.add_parser(
        "audit",
        help="audit servers against the call's requirements and write the report",
        description="Run the compliance suite (tests/compliance) on each host and write a "
        "report: per requirement PASS, FAIL, MANUAL, N/A or WAIVED, with the evidence. "
        "Exit 0 when every mandatory requirement passes or is waived, 1 when one fails or a "
        "host could not be audited, 2 when nothing could be audited.",
    )
    where = audit.add_mutually_exclusive_group(required=True)
    where.add_argument("-i", "--inventory", type=Path, help="Ansible inventory (ansible://)")
    where.add_argument(
        "--hosts",
        nargs="+",
        metavar="URL",
        help="testinfra URLs: ssh://user@host, paramiko://, docker://name, local://",
    )
    audit.add_argument(
        "--limit",
        default=GROUP,
        help="inventory groups or hosts to audit, comma-separated (default: %(default)s)",
    )
    audit.add_argument(
        "--vault-password-file",
        type=Path,
        help="for an inventory with Vault-encrypted files (e.g. group_vars/difusores/vault.yml)",
    )
    audit.add_argument(
        "--format",
        type=_formats,
        default=_formats(DEFAULT_FORMATS),
        help=f"comma-separated: html,pdf,md,json,junit (default: {DEFAULT_FORMATS})",
    )
    audit.add_argument("--lang", choices=("es", "en"), default="es", help="report language")
    audit.add_argument("--waivers", type=Path, help="YAML list of {id, justification, by, until}")
    audit.add_argument("-o", "--out", type=Path, help="report directory (default: audit-<UTC>)")
    audit.add_argument(
        "--catalog",
        type=Path,
        help="requirement catalog (default: the checkout's compliance/oplever-2024.yml)",
    )
    audit.add_argument("--trusted-vantage", help="probe from here (URL or inventory host)")
    audit.add_argument("--untrusted-vantage", help="probe from here (URL or inventory host)")
    audit.add_argument("--portal-url", help="the portal's public URL (II.C.d)")
    audit.add_argument(
        "--portal-ca-file",
        metavar="PATH",
        help="CA file on the vantage host that verifies the portal's certificate (curl --cacert) "
        "instead of its trust store, e.g. a test ACME server's root (II.C.d)",
    )
    audit.add_argument("--target-address", help="address the vantage points use (one host only)")
    audit.add_argument(
        "--parallel", type=int, default=8, help="hosts audited at once (default: 8; 1: one by one)"
    )
    audit.add_argument("--paper", choices=("a4", "letter"), default="a4", help="PDF page size")
    audit.add_argument("--no-progress", action="store_true", help="no progress bar")
    audit.add_argument(
        "--pytest-arg",
        action="append",
        default=[],
        metavar="ARG",
        help="extra argument for the suite, e.g. --pytest-arg=--sudo",
    )
    audit.set_defaults(func=cmd_audit)
    return audit


class _Progress:
    """A rich progress bar per host on stderr (or nothing)."""

    def __init__(self, names: list[str], enabled: bool) -> None:
        self.bar = None
        self.tasks: dict[str, Any] = {}
        if not enabled:
            return
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

        self.bar = Progress(
            "[bold]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
        )
        self.tasks = {name: self.bar.add_task(name, total=None) for name in names}

    def __enter__(self) -> _Progress:
        if self.bar:
            self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar:
            self.bar.stop()

    def update(self, name: str, done: int, total: int) -> None:
        if self.bar:
            self.bar.update(self.tasks[name], completed=done, total=total)


def needed_programs(args: argparse.Namespace) -> list[str]:
    """What the audit runs on this machine: ssh for the hosts of an inventory, and curl and
    openssl for the certificate probe when a vantage point is this machine (local://)."""
    names = ["ssh"] if args.inventory else []
    if args.portal_url and "local://" in (args.trusted_vantage, args.untrusted_vantage):
        names += ["curl", "openssl"]
    return names


def run_audit(args: argparse.Namespace) -> tuple[dict[str, Any], list[tuple[Path, str]]]:
    from difusor.compliance import catalog as catalog_mod
    from difusor.compliance import runner, verdicts
    from difusor.compliance.report import model, render

    catalog = catalog_mod.load(args.catalog or catalog_mod.default_catalog())
    waivers = verdicts.load_waivers(args.waivers, catalog) if args.waivers else {}
    if args.inventory:
        targets = runner.inventory_targets(args.inventory, args.limit, args.vault_password_file)
    else:
        targets = runner.url_targets(args.hosts)
    if args.target_address and len(targets) > 1:
        raise DifusorError("--target-address applies to one host; give one host or none")
    now = datetime.now(timezone.utc)
    out = args.out or Path(f"audit-{now:%Y%m%d-%H%M%S}")
    options = runner.SuiteOptions(
        catalog=catalog.path.resolve(),
        trusted_vantage=args.trusted_vantage,
        untrusted_vantage=args.untrusted_vantage,
        portal_url=args.portal_url,
        portal_ca_file=args.portal_ca_file,
        target_address=args.target_address,
        extra_args=list(args.pytest_arg),
        vault_password_file=args.vault_password_file if args.inventory else None,
    )
    say(f"auditing {len(targets)} host(s) against {catalog.path.name} ({catalog.version})")
    show = not args.no_progress and sys.stderr.isatty()
    with _Progress([t.name for t in targets], show) as bar:
        results = runner.run_all(
            targets, options, out.resolve() / "runs", args.parallel, bar.update
        )
    hosts = [
        model.host_entry({"name": t.name, "url": t.url}, data, catalog, waivers, args.lang)
        for t, data in zip(targets, results, strict=True)
    ]
    report = model.build(
        catalog,
        hosts,
        waivers,
        args.lang,
        {
            "inventory": str(args.inventory) if args.inventory else None,
            "limit": args.limit if args.inventory else None,
            "trusted_vantage": args.trusted_vantage,
            "untrusted_vantage": args.untrusted_vantage,
            "portal_url": args.portal_url,
            "portal_ca_file": args.portal_ca_file,
            "waivers": str(args.waivers) if args.waivers else None,
        },
        now,
    )
    written = render.write(
        report,
        args.format,
        out,
        "informe-auditoria" if args.lang == "es" else "audit-report",
        args.paper,
    )
    return report, written


def cmd_audit(args: argparse.Namespace) -> int:
    tools.require(*needed_programs(args))
    try:
        report, written = run_audit(args)
    except DifusorError as exc:  # usage errors (catalog, waivers, inventory) exit 2, not 1
        say(f"error: {exc}")
        return 2
    for host in report["hosts"]:
        if host["status"] != "ok":
            say(f"{host['name']}: NOT AUDITED: {host['error'].splitlines()[0]}")
        else:
            counts = ", ".join(f"{k} {v}" for k, v in host["counts"].items() if v)
            say(f"{host['name']}: {counts}")
    for path, digest in written:
        print(f"{digest}  {path}")
    say(f"content SHA-256 {report['content_sha256']}; exit {report['exit_code']}")
    return int(report["exit_code"])
