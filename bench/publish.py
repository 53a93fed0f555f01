"""Benchmark: how fast a results package goes live, and what readers see while cuts change.

Everything runs on loopback in a temporary directory and stops by itself. Measured:

1. Arrival to served: from the moment ARCHIVE and ARCHIVE.sha256 are complete in the incoming
   directory (copied under a dot-name, then renamed into place, as rsync does) until a GET of
   /index.html shows the new cut. Publishing runs `python -m difusor.cli package ingest`, as the
   systemd path unit does, so interpreter start-up is included. Target: under 3 s.
2. Under concurrent HTTP load (client threads fetching index.html and two assets in a loop),
   the same consecutive cuts published two ways: difusor's `ingest` (verify, extract to
   releases/<cut>, atomic switch of `current`) and a naive baseline that runs
   zipfile.extractall over the single served directory. Per way: requests, failed responses
   (non-200 or connection errors), "mixed" responses (a body that is byte-identical to that
   file in no single cut), cross-file skew (page loads whose files come from different cuts;
   information only, a browser can see it with any switch) and publish times.
3. The hostile mix (issue 13): the same cuts published by `ingest` under the same load, each
   arriving beside a poison arrival (bench/poison.py: a name too long for its sidecar, a name
   that is not UTF-8, metadata 100,000 deep, a CSV cut in year 1, 3,000 chained tar long names,
   a member 1,300 directories deep, a 2 GiB sparse archive, a future cut, a shipped .gz sibling,
   no index.html, a symlink with a FIFO sidecar, a truncated transfer, a 400 MiB member name, a
   zip declaring 400,000 entries, a replayed cut, a newline in a name), with the production
   rules (no drill mode; the clock one minute after each cut). Counted as well: valid cuts live
   in turn (GET /index.html names each one right after its pass) and poisons rejected.

The web server is a ThreadingHTTPServer in its own process (as nginx would be) that opens files
through the served directory on every request, so a symlink switch is followed at once. The
load runs in another process, so that neither steals the publisher's interpreter lock.
4. With `--sizes` (instead of 1-3): verify and publish times of packages at real size, in the
   2024 layouts (issue 15): a Veracruz-2024 state package (GUB and DIP_LOC, `--rows` actas each)
   and a national INE package (PRES, SEN and DIP_FED inner zips, `--national-rows` each).

Exit status 1 if difusor's way (clean or hostile) had a failed or mixed response, a valid cut
of the hostile mix did not go live in turn, a poison was not rejected, or arrival to served
took 3 s or more; timings are not asserted anywhere else.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import multiprocessing
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing.synchronize import Event
from pathlib import Path
from zoneinfo import ZoneInfo

from difusor.package import generate, ingest, publish, verify
from difusor.package.layout import Settings, sidecar_path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import poison  # bench/poison.py, beside this file

FIRST_CUT = datetime(2024, 6, 2, 20, 0, tzinfo=ZoneInfo("America/Mexico_City"))
CUT_STEP = timedelta(minutes=15)
# Each names its cut (the bundles do not: a build's hashed files are the same every cut).
PAGE = ("index.html", "assets/data/resumen.json", "assets/data/GUB/entidad.json")
CORTE_RE = re.compile(rb'data-corte="(\d{8}_\d{4})"')
TARGET_S = 3.0
GAP_S = 0.2  # each cut stays live at least this long, so that the clients see it
TIMEOUT_S = 30.0
MP = multiprocessing.get_context("spawn")

Digests = dict[str, dict[str, str]]  # served path -> sha256 of its body -> cut id
Publisher = Callable[[Path], float]  # publishes one archive, returns its publish time in s


@dataclass
class WayResult:
    name: str
    tally: Counter[str] = field(default_factory=Counter)
    times: list[float] = field(default_factory=list)
    live_in_turn: int = 0  # the hostile mix: valid cuts served right after their pass
    poisons: Counter[str] = field(default_factory=Counter)  # kind -> outcome


# --- packages ----------------------------------------------------------------------------------


def make_cuts(out: Path, rows: int, count: int) -> list[Path]:
    """`count` successive packages, 15 minutes apart; returns the archives, oldest first."""
    return [generate(FIRST_CUT + index * CUT_STEP, out, rows=rows) for index in range(count)]


def cut_of(archive: Path) -> str:
    return archive.name[:13]  # YYYYMMDD_HHMM, the prefix of the archive name


def served_digests(archives: list[Path]) -> Digests:
    """The sha256 of every fetched path in every cut, read from the archives."""
    digests: Digests = {path: {} for path in PAGE}
    for archive in archives:
        with zipfile.ZipFile(archive) as package:
            for path in PAGE:
                digests[path][hashlib.sha256(package.read(path)).hexdigest()] = cut_of(archive)
    return digests


def arrive(archive: Path, incoming: Path) -> None:
    """Copy archive then sidecar into `incoming`, each under a dot-name renamed into place."""
    incoming.mkdir(parents=True, exist_ok=True)
    for source in (archive, sidecar_path(archive)):
        partial = incoming / f".{source.name}.partial"
        shutil.copyfile(source, partial)
        os.replace(partial, incoming / source.name)


# --- web server (child process) ----------------------------------------------------------------


def make_handler(docroot: Path) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, like a browser
        disable_nagle_algorithm = True  # else each small response waits for a delayed ACK

        def do_GET(self) -> None:
            base = os.path.realpath(docroot)  # follows `current` on every request, like nginx
            relative = self.path.split("?", 1)[0].lstrip("/") or "index.html"
            target = os.path.realpath(os.path.join(base, relative))
            try:
                if not target.startswith(base + os.sep):
                    raise FileNotFoundError(target)
                with open(target, "rb") as handle:
                    body = handle.read()
            except OSError:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


def serve(docroot: str, ports: multiprocessing.Queue) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(Path(docroot)))
    server.daemon_threads = True
    ports.put(server.server_address[1])
    server.serve_forever()


@contextmanager
def serving(docroot: Path) -> Iterator[int]:
    """A web server on loopback serving `docroot`; yields its port."""
    ports = MP.Queue()
    process = MP.Process(target=serve, args=(str(docroot), ports), daemon=True)
    process.start()
    try:
        yield ports.get(timeout=TIMEOUT_S)
    finally:
        process.terminate()
        process.join(TIMEOUT_S)


# --- HTTP clients (child process) --------------------------------------------------------------


def fetch(connection: http.client.HTTPConnection, path: str) -> bytes | None:
    """The body of a 200 response; None for any other status or a connection error."""
    try:
        connection.request("GET", f"/{path}")
        response = connection.getresponse()
        body = response.read()
    except (OSError, http.client.HTTPException):
        connection.close()  # reconnects on the next request
        return None
    return body if response.status == 200 else None


def page_load(connection: http.client.HTTPConnection, digests: Digests, tally: Counter) -> None:
    """Fetch index.html and its assets once; count failed, mixed and skewed responses."""
    cuts = set()
    for path in PAGE:
        body = fetch(connection, path)
        tally["requests"] += 1
        if body is None:
            tally["failed"] += 1
            continue
        cut = digests[path].get(hashlib.sha256(body).hexdigest())
        if cut is None:
            tally["mixed"] += 1
        else:
            cuts.add(cut)
    tally["pages"] += 1
    tally["skew"] += len(cuts) > 1


def browse(port: int, digests: Digests, stop: Event, tally: Counter) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT_S)
    while not stop.is_set():
        page_load(connection, digests, tally)
    connection.close()


def load(
    port: int,
    digests: Digests,
    clients: int,
    ready: Event,
    stop: Event,
    results: multiprocessing.Queue,
) -> None:
    """`clients` threads loading the page until `stop`; puts the summed tally in `results`."""
    tallies = [Counter() for _ in range(clients)]
    threads = [
        threading.Thread(target=browse, args=(port, digests, stop, tally)) for tally in tallies
    ]
    for thread in threads:
        thread.start()
    ready.set()
    for thread in threads:
        thread.join()
    results.put(sum(tallies, Counter()))


# --- the two ways of publishing ----------------------------------------------------------------


def difusor_way(incoming: Path, root: Path) -> Publisher:
    def publish(archive: Path) -> float:
        arrive(archive, incoming)
        start = time.perf_counter()
        outcomes = ingest(incoming, root, drill=True)
        elapsed = time.perf_counter() - start
        if [outcome.event for outcome in outcomes] != ["published"]:
            raise RuntimeError(f"{archive.name} was not published: {outcomes}")
        return elapsed

    return publish


HOSTILE_SETTINGS = Settings(accept_synthetic=True)  # production rules, synthetic test cuts
RULE_RE = re.compile(r"rejected by rule ([a-z-]+)")


def hostile_way(incoming: Path, root: Path, port_of: Callable[[], int], result: WayResult):
    """Each valid cut arrives beside a poison; one `ingest` pass with the production rules."""
    state = {"index": 0}

    def publish(archive: Path) -> float:
        index = state["index"]
        state["index"] += 1
        cut = datetime.strptime(cut_of(archive), "%Y%m%d_%H%M").replace(tzinfo=FIRST_CUT.tzinfo)
        kind = poison.KINDS[index % len(poison.KINDS)](incoming, index, cut)
        arrive(archive, incoming)
        start = time.perf_counter()
        outcomes = ingest(incoming, root, settings=HOSTILE_SETTINGS, now=cut + timedelta(minutes=1))
        elapsed = time.perf_counter() - start
        events = Counter(outcome.event for outcome in outcomes)
        if events["published"] != 1:
            raise RuntimeError(f"{archive.name} was not published: {outcomes}")
        refused = [o.detail for o in outcomes if o.event == "rejected"]
        rule = RULE_RE.search(refused[0]) if refused else None
        result.poisons[kind] = f"rejected ({rule.group(1)})" if rule else ",".join(events)
        result.live_in_turn += served_cut(port_of()) == cut_of(archive)
        return elapsed

    return publish


def naive_way(live: Path) -> Publisher:
    def publish(archive: Path) -> float:
        start = time.perf_counter()
        with zipfile.ZipFile(archive) as package:
            package.extractall(live)
        return time.perf_counter() - start

    return publish


def under_load(
    name: str,
    port: int,
    digests: Digests,
    clients: int,
    archives: list[Path],
    publish: Publisher,
    result: WayResult | None = None,
) -> WayResult:
    """Publish `archives` one after another while `clients` load the page from `port`."""
    ready, stop, results = MP.Event(), MP.Event(), MP.Queue()
    process = MP.Process(target=load, args=(port, digests, clients, ready, stop, results))
    process.start()
    ready.wait(TIMEOUT_S)
    time.sleep(GAP_S)
    times = []
    for archive in archives:
        times.append(publish(archive))
        time.sleep(GAP_S)
    stop.set()
    tally = results.get(timeout=TIMEOUT_S)
    process.join(TIMEOUT_S)
    result = result or WayResult(name)
    result.tally, result.times = tally, times
    return result


# --- arrival to served -------------------------------------------------------------------------


def served_cut(port: int) -> str | None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT_S)
    body = fetch(connection, "index.html")
    connection.close()
    match = CORTE_RE.search(body or b"")
    return match.group(1).decode() if match else None


def arrival_to_served(archive: Path, incoming: Path, root: Path, port: int) -> float:
    """Seconds from a complete arrival until GET /index.html shows its cut."""
    arrive(archive, incoming)
    start = time.monotonic()
    command = [sys.executable, "-m", "difusor.cli", "package", "ingest", "--drill"]
    command += ["--incoming", str(incoming), "--root", str(root), "--settle", "0"]
    watcher = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    while served_cut(port) != cut_of(archive) and time.monotonic() - start < TIMEOUT_S:
        time.sleep(0.005)
    elapsed = time.monotonic() - start
    watcher.wait(TIMEOUT_S)
    return elapsed


# --- report ------------------------------------------------------------------------------------


def ratio(numerator: float, denominator: float) -> str:
    return f"{numerator / denominator:.2f}x" if denominator else "n/a"


def report(args: argparse.Namespace, arrival: float, ways: list[WayResult]) -> None:
    verdict = "OK" if arrival < TARGET_S else "TOO SLOW"
    print(
        f"difusor publish benchmark: {args.rows} actas, {args.cuts} publishes per way,"
        f" {args.clients} HTTP clients, loopback, {os.cpu_count()} CPUs"
    )
    print(f"arrival to served (CLI ingest): {arrival:.3f} s  (target < {TARGET_S:g} s: {verdict})")
    print()
    header = f"{'way':8} {'requests':>9} {'failed':>7} {'mixed':>6} {'skewed pages':>15}"
    print(f"{header} {'publish median':>15} {'publish max':>12}")
    for way in ways:
        t = way.tally
        skew = f"{t['skew']}/{t['pages']}"
        print(
            f"{way.name:8} {t['requests']:>9} {t['failed']:>7} {t['mixed']:>6} {skew:>15}"
            f" {statistics.median(way.times):>13.3f} s {max(way.times):>10.3f} s"
        )
    ours, hostile, naive = ways
    print()
    kinds = len(hostile.poisons)
    refused = sum(outcome.startswith("rejected") for outcome in hostile.poisons.values())
    print(
        f"hostile mix: {hostile.live_in_turn}/{len(hostile.times)} valid cuts live in turn; "
        f"{refused}/{kinds} poison kinds rejected, the next cut live each time"
    )
    for kind, outcome in hostile.poisons.items():
        print(f"  {kind:32} {outcome}")
    print()
    print("ratios (difusor / naive, same run):")
    for key in ("failed", "mixed", "skew"):
        print(f"  {key:22} {ours.tally[key]} / {naive.tally[key]}")
    median = ratio(statistics.median(ours.times), statistics.median(naive.times))
    print(f"  {'publish time (median)':22} {median}")
    print(f"  {'publish time (max)':22} {ratio(max(ours.times), max(naive.times))}")
    print("ratios (difusor under the hostile mix / difusor, same run):")
    for key in ("failed", "mixed", "skew"):
        print(f"  {key:22} {hostile.tally[key]} / {ours.tally[key]}")
    median = ratio(statistics.median(hostile.times), statistics.median(ours.times))
    print(f"  {'publish time (median)':22} {median}")


# --- package sizes (issue 15) ------------------------------------------------------------------

LAST_CUT = datetime(2024, 6, 3, 20, 0, tzinfo=ZoneInfo("America/Mexico_City"))  # all captured
SIZES = (  # name, layout, elections, actas per election (None: --rows, else --national-rows)
    ("Veracruz 2024, state layout", "state", ("GUB", "DIP_LOC"), None),
    ("national, INE layout", "ine", ("PRES", "SEN", "DIP_FED"), "national"),
)


def size_figures(work: Path, rows: int, national_rows: int) -> list[tuple[str, ...]]:
    """(package, actas, archive MiB, files MiB, generate s, verify s, publish s) per size."""
    settings = Settings(accept_synthetic=True)
    lines = []
    for name, layout, elections, size in SIZES:
        actas = national_rows if size else rows
        start = time.perf_counter()
        archive = generate(LAST_CUT, work / layout, rows=actas, layout=layout, elections=elections)
        generated = time.perf_counter()
        verified = verify(archive, settings)
        checked = time.perf_counter()
        publish(archive, work / f"{layout}-root", drill=True, settings=settings)
        published = time.perf_counter()
        lines.append(
            (
                f"{name} ({verified.preset})",
                f"{len(elections)} x {actas:,}",
                f"{archive.stat().st_size / 2**20:.1f}",
                f"{verified.total_bytes / 2**20:.1f}",
                f"{generated - start:.1f}",
                f"{checked - generated:.2f}",
                f"{published - checked:.2f}",
            )
        )
    return lines


def report_sizes(lines: list[tuple[str, ...]]) -> None:
    print(f"difusor package sizes benchmark: {os.cpu_count()} CPUs")
    head = ("package", "actas", "zip MiB", "served MiB", "generate s", "verify s", "publish s")
    widths = [max(len(row[i]) for row in (head, *lines)) for i in range(len(head))]
    for row in (head, *lines):
        print(
            "  ".join(
                cell.rjust(width) if i else cell.ljust(width)
                for i, (cell, width) in enumerate(zip(row, widths, strict=True))
            )
        )


def positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=positive, default=11_000, help="actas per package")
    parser.add_argument("--cuts", type=positive, default=20, help="publishes per way")
    parser.add_argument("--clients", type=positive, default=8, help="HTTP client threads")
    parser.add_argument(
        "--sizes",
        action="store_true",
        help="only verify and publish times of real-size packages (state and INE layouts)",
    )
    parser.add_argument(
        "--national-rows", type=positive, default=170_000, help="actas per national election"
    )
    args = parser.parse_args(argv)
    if args.sizes:
        with tempfile.TemporaryDirectory(prefix="difusor-bench-") as tmp:
            report_sizes(size_figures(Path(tmp), args.rows, args.national_rows))
        return 0
    with tempfile.TemporaryDirectory(prefix="difusor-bench-") as tmp:
        work = Path(tmp)
        archives = make_cuts(work / "packages", args.rows, args.cuts + 2)
        first, arriving, rest = archives[0], archives[1], archives[2:]
        digests = served_digests(archives)
        incoming, root, live = work / "incoming", work / "root", work / "live"

        difusor_publish = difusor_way(incoming, root)
        difusor_publish(first)
        with serving(root / "current") as port:
            arrival = arrival_to_served(arriving, incoming, root, port)
            ours = under_load("difusor", port, digests, args.clients, rest, difusor_publish)

        hostile_in, hostile_root = work / "hostile-incoming", work / "hostile-root"
        difusor_way(hostile_in, hostile_root)(first)
        hostile = WayResult("hostile")
        with serving(hostile_root / "current") as port:
            hostile_publish = hostile_way(hostile_in, hostile_root, lambda: port, hostile)
            under_load("hostile", port, digests, args.clients, rest, hostile_publish, hostile)

        naive_publish = naive_way(live)
        naive_publish(arriving)
        with serving(live) as port:
            naive = under_load("naive", port, digests, args.clients, rest, naive_publish)

    report(args, arrival, [ours, hostile, naive])
    bad = ours.tally["failed"] or ours.tally["mixed"] or arrival >= TARGET_S
    bad = bad or hostile.tally["failed"] or hostile.tally["mixed"]
    bad = bad or hostile.live_in_turn != len(rest)
    bad = bad or not all(outcome.startswith("rejected") for outcome in hostile.poisons.values())
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
