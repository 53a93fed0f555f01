"""`difusor stats` beside GoAccess on the same 10 million access-log lines.

Generates a synthetic log deterministically (seeded): the web container's JSON lines and, for
GoAccess, a COMBINED-format twin of the very same records (same IP, time, request, status, user
agent; malformed lines stay malformed). Then runs both, one after the other, each as a child
process, and prints lines/s, the ratio, peak RSS (wait4 rusage of each child), and hits and
visitors side by side with the differences explained by definition.

    .venv/bin/python bench/stats.py                 # 10,000,000 lines (about 4.5 GB in /tmp)
    .venv/bin/python bench/stats.py --lines 200000  # a quick run
    .venv/bin/python bench/stats.py --keep DIR      # keep the generated logs and outputs

GoAccess is Debian's package (`apt-get install -y goaccess`); without it the GoAccess half is
skipped with that message.
"""

from __future__ import annotations

import argparse
import heapq
import json
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TZ = timezone(timedelta(hours=-6))  # Tiempo del Centro in June 2024 (no DST since 2022)
START = datetime(2024, 6, 1, 0, 0, tzinfo=TZ)
DAYS = 10  # 1 to 10 June: the memoria's 2-9 June plus a day on each side
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

BROWSERS = [
    f"Mozilla/5.0 ({system}) AppleWebKit/537.36 (KHTML, like Gecko) {browser}"
    for system in (
        "Windows NT 10.0; Win64; x64",
        "Macintosh; Intel Mac OS X 10_15_7",
        "X11; Linux x86_64",
        "Linux; Android 14; SM-A546E",
        "iPhone; CPU iPhone OS 17_5 like Mac OS X",
    )
    for browser in (
        "Chrome/125.0.0.0 Safari/537.36",
        "Version/17.5 Mobile/15E148 Safari/604.1",
        "Firefox/126.0",
        "Chrome/125.0.0.0 Mobile Safari/537.36 EdgA/125.0",
        "SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36",
        "Chrome/124.0.0.0 Safari/537.36 OPR/110.0.0.0",
    )
]
BOTS = [
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "curl/8.5.0",
    "Wget/1.21.3",
    "python-requests/2.31.0",
    "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
    "facebookexternalhit/1.1",
    "Go-http-client/1.1",
]
PAGES = ["/", "/index.html"] + [
    f"/{section}/{name}.html"
    for section in ("gubernatura", "diputaciones", "ayuntamientos")
    for name in ("entidad", "distritos", "secciones", "casillas", "votos-candidatura")
]
ASSETS = ["/assets/js/prep.js", "/assets/css/prep.css", "/assets/img/logo.png"]
DATA = "/assets/data/resumen.json"
DOWNLOADS = ["/assets/descargas/GUB_2024.csv", "/assets/descargas/DIP_LOC_2024.csv"]


def hour_weight(moment: datetime) -> float:
    """Traffic profile: quiet before election night, a peak from 20:00 on 2 June, then decay."""
    hours_since = (moment - datetime(2024, 6, 2, 20, 0, tzinfo=TZ)).total_seconds() / 3600
    daily = 0.35 + 0.65 * math.sin(math.pi * ((moment.hour - 6) % 24) / 24) ** 2
    if hours_since < 0:
        return 0.15 * daily
    return daily * (0.2 + 3.0 * math.exp(-hours_since / 18))


class Stamps:
    """ISO 8601 and CLF time stamps, computed once per minute."""

    def __init__(self) -> None:
        self.minute = -1
        self.iso = self.clf = ""

    def __call__(self, epoch: int) -> tuple[str, str]:
        minute, second = divmod(epoch, 60)
        if minute != self.minute:
            moment = datetime.fromtimestamp(minute * 60, UTC).astimezone(TZ)
            self.minute = minute
            self.iso = moment.strftime("%Y-%m-%dT%H:%M:")
            self.clf = f"{moment.day:02d}/{MONTHS[moment.month - 1]}/{moment:%Y:%H:%M:}"
        return f"{self.iso}{second:02d}-06:00", f"{self.clf}{second:02d} -0600"


def visitor(rng: random.Random, pool: int) -> tuple[str, str]:
    """Skewed choice (returning visitors); three user agents share each IP (NAT)."""
    index = int(pool * rng.random() ** 2)
    address = index // 3
    if address % 10 == 0:
        ip = f"2806:{address % 65536:x}:{address // 65536:x}::1"
    else:
        ip = f"189.{(address >> 16) & 255}.{(address >> 8) & 255}.{address & 255}"
    return ip, BROWSERS[(index * 7 + address) % len(BROWSERS)]


