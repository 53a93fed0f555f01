"""A simulated electoral body for the demo: pushes a synthetic results package every N seconds.

`difusor simulate push` runs in the foreground, on the controller or inside a container: each
push generates the next cut (15 minutes after the previous one), sends the archive and then its
.sha256 sidecar (the sidecar's arrival completes the package for the receiver's ingest), and
prints one line. `difusor simulate start` runs the same loop in a container of a sandbox's
network (removed by `difusor sandbox down`); `difusor simulate watch` waits until cuts go live
on the sandbox target, reading its `current` link.

The pushes are difusor.transfer's (the rsync client the drill uses too). Only the standard
library, PyYAML and difusor.package are needed, so the loop runs with the system python3 of the
sandbox's client image.
"""

from __future__ import annotations

import argparse
import os
import socket
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from difusor import call, hostfacts, tools, transfer
from difusor.errors import DifusorError
from difusor.inventory import GROUP
from difusor.output import say
from difusor.transfer import DEFAULT_MODULE, DEFAULT_USER, RSYNC_PORT, Target, push_files

if TYPE_CHECKING:
    from difusor.sandbox import Host

CUT_STEP = timedelta(minutes=15)
DEFAULT_START = call.local_text(call.PUBLISH_FROM)
DEFAULT_EVERY_S = 20.0
SIMULATOR_HOST = "simulador-ople"
SIMULATOR_GROUP = "simulators"
LIB_MOUNT = "/opt/difusor-lib"


@dataclass(frozen=True)
class PushResult:
    index: int
    cut: datetime
    archive: str
    ok: bool
    seconds: float
    detail: str = ""


def cut_times(start: datetime, count: int | None) -> Iterator[datetime]:
    """start, start + 15 min, ...: `count` of them, or without end."""
    index = 0
    while count is None or index < count:
        yield start + index * CUT_STEP
        index += 1


def wait_for_port(host: str, port: int, timeout_s: float, say: Callable[[str], None]) -> None:
    """Wait until the target accepts TCP connections on the rsync port (it may still be being
    provisioned)."""
    deadline = time.monotonic() + timeout_s
    announced = False
    while True:
        try:
            with socket.create_connection((host, port), timeout=3):
                return
        except OSError as exc:
            if time.monotonic() >= deadline:
                raise DifusorError(
                    f"{host}:{port} did not accept connections in {timeout_s:.0f} s ({exc}); "
                    "is the target provisioned (rsync_receiver) and this address trusted?"
                ) from None
            if not announced:
                say(f"esperando a que {host}:{port} acepte conexiones ({exc})")
                announced = True
            time.sleep(2)


def simulate(
    target: Target,
    password: str,
    *,
    start: datetime,
    every_s: float,
    count: int | None,
    rows: int,
    fmt: str = "zip",
    retries: int = 5,
    say: Callable[[str], None] = print,
    sleep: Callable[[float], None] = time.sleep,
    push: Callable[..., tuple[bool, str]] = push_files,
) -> list[PushResult]:
    """Push `count` cuts (or without end), one every `every_s` seconds. A failed push is
    retried with the same cut at the next tick, up to `retries` times in a row."""
    from difusor.package import generate
    from difusor.package.layout import Settings, format_csv_cut, sidecar_path

    settings = Settings()
    results: list[PushResult] = []
    failures = 0
    cuts = cut_times(start, count)
    cut = next(cuts, None)
    index = 1
    with tempfile.TemporaryDirectory(prefix="difusor-sim-") as scratch:
        while cut is not None:
            tick = time.monotonic()
            out = Path(scratch) / cut.strftime("%Y%m%d_%H%M")
            out.mkdir(exist_ok=True)
            archive = generate(cut, out, rows=rows, fmt=fmt, settings=settings)
            ok, detail = push([archive, sidecar_path(archive, settings)], target, password)
            seconds = time.monotonic() - tick
            result = PushResult(index, cut, archive.name, ok, seconds, detail)
            results.append(result)
            shown = format_csv_cut(cut, settings)
            stamp = datetime.now().astimezone().strftime("%H:%M:%S %Z")
            if ok:
                say(
                    f"{stamp} envío {index}{'/' + str(count) if count else ''}: corte {shown} "
                    f"-> {target.url()}{archive.name} (+ .sha256) en {seconds:.1f} s"
                )
                failures = 0
                cut = next(cuts, None)
                index += 1
            else:
                failures += 1
                say(f"{stamp} envío {index} FALLÓ ({failures}/{retries}): {archive.name}: {detail}")
                if failures >= retries:
                    raise DifusorError(
                        f"{failures} pushes in a row failed; last: {detail}. Check the password "
                        "(RSYNC_PASSWORD or --password-file), that the target runs the rsync "
                        "receiver, and that this machine's address is a trusted source"
                    )
            for path in out.iterdir():
                path.unlink()
            if cut is not None:
                sleep(max(0.0, every_s - (time.monotonic() - tick)))
    return results


