"""`difusor notice` and `difusor web`: notice mode and the freshness watchdog on a difusor host."""

from __future__ import annotations

import argparse
import getpass
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

from difusor import hostfacts, tools
from difusor.errors import DifusorError
from difusor.owner import act_as_owner_of
from difusor.package import journal
from difusor.package.releases import live_cut_id
from difusor.web import freshness, notice, purge
from difusor.web.settings import load_watchdog_settings
from difusor.web.window import refuse_in_window

# journald priorities for the watchdog's line (sd-daemon prefixes)
PRIORITY = {"warning": "<4>", "critical": "<2>", "incident": "<2>"}


def _from_facts(args: argparse.Namespace) -> None:
    """Fill the paths and settings not given on the command line from the host's facts."""
    facts = hostfacts.load(args.facts)
    args.site_root = args.site_root or facts.site_root
    args.web_root = args.web_root or facts.web_root
    args.package_settings = hostfacts.package_settings(facts, args.settings)
    if "web_settings" in args:
        args.web_settings = args.web_settings or facts.web_settings


def _need_web_root(web_root: Path) -> None:
    if not web_root.is_dir():
        raise DifusorError(
            f"{web_root} does not exist: run this on a difusor provisioned with role prep_web, "
            "or from the controller with -i INVENTORY"
        )


def cmd_notice(args: argparse.Namespace) -> int:
    if args.inventory:
        return _notice_playbook(args)
    _from_facts(args)
    _need_web_root(args.web_root)
    by = getpass.getuser()  # who asks, before root becomes the site root's owner
    if args.action != "status":
        act_as_owner_of(args.site_root)  # root writes the flag and the journal as their owner
    if args.action == "on":
        refuse_in_window(
            datetime.now(timezone.utc), args.package_settings, "turn notice mode on", args.force
        )
        state, changed = notice.turn_on(args.web_root, args.site_root, reason=args.reason, by=by)
    elif args.action == "off":
        state, changed = notice.turn_off(args.web_root, args.site_root, by=by)
    else:
        state, changed = notice.status(args.web_root), False
    if state.active:
        who = "the watchdog" if state.auto else state.by
        print(f"notice mode ON since {state.since} (by {who}: {state.reason})")
    else:
        print("notice mode OFF: the live results are served")
    if args.action != "status" and not changed:
        print(f"(it was already {args.action})", file=sys.stderr)
    return 0


def _notice_playbook(args: argparse.Namespace) -> int:
    from difusor.inventory import ansible_env, ansible_program, find_checkout

    tools.require("ssh")  # Ansible reaches the hosts over SSH
    checkout = find_checkout()
    command = [
        ansible_program("ansible-playbook"),
        "-i",
        str(args.inventory.resolve()),
        str(checkout / "playbooks" / "notice.yml"),
        "-e",
        f"notice_state={args.action}",
        "-e",
        f"notice_reason={args.reason!r}",
    ]
    if args.force:
        command += ["-e", "difusor_force_in_window=true"]
    if args.limit:
        command += ["--limit", args.limit]
    return subprocess.run(command, check=False, cwd=checkout, env=ansible_env(checkout)).returncode


def cmd_purge(args: argparse.Namespace) -> int:
    """Purge the CDN after a switch (difusor-cdn-purge.service); journal each outcome."""
    if args.purge_settings is None:
        raise DifusorError("web purge needs --purge-settings FILE (role prep_web writes it)")
    settings = purge.load_purge_settings(args.purge_settings)
    if not settings.enabled:
        print(f"no CDN purge configured in {args.purge_settings}: nothing to do")
        return 0
    cut = live_cut_id(args.site_root) or "-"
    if args.check:
        print(
            f"check: {len(settings.requests)} purge requests, command: "
            f"{'yes' if settings.command else 'no'}; live cut {cut}; nothing sent"
        )
        return 0
    act_as_owner_of(args.site_root)  # root journals as the site root's owner
    failed = 0
    for outcome in purge.purge(settings, cut):
        event = "cdn_purged" if outcome.ok else "cdn_purge_failed"
        failed += not outcome.ok
        journal.try_record(
            args.site_root,
            event,
            cut=cut,
            target=outcome.target,
            detail=outcome.detail,
            attempts=outcome.attempts,
        )
        mark = "ok" if outcome.ok else "FAILED"
        print(f"CDN purge {mark}: {outcome.target} ({outcome.detail}, {outcome.attempts} tries)")
    return 1 if failed else 0