def session(rng: random.Random, start: int, pool: int) -> list[tuple[int, str, str, str, int]]:
    """(time, ip, uri, user agent, status) of one visit, human or bot."""
    events = []
    if rng.random() < 0.06:
        ip = f"66.249.{rng.randrange(64, 96)}.{rng.randrange(1, 255)}"
        agent = rng.choice(BOTS)
        moment = start
        for _ in range(rng.randint(3, 40)):
            uri = rng.choice([*PAGES, DATA, *DOWNLOADS, "/robots.txt"])
            events.append((moment, ip, uri, agent, 404 if uri == "/robots.txt" else 200))
            moment += rng.randint(0, 4)
        return events
    ip, agent = visitor(rng, pool)
    moment = start
    for number in range(1 + min(int(rng.expovariate(0.7)), 8)):
        page = "/" if number == 0 and rng.random() < 0.6 else rng.choice(PAGES)
        if rng.random() < 0.05:
            page += f"?utm_source=social{rng.randrange(5)}"
        cached = number > 0 and rng.random() < 0.5
        events.append((moment, ip, page, agent, 304 if rng.random() < 0.15 else 200))
        for asset in ASSETS:
            events.append((moment + rng.randint(0, 1), ip, asset, agent, 304 if cached else 200))
        if rng.random() < 0.03:
            events.append((moment + 1, ip, "/favicon.ico", agent, 404))
        for poll in range(int(rng.expovariate(0.25))):  # the page polls its data every minute
            events.append((moment + 60 * (poll + 1), ip, DATA + "?t=" + str(poll), agent, 200))
        if rng.random() < 0.08:
            events.append((moment + rng.randint(5, 40), ip, rng.choice(DOWNLOADS), agent, 200))
        moment += int(rng.expovariate(1 / 90)) + 60 * int(rng.expovariate(0.25))
    return events