def read_password(password_file: Path | None) -> str:
    password = transfer.read_password(password_file)
    if not password:
        raise DifusorError(
            "no rsync password: set RSYNC_PASSWORD or pass --password-file FILE (the sandbox "
            "demo's is rsync_receiver_password in inventory/sandbox/group_vars/difusores.yml)"
        )
    return password


def parse_start(text: str) -> datetime:
    from difusor.package.layout import parse_cut_arg

    try:
        return parse_cut_arg(text)
    except ValueError as exc:
        raise DifusorError(f"--start: {exc}") from None


# --- The simulator in a sandbox container ----------------------------------------------------


def container_name(sandbox_name: str) -> str:
    return f"{sandbox_name}-simulator"


def sandbox_target(sandbox_name: str) -> Host:
    """The sandbox's first running host of group difusores."""
    from difusor import sandbox

    for host in sandbox.status(sandbox_name):
        if GROUP in host.groups and host.address:
            return host
    raise DifusorError(
        f"sandbox {sandbox_name} has no running host in group {GROUP}; "
        f"start it with `difusor sandbox up --name {sandbox_name}`"
    )


def library_mounts() -> list[str]:
    """Read-only mounts that give the container's python3 the difusor library and PyYAML."""
    import yaml

    package = Path(__file__).resolve().parent
    yaml_dir = Path(yaml.__file__).resolve().parent
    return [
        f"--volume={package}:{LIB_MOUNT}/difusor:ro",
        f"--volume={yaml_dir}:{LIB_MOUNT}/yaml:ro",
    ]


def push_arguments(args: argparse.Namespace, target: str) -> list[str]:
    """The `simulate push` arguments that reproduce these options inside the container."""
    argv = [
        "--target",
        target,
        "--module",
        args.module,
        "--user",
        args.user,
        "--every",
        str(args.every),
        "--start",
        args.start,
        "--rows",
        str(args.rows),
        "--wait",
        str(args.wait),
    ]
    if args.count:
        argv += ["--count", str(args.count)]
    return argv


def start_container(args: argparse.Namespace, password: str, say: Callable[[str], None]) -> str:
    """Run the push loop in a container of the sandbox's network; return its address."""
    from difusor import engine, images, sandbox
    from difusor.system import run

    engine.ensure_engine(say)
    name = container_name(args.sandbox)
    run(["docker", "rm", "--force", name], check=False)
    target = args.target or sandbox_target(args.sandbox).address
    image = images.ensure_image("client", images.load_recipes(), say)
    network = sandbox.network_name(args.sandbox)
    run(
        [
            *sandbox.service_run(args.sandbox, name, SIMULATOR_HOST, SIMULATOR_GROUP, network),
            "--env",
            "RSYNC_PASSWORD",
            "--env",
            f"PYTHONPATH={LIB_MOUNT}",
            "--env",
            "PYTHONDONTWRITEBYTECODE=1",
            *library_mounts(),
            "--entrypoint",
            "python3",
            image,
            "-m",
            "difusor.cli",
            "simulate",
            "push",
            *push_arguments(args, target),
        ],
        env={**os.environ, "RSYNC_PASSWORD": password},
    )
    address = sandbox.container_address(name, network)
    if args.vars_out:
        args.vars_out.parent.mkdir(parents=True, exist_ok=True)
        args.vars_out.write_text(
            "---\n# Written by `difusor simulate start`: the simulated electoral body's address.\n"
            f"sandbox_simulator_address: {address}\n"
        )
    return address


def start_after(live: str) -> str:
    """The first cut to push after the live one (15 minutes later), or the default start."""
    from difusor.package.layout import parse_cut_arg

    if not live:
        return DEFAULT_START
    return (parse_cut_arg(live) + CUT_STEP).strftime("%Y-%m-%d %H:%M")


def live_cut(container: str) -> str:
    """The cut the target serves now (its releases/<cut> behind `current`), or ''."""
    from difusor.system import run

    shown = run(["docker", "exec", container, "sh", "-c", hostfacts.READ_COMMAND], check=False)
    if shown.returncode != 0:
        return ""
    facts = hostfacts.from_command_output(shown.returncode, shown.stdout, container)
    current = str(facts.site_root / "current")
    result = run(["docker", "exec", container, "readlink", current], check=False)
    return Path(result.stdout.strip()).name if result.returncode == 0 else ""