def cmd_web(args: argparse.Namespace) -> int:
    _from_facts(args)
    settings = args.package_settings
    if args.action == "purge":
        return cmd_purge(args)
    if args.action == "watchdog":
        act_as_owner_of(args.site_root)  # root writes the state and the journal as their owner
    if args.check:
        if args.action != "watchdog":
            raise DifusorError("--check applies to `web watchdog` and `web purge` only")
        watchdog = load_watchdog_settings(args.web_settings)
        state = freshness.assess_live(
            args.site_root, datetime.now(timezone.utc), settings, watchdog
        )
        age = "-" if state.age_s is None else f"{state.age_s // 60} min"
        print(
            f"check: the watchdog runs (python {sys.version.split()[0]}, {sys.executable}); "
            f"freshness {state.level}: live cut {state.cut or '-'}, age {age}"
            + (f"; {state.lag_text()}" if state.lag_s is not None else "")
            + "; nothing recorded"
        )
        return 0
    _need_web_root(args.web_root)
    if args.action == "watchdog":
        watchdog = load_watchdog_settings(args.web_settings)
        state, actions = freshness.check(
            args.site_root, args.web_root, datetime.now(timezone.utc), settings, watchdog
        )
    else:
        state = freshness.Freshness(**freshness.read_state(args.web_root))
        actions = []
    age = "-" if state.age_s is None else f"{state.age_s // 60} min"
    line = f"freshness {state.level}: live cut {state.cut or '-'}, age {age}"
    if state.lag_s is not None:
        line += f"; {state.lag_text()}"
    if actions:
        line += f" ({', '.join(actions)})"
    priority = PRIORITY.get(state.level, PRIORITY["warning"] if state.lag_s is not None else "")
    print(priority + line if args.action == "watchdog" else line)
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    paths = argparse.ArgumentParser(add_help=False)
    paths.add_argument(
        "--facts",
        type=Path,
        default=hostfacts.FACTS_PATH,
        help="the host's facts, which give the defaults below (default: %(default)s)",
    )
    paths.add_argument("--site-root", type=Path, help="(default: the host facts')")
    paths.add_argument("--web-root", type=Path, help="(default: the host facts')")
    paths.add_argument(
        "--settings", type=Path, help="publishing settings (default: the host facts')"
    )

    note = commands.add_parser(
        "notice",
        parents=[paths],
        help="serve the official notice instead of the results (V.ii.4), or stop serving it",
    )
    note.add_argument("action", choices=["on", "off", "status"])
    note.add_argument(
        "--reason",
        default="interrupción de la publicación (V.ii.4)",
        help="recorded in the journal",
    )
    note.add_argument(
        "--force",
        action="store_true",
        help="turn it on even inside the publication window (VI.a)",
    )
    note.add_argument(
        "-i", "--inventory", type=Path, help="from the controller: run playbooks/notice.yml"
    )
    note.add_argument("--limit", help="with -i: only these hosts")
    note.set_defaults(func=cmd_notice)

    web = commands.add_parser(
        "web", parents=[paths], help="the freshness watchdog of the live cut (I.H, V.ii.4)"
    )
    web.add_argument("action", choices=["watchdog", "status", "purge"])
    web.add_argument("--purge-settings", type=Path, help="purge: the CDN purge settings (YAML)")
    web.add_argument(
        "--web-settings", type=Path, help="watchdog settings (default: the host facts')"
    )
    web.add_argument(
        "--check",
        action="store_true",
        help="watchdog: assess the live cut and print the level; purge: read the settings; "
        "record nothing, act on nothing, send nothing (the web root is not needed)",
    )
    web.set_defaults(func=cmd_web)
