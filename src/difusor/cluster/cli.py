"""`difusor cluster`: the receiving node's distribution, and the agents its key may run."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

from difusor import hostfacts
from difusor.cluster import agent, balancer
from difusor.cluster.settings import CLUSTER_FILE, load_cluster_settings
from difusor.cluster.sync import CallFailed, Distributor, Ssh, require_settings
from difusor.errors import DifusorError
from difusor.package.releases import live_cut_id


def _command() -> str:
    command = os.environ.get("SSH_ORIGINAL_COMMAND")
    if command is None:
        raise DifusorError("run by sshd for the receiving node's key (SSH_ORIGINAL_COMMAND unset)")
    return command


def cluster_status(distributor: Distributor) -> dict[str, Any]:
    """The receiving node's live cut and every web node's (its agent's `status`), or the error of
    a node that did not answer: what the audit compares (I.H)."""
    nodes = {
        name: {"error": str(answer)}
        if isinstance(answer, CallFailed)
        else {"live": answer.get("live")}
        for name, answer in distributor.statuses().items()
    }
    return {"live": live_cut_id(distributor.root), "nodes": nodes}


def cmd_cluster(args: argparse.Namespace) -> int:
    facts = hostfacts.load(args.facts)
    root = args.site_root or facts.site_root
    if args.action == "node-agent":
        return agent.main(_command(), root, hostfacts.package_settings(facts))
    if args.action == "balancer-agent":
        return balancer.main(_command())
    settings = load_cluster_settings(args.cluster_settings)
    require_settings(settings)
    if args.action == "check":
        print(f"cluster: {len(settings.nodes)} web node(s), {len(settings.balancers)} balancer(s)")
        return 0
    distributor = Distributor(root, settings, Ssh(settings))
    if args.action == "status":
        print(json.dumps(cluster_status(distributor), ensure_ascii=False))
        return 0
    passes = distributor.sync()
    for one in passes:
        print(
            json.dumps(
                {
                    "cut": one.cut,
                    "staged": one.staged,
                    "switched": one.switched,
                    "failed": one.failed,
                    "out": one.taken_out,
                    "in": one.put_back,
                    "stalled": one.stalled,
                },
                ensure_ascii=False,
            )
        )
    # A node that failed is journaled and out of the balancer, a pass that stalled kept the
    # previous cut everywhere and the timer tries again: the pass itself worked.
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "cluster",
        help="several web nodes behind a balancer: distribute the live cut (receiving node), "
        "or the agents the receiving node's key runs on a web node or a balancer",
    )
    parser.add_argument(
        "action", choices=["sync", "check", "status", "node-agent", "balancer-agent"]
    )
    parser.add_argument("--facts", type=Path, default=hostfacts.FACTS_PATH)
    parser.add_argument("--site-root", type=Path, help="(default: the host facts')")
    parser.add_argument(
        "--cluster-settings",
        type=Path,
        default=CLUSTER_FILE,
        help="sync, check, status: the receiving node's cluster settings (default: %(default)s)",
    )
    parser.set_defaults(func=cmd_cluster)