def watch(
    read_live: Callable[[], str],
    want: int,
    timeout_s: float,
    say: Callable[[str], None],
    poll_s: float = 1.0,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> list[str]:
    """Wait until `want` different cuts have gone live, announcing each; return them."""
    started = clock()
    seen: list[str] = []
    initial = read_live()
    if initial:
        say(f"live now: {initial} (already there; waiting for {want} new cuts)")
    last = initial
    while len(seen) < want:
        if clock() - started > timeout_s:
            raise DifusorError(
                f"only {len(seen)} of {want} cuts went live in {timeout_s:.0f} s "
                f"({', '.join(seen) or 'none'}); see `difusor simulate logs` and, on the "
                "target, journalctl -u 'difusor-ingest*'"
            )
        current = read_live()
        if current and current != last:
            seen.append(current)
            say(f"{clock() - started:5.0f} s  live: {current} ({len(seen)}/{want})")
            last = current
        sleep(poll_s)
    return seen


# --- CLI -------------------------------------------------------------------------------------


def cmd_simulate(args: argparse.Namespace) -> int:
    from difusor import sandbox

    if args.action == "push":
        if not args.target:
            raise DifusorError("push needs --target HOST (the difusor's address or name)")
        tools.require("rsync")
        password = read_password(args.password_file)
        target = Target(args.target, args.module, args.user, args.port)
        if args.wait:
            wait_for_port(target.host, target.port, args.wait, say)
        say(
            f"simulador del OPLE: un corte cada {args.every:g} s a {target.url()}, desde "
            f"{args.start or DEFAULT_START}" + (f", {args.count} cortes" if args.count else "")
        )
        simulate(
            target,
            password,
            start=parse_start(args.start or DEFAULT_START),
            every_s=args.every,
            count=args.count or None,  # 0: without end
            rows=args.rows,
            say=say,
        )
        return 0
    if args.action == "start":
        if args.start:
            parse_start(args.start)
        else:  # continue after what the target serves, so that a rerun is not a replay
            args.start = start_after(live_cut(sandbox_target(args.sandbox).container))
        args.wait = args.wait or 900.0
        password = read_password(args.password_file)
        address = start_container(args, password, say)
        name = container_name(args.sandbox)
        say(
            f"simulated electoral body {name} started at {address} (network "
            f"{sandbox.network_name(args.sandbox)}); it pushes every {args.every:g} s once the "
            f"target's rsync port answers. Follow it: docker logs -f {name}"
        )
        if args.vars_out:
            say(f"its address is in {args.vars_out} (sandbox_simulator_address)")
        return 0
    if args.action == "logs":
        from difusor.system import run

        print(run(["docker", "logs", container_name(args.sandbox)]).stdout, end="")
        return 0
    if args.action == "stop":
        from difusor.system import run

        run(["docker", "rm", "--force", container_name(args.sandbox)], check=False)
        say(f"removed {container_name(args.sandbox)}")
        return 0
    target = args.target_container or sandbox_target(args.sandbox).container
    watch(lambda: live_cut(target), args.live, args.timeout, say)
    return 0


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return value


def _count(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}")
    return int(text)


def register(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    from difusor.sandbox import DEFAULT_NAME

    parser = commands.add_parser(
        "simulate",
        help="a simulated electoral body that pushes synthetic cuts by rsync",
        description="push: send a synthetic cut every --every seconds (15 minutes of cut time "
        "apart) to rsync://USER@TARGET/MODULE/. start: the same loop in a container of a "
        "sandbox network. watch: wait until cuts go live on the sandbox target. "
        "The password comes from RSYNC_PASSWORD or --password-file.",
    )
    parser.add_argument("action", choices=["push", "start", "watch", "logs", "stop"])
    parser.add_argument("--target", help="push/start: the difusor's address or name")
    parser.add_argument(
        "--module", default=DEFAULT_MODULE, help="rsync module (default: %(default)s)"
    )
    parser.add_argument("--user", default=DEFAULT_USER, help="rsync user (default: %(default)s)")
    parser.add_argument("--port", type=int, default=RSYNC_PORT, help=argparse.SUPPRESS)
    parser.add_argument("--password-file", type=Path, help="file holding the rsync password")
    parser.add_argument(
        "--every",
        type=_positive_float,
        default=DEFAULT_EVERY_S,
        help="seconds between pushes (default: %(default)s)",
    )
    parser.add_argument(
        "--start",
        help="first cut, 'YYYY-MM-DD HH:MM' Tiempo del Centro (default: push "
        f"{DEFAULT_START}; start: 15 minutes after the sandbox target's live cut, or "
        f"{DEFAULT_START})",
    )
    parser.add_argument(
        "--count", type=_count, default=0, help="stop after this many pushes (default: never)"
    )
    parser.add_argument(
        "--rows", type=_count, default=200, help="actas per package (default: %(default)s)"
    )
    parser.add_argument(
        "--wait",
        type=float,
        default=0.0,
        help="seconds to wait for the target's rsync port before the first push "
        "(default: %(default)s; start uses 900 unless given)",
    )
    parser.add_argument(
        "--sandbox",
        default=DEFAULT_NAME,
        help="start/watch/logs/stop: the sandbox name (default: %(default)s)",
    )
    parser.add_argument(
        "--vars-out", type=Path, help="start: write sandbox_simulator_address to this YAML file"
    )
    parser.add_argument(
        "--live", type=int, default=3, help="watch: how many new cuts (default: %(default)s)"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=600.0,
        help="watch: give up after these seconds (default: %(default)s)",
    )
    parser.add_argument(
        "--target-container", help="watch: the target container (default: the sandbox's)"
    )
    parser.set_defaults(func=cmd_simulate)
    return parser