def records(lines: int, seed: int) -> Iterator[tuple[int, str, str, str, int]]:
    """Time-ordered requests until `lines` (sessions arrive at the profile's rate)."""
    rng = random.Random(seed)
    pool = max(3000, lines // 25)
    start = int(START.timestamp())
    end = start + DAYS * 86400
    per_session = 14.0  # measured mean of session(): keeps the run close to 10 days
    weights = [hour_weight(START + timedelta(hours=hour)) for hour in range(DAYS * 24)]
    scale = lines / per_session / sum(weights) / 3600
    pending: list[tuple[int, int, tuple[int, str, str, str, int]]] = []
    order = 0
    emitted = 0
    now = start
    while emitted < lines:
        if now < end:
            rate = scale * weights[(now - start) // 3600]
            for _ in range(int(rate) + (rng.random() < rate - int(rate))):
                for event in session(rng, now, pool):
                    order += 1
                    heapq.heappush(pending, (event[0], order, event))
        elif not pending:
            break  # the calibrated profile gave fewer lines than asked (not with the defaults)
        while pending and pending[0][0] <= now and emitted < lines:
            yield heapq.heappop(pending)[2]
            emitted += 1
        now += 1


def generate(lines: int, seed: int, json_path: Path, clf_path: Path, malformed_every: int) -> None:
    stamps = Stamps()
    rng = random.Random(seed + 1)
    with json_path.open("w") as jlog, clf_path.open("w") as clog:
        for count, (epoch, ip, uri, agent, status) in enumerate(records(lines, seed), 1):
            iso, clf = stamps(epoch)
            size = 0 if status == 304 else 512 + (count * 7919) % 40000
            referer = "-" if count % 3 else "https://www.universidad.example.mx/elecciones"
            if count % malformed_every == 0:
                jlog.write(f'{{"time_iso8601":"{iso}","remote_addr":"{ip}","request_\n')
                clog.write(f"{ip} - - [{clf}] truncated\n")
                continue
            jlog.write(
                f'{{"time_iso8601":"{iso}","remote_addr":"{ip}","request_method":"GET",'
                f'"request_uri":"{uri}","status":{status},"body_bytes_sent":{size},'
                f'"http_referer":"{referer}","http_user_agent":"{agent}",'
                f'"request_time":{rng.randrange(1, 40) / 1000}}}\n'
            )
            clog.write(
                f'{ip} - - [{clf}] "GET {uri} HTTP/1.1" {status} {size} "{referer}" "{agent}"\n'
            )


def run(command: list[str], stdout: Path) -> tuple[float, int, int]:
    """Wall seconds, peak RSS (KiB) and exit code of one child process."""
    with stdout.open("wb") as out, open(stdout.with_suffix(".err"), "wb") as err:
        began = time.perf_counter()
        child = subprocess.Popen(command, stdout=out, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        elapsed = time.perf_counter() - began
    child.returncode = os.waitstatus_to_exitcode(status)
    return elapsed, usage.ru_maxrss, child.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=20240602)
    parser.add_argument("--malformed-every", type=int, default=100_003)
    parser.add_argument("--keep", type=Path, help="work here and keep the files")
    args = parser.parse_args()

    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-stats-"))
    work.mkdir(parents=True, exist_ok=True)
    json_log, clf_log = work / "access.log", work / "access.combined.log"
    began = time.perf_counter()
    generate(args.lines, args.seed, json_log, clf_log, args.malformed_every)
    print(
        f"generated {args.lines:,} lines in {time.perf_counter() - began:.0f} s: "
        f"{json_log} ({json_log.stat().st_size / 1e9:.2f} GB, JSON), "
        f"{clf_log} ({clf_log.stat().st_size / 1e9:.2f} GB, COMBINED twin)"
    )
    try:
        report(args, work, json_log, clf_log)
    finally:
        if not args.keep:
            shutil.rmtree(work)
    return 0


def report(args: argparse.Namespace, work: Path, json_log: Path, clf_log: Path) -> None:
    stats_cmd = [sys.executable, "-m", "difusor.cli", "stats", str(json_log), "--format", "json"]
    elapsed, rss, code = run(stats_cmd, work / "difusor.json")
    if code:
        sys.exit(f"difusor stats failed: {(work / 'difusor.err').read_text()}")
    ours = json.loads((work / "difusor.json").read_text())
    rows = [("difusor stats", elapsed, rss)]
    theirs = None
    goaccess = shutil.which("goaccess")
    if goaccess is None:
        print(
            "GoAccess is not installed: `apt-get install -y goaccess` (Debian's package); skipped"
        )
    else:
        version = subprocess.run([goaccess, "--version"], capture_output=True, text=True)
        out = work / "goaccess.json"
        g_elapsed, g_rss, g_code = run(
            [goaccess, str(clf_log), "--log-format=COMBINED", "--no-global-config",
             "-o", str(out)],
            work / "goaccess.out",
        )  # fmt: skip
        if g_code:
            print(f"goaccess failed ({g_code}): {(work / 'goaccess.err').read_text()[-500:]}")
        else:
            theirs = json.loads(out.read_text())["general"]
            rows.append((version.stdout.splitlines()[0].strip(" -."), g_elapsed, g_rss))

    print(f"\n{'tool':22} {'seconds':>8} {'lines/s':>12} {'peak RSS':>10}")
    for name, seconds, peak in rows:
        print(f"{name:22} {seconds:8.1f} {args.lines / seconds:12,.0f} {peak / 1024:7.0f} MiB")
    if theirs is None:
        return
    ratio = rows[1][1] / rows[0][1]
    print(f"throughput ratio difusor/goaccess: {ratio:.2f} (>1 means difusor is faster)")
    human_and_bot = ours["visitors"] + ours["bots"]["visitors"]
    print(f"\n{'figure':44} {'difusor':>12} {'goaccess':>12}")
    compare = [
        ("lines read", args.lines, theirs["total_requests"]),
        ("hits (well-formed requests)", ours["hits"], theirs["valid_requests"]),
        ("malformed / failed lines", ours["malformed_lines"], theirs["failed_requests"]),
        ("visitors incl. bots, sum of daily uniques", human_and_bot, theirs["unique_visitors"]),
        ("visitors (people only, difusor's figure)", ours["visitors"], "-"),
        ("visitors distinct over the range", ours["visitors_distinct"], "-"),
        ("page views (people, HTML documents)", ours["page_views"], "-"),
    ]
    for name, mine, other in compare:
        print(
            f"{name:44} {mine:>12,} "
            + (f"{other:>12,}" if isinstance(other, int) else f"{other:>12}")
        )
    print(
        "\nDefinitions: GoAccess counts a unique visitor per IP + date + user agent, bots included"
        " (no --ignore-crawlers), on the date written in the line (-06:00 here, so the same days"
        " as Tiempo del Centro). difusor counts the same key as a salted hash per Tiempo del"
        " Centro day, and reports bots apart: `visitors` + `bots.visitors` is the comparable"
        " figure. Hits: both count every well-formed line (assets, 304 and 404 included)."
    )


if __name__ == "__main__":
    sys.exit(main())
