"""Serving benchmark: the prep_web container against stock nginx, the same release, one run.

Two consecutive synthetic cuts of Veracruz's scale (20:45 and 21:00 of 2 June 2024, `--rows`
actas, `difusor.package.generate`) are served two ways by the same image (difusor/web: Debian's
nginx 1.22 with the brotli modules), on a Docker network of this machine's engine:

- "difusor": role prep_web's nginx.conf (rendered by bench/render-nginx.yml with the role's
  defaults; the bench's network is listed in prep_web_rate_exempt, as the electoral body's
  monitors would be: one client is not a crowd), over HTTPS; its root is filled by
  `difusor.package.publish`, the first cut and then the second (precompressed siblings, `current`
  switched, and what the second cut shares with the first keeps its file's validators);
- "stock": Debian's default configuration (sites-enabled/default, port 80, `gzip on` for
  text/html only) over HTTP, the document root filled the way a difusor without the toolkit
  would: `unzip -o` of each package into it in turn. unzip gives every file its member's
  timestamp, which the electoral body's build writes as the cut time (local time in the zip,
  so unzip runs with TZ=America/Mexico_City, the Tiempo del Centro of the night): every file of
  every cut is new to nginx (its ETag and Last-Modified come from mtime and size).

Printed side by side, from one run:

- bytes per page view (status lines, headers and bodies as received, HTTP/1.1 so that headers
  count as plain text) of a browser-like client: Accept-Encoding "gzip, deflate, br", one
  keep-alive connection, a cache that keeps each response with its ETag, Last-Modified and
  Cache-Control. First view: empty cache, at 20:50 (cut 20:45 live). Repeat view: the same
  client 15 minutes later (its clock is simulated: advanced by 900 s, no sleeping), cut 21:00
  live. It does not ask for what is still fresh (max-age; private cache, so s-maxage is not
  its), revalidates what is stale (no-cache, max-age=0, expired) with If-None-Match and
  If-Modified-Since, and gives a response with only Last-Modified the browsers' heuristic
  freshness, 10 % of (Date - Last-Modified). The client's clock stands for the server's Date
  (the run is not on election night: with the machine's Date, a 2024 Last-Modified would look
  fresh for months). "stale files" counts page files whose cached copy after the repeat view is
  not the live cut's;
- page views per second that fit in the call's 100 Mbps link (II.C.a), first and repeat views;
- requests per second, HTTPS difusor against plain HTTP stock, of index.html and of one hashed
  bundle: wrk (HTTP/1.1 keep-alive, 2 threads, --connections) and h2load (difusor over h2, ALPN;
  stock over HTTP/1.1, since Debian's default has neither h2 nor h2c; one request in flight per
  connection for both), each run twice in the order difusor, stock, stock, difusor (--seconds
  each), the mean of the two printed: the machine's drift falls on both sides alike; and the
  server's CPU time per request (its nginx processes, from /proc), steadier than requests/s
  on a shared machine;
- TLS handshakes per second against difusor, TLS 1.3 and 1.2, full handshakes and resumed ones
  (a Python client, 2 processes, one HEAD request per connection; resumption offers the session
  of the previous connection, as browsers do), with the share the server really resumed and
  the server's CPU time per handshake;
- with Varnish in front (difusor/cdn, cdn/varnish/difusor.vcl; a third nginx, "origin", in CDN
  origin mode: prep_web_cdn_origin, the Varnish container's address in prep_web_real_ip_from):
  --views page views by simulated browsers (each its own cache), half of them first views at
  cut 20:45, then cut 21:00 is published and purged from Varnish, then the same browsers'
  repeat views; the origin's requests (its access log, cross-checked with Varnish's
  MAIN.backend_req) per 1,000 page views.

A final block says OK or MISSED for each target of issue 17: first view at least 4x fewer bytes
than stock, repeat view at least 10x fewer, HTTPS requests/s at least 0.9x stock HTTP.

Needs Docker, the images (`difusor images build web`, `difusor images build cdn`), unzip, wrk
and h2load (`apt-get install unzip wrk nghttp2-client`).
Usage: .venv/bin/python bench/serve.py [--seconds 5] [--connections 64] [--rows 11000]
       [--views 1000]
"""

from __future__ import annotations

import argparse
import gzip
import json
import multiprocessing
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import zipfile
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path

import brotli

from difusor.hostfacts import DEFAULT_PREP_ROOT
from difusor.package import generate, publish
from difusor.package.layout import Settings, cut_id
from difusor.package.site import page_view  # what one first page view loads
from difusor.web.purge import PurgeRequest, PurgeSettings, purge

PROJECT = Path(__file__).resolve().parents[1]
WEB_IMAGE, CDN_IMAGE = "difusor/web:latest", "difusor/cdn:latest"
NAME = "bench-serve"
LABEL = f"io.difusor.sandbox={NAME}"
VCL = PROJECT / "cdn/varnish/difusor.vcl"
LINK_BPS = 100_000_000  # II.C.a
SETTINGS = Settings()
CUTS = (
    datetime(2024, 6, 2, 20, 45, tzinfo=SETTINGS.tz),
    datetime(2024, 6, 2, 21, 0, tzinfo=SETTINGS.tz),
)
FIRST_VIEW_AT = CUTS[0] + timedelta(minutes=5)
LATER = timedelta(seconds=900)  # the repeat view
BROWSER = "gzip, deflate, br"
USER_AGENT = "difusor-bench/1 (browser-like)"
HASHED = re.compile(r"\.[0-9a-f]{8,}\.(?:js|css|woff2?|svg|png)$")
TARGETS = {"first": 4.0, "repeat": 10.0, "rps": 0.9}


def sh(*args: str, **kwargs) -> str:
    done = subprocess.run(args, check=False, capture_output=True, text=True, **kwargs)
    if done.returncode != 0:
        tail = (done.stdout + done.stderr).strip().splitlines()[-15:]
        raise SystemExit(f"{' '.join(args[:3])} ...: exit {done.returncode}\n" + "\n".join(tail))
    return done.stdout


def docker(*args: str) -> str:
    return sh("docker", *args).strip()


# --- the site ---------------------------------------------------------------------------------


def hashed_bundle(paths: list[str]) -> str:
    """The load test's second URL: the app's hashed main bundle (else the page's first script)."""
    scripts = [path for path in paths if path.endswith(".js")]
    hashed = [path for path in scripts if HASHED.search(path)]
    main = [path for path in hashed if path.rsplit("/", 1)[-1].startswith("main.")]
    return (main or hashed or scripts)[0]


# --- the two cuts, published two ways ----------------------------------------------------------


def make_cuts(work: Path, rows: int) -> list[Path]:
    return [generate(cut, work / "in", rows=rows) for cut in CUTS]


def package_content(archive: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(archive) as package:
        return {name: package.read(name) for name in package.namelist() if not name.endswith("/")}


def publish_difusor(archive: Path, root: Path) -> None:
    publish(archive, root, drill=True, settings=SETTINGS)


def unzip_stock(archive: Path, docroot: Path) -> None:
    """What a difusor without the toolkit does: unzip the package over the document root."""
    env = {**os.environ, "TZ": SETTINGS.tz.key}
    sh("unzip", "-o", "-q", str(archive), "-d", str(docroot), env=env)


# --- containers --------------------------------------------------------------------------------


def render_config(out: Path, exempt: str, **extra) -> Path:
    out.mkdir(parents=True)
    overrides = {  # extra vars: they win over the role defaults the playbook loads
        "bench_out": str(out / "nginx.conf"),
        "prep_web_rate_exempt": [exempt],
        "difusor_trusted_sources": [exempt],
        "prep_web_brotli": True,
        "prep_web_server_name": "bench",
        **extra,
    }
    sh(
        str(Path(sys.executable).with_name("ansible-playbook")),
        str(PROJECT / "bench/render-nginx.yml"),
        "-e",
        json.dumps(overrides),
        cwd=PROJECT,
    )
    return out


def self_signed(work: Path) -> Path:
    tls = work / "tls"
    tls.mkdir()
    sh(
        "openssl",
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=bench",
        "-keyout",
        str(tls / "privkey.pem"),
        "-out",
        str(tls / "fullchain.pem"),
    )
    (tls / "privkey.pem").chmod(0o644)
    return tls


def address(container: str) -> str:
    return docker(
        "inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", container
    )


def run(name: str, *args: str) -> str:
    """Start a container of the bench on its network; returns its address."""
    container = f"{NAME}-{name}"
    docker("run", "-d", "--network", f"{NAME}-net", "--label", LABEL, "--name", container, *args)
    return address(container)


def run_difusor(name: str, root: Path, conf: Path, tls: Path, web: Path, log: Path) -> str:
    site_root, web_root = DEFAULT_PREP_ROOT / "site", DEFAULT_PREP_ROOT / "web"
    log.mkdir(mode=0o777)
    return run(
        name,
        "--read-only",
        "--tmpfs",
        "/run",
        "--tmpfs",
        "/var/lib/nginx",
        "-v",
        f"{log}:/var/log/difusor",
        "-v",
        f"{root}:{site_root}:ro",
        "-v",
        f"{web}:{web_root}:ro",
        "-v",
        f"{conf}:/etc/nginx/difusor:ro",
        "-v",
        f"{tls}:/etc/nginx/tls:ro",
        WEB_IMAGE,
        "nginx",
        "-c",
        "/etc/nginx/difusor/nginx.conf",
        "-g",
        "daemon off;",
    )


def start_varnish(work: Path, origin: str, purger: str) -> str:
    """Varnish on :80 of the cdn container: cdn/varnish/difusor.vcl, its site part written for
    `origin` (port 80) and with `purger` (this machine, as the origin's purge service) allowed
    to BAN."""
    container = f"{NAME}-cdn"
    site_part = work / "difusor-origin.vcl"
    example = (VCL.parent / "difusor-origin.vcl.example").read_text(encoding="utf-8")
    text = example.replace('.host = "192.0.2.10"', f'.host = "{origin}"')
    text = text.replace('    "192.0.2.10";', f'    "{purger}";')
    if "192.0.2.10" in text or f'"{origin}"' not in text:
        raise SystemExit(f"{VCL.parent}/difusor-origin.vcl.example: no longer as bench expects")
    site_part.write_text(text, encoding="utf-8")
    for source in (VCL, site_part):
        docker("cp", str(source), f"{container}:/etc/varnish/{source.name}")
    docker(
        "exec", container, "varnishd", "-a", ":80", "-f", f"/etc/varnish/{VCL.name}",
        "-s", "malloc,256m",
    )  # fmt: skip
    return container


def remove_sandbox() -> None:
    ids = docker("ps", "-aq", "--filter", f"label={LABEL}").split()
    if ids:
        subprocess.run(["docker", "rm", "-f", *ids], check=False, capture_output=True)
    subprocess.run(["docker", "network", "rm", f"{NAME}-net"], check=False, capture_output=True)


def wait_until_served(url: str) -> None:
    for _ in range(100):
        if subprocess.run(["curl", "-skf", "-o", "/dev/null", url], check=False).returncode == 0:
            return
        time.sleep(0.2)
    raise SystemExit(f"{url} does not answer")


# --- a browser-like client ---------------------------------------------------------------------


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes  # as received (encoded)
    wire: int  # status line + headers + body, bytes as received


class Connection:
    """One keep-alive HTTP/1.1 connection; counts every response's bytes as received."""

    def __init__(self, host: str, port: int, tls: bool) -> None:
        self.host, self.port, self.tls = host, port, tls
        self.sock: socket.socket | None = None
        self.reader = None

    def open(self) -> None:
        sock = socket.create_connection((self.host, self.port), timeout=30)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # as browsers do
        if self.tls:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            context.set_alpn_protocols(["http/1.1"])
            sock = context.wrap_socket(sock, server_hostname="bench")
        self.sock, self.reader = sock, sock.makefile("rb")

    def close(self) -> None:
        if self.sock is not None:
            self.reader.close()
            self.sock.close()
        self.sock = self.reader = None

    def request(self, path: str, headers: dict[str, str]) -> Response:
        for attempt in (1, 2):  # a keep-alive connection the server closed: once more, anew
            if self.sock is None:
                self.open()
            try:
                return self._exchange(path, headers)
            except (ConnectionError, EOFError, ssl.SSLError):
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _exchange(self, path: str, headers: dict[str, str]) -> Response:
        lines = [f"GET /{path} HTTP/1.1", f"Host: {self.host}", *map(": ".join, headers.items())]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        status_line = self.reader.readline()
        if not status_line:
            raise EOFError("connection closed")
        wire, fields = len(status_line), {}
        while (line := self.reader.readline()) not in (b"\r\n", b"\n", b""):
            wire += len(line)
            name, _, value = line.decode("latin-1").partition(":")
            name = name.strip().lower()
            fields[name] = f"{fields[name]}, {value.strip()}" if name in fields else value.strip()
        wire += len(line)
        status = int(status_line.split()[1])
        body, extra = self._body(status, fields)
        if fields.get("connection", "").lower() == "close":
            self.close()
        return Response(status, fields, body, wire + len(body) + extra)

    def _body(self, status: int, fields: dict[str, str]) -> tuple[bytes, int]:
        """The body, and the framing bytes around it (chunk sizes)."""
        if status in (204, 304) or 100 <= status < 200:
            return b"", 0
        if "chunked" in fields.get("transfer-encoding", ""):
            body, framing = b"", 0
            while True:
                size_line = self.reader.readline()
                framing += len(size_line)
                size = int(size_line.split(b";")[0], 16)
                if size == 0:
                    while (trailer := self.reader.readline()) not in (b"\r\n", b"\n", b""):
                        framing += len(trailer)
                    return body, framing + len(trailer)
                body += self.reader.read(size)
                framing += len(self.reader.read(2))
        if "content-length" in fields:
            return self.reader.read(int(fields["content-length"])), 0
        body = self.reader.read()
        self.close()
        return body, 0


def directives(cache_control: str) -> dict[str, str]:
    found = {}
    for item in cache_control.split(","):
        name, _, value = item.strip().partition("=")
        if name:
            found[name.lower()] = value.strip('"')
    return found


@dataclass
class Entry:
    response: Response
    stored: datetime  # the client's clock when it was received (or revalidated)

    def lifetime(self) -> float:
        """Freshness lifetime in seconds, as a browser's (private) cache computes it."""
        headers = self.response.headers
        cc = directives(headers.get("cache-control", ""))
        if "no-cache" in cc:
            return 0.0
        if "max-age" in cc:
            return float(cc["max-age"])
        if "expires" in headers and "date" in headers:
            expires = parsedate_to_datetime(headers["expires"])
            return max(0.0, (expires - parsedate_to_datetime(headers["date"])).total_seconds())
        if "last-modified" in headers:  # heuristic freshness; the client's clock as Date
            modified = parsedate_to_datetime(headers["last-modified"])
            return max(0.0, 0.1 * (self.stored - modified).total_seconds())
        return 0.0

    def fresh(self, now: datetime) -> bool:
        age = (now - self.stored).total_seconds() + int(self.response.headers.get("age", "0"))
        return age < self.lifetime()


@dataclass
class View:
    wire: int = 0
    full: int = 0  # 200 answers
    revalidated: int = 0  # 304 answers
    from_cache: int = 0  # not asked for: fresh in the cache
    stale: list[str] = field(default_factory=list)  # cached copies that are not the live cut's

    @property
    def requests(self) -> int:
        return self.full + self.revalidated


class Browser:
    """A browser's cache and one keep-alive connection to one site; its clock is simulated."""

    def __init__(self, host: str, port: int, tls: bool, now: datetime) -> None:
        self.connection = Connection(host, port, tls)
        self.cache: dict[str, Entry] = {}
        self.now = now

    def view(self, paths: list[str], live: dict[str, bytes] | None = None) -> View:
        """One page view; `live`: the live cut's files, to tell which cached copies are stale."""
        view = View()
        for path in paths:
            self.fetch(path, view)
            if live is not None and path in live and self.decoded(path) != live[path]:
                view.stale.append(path)
        return view

    def fetch(self, path: str, view: View) -> None:
        entry = self.cache.get(path)
        if entry is not None and entry.fresh(self.now):
            view.from_cache += 1
            return
        headers = {"User-Agent": USER_AGENT, "Accept": "*/*", "Accept-Encoding": BROWSER}
        if entry is not None:
            if "etag" in entry.response.headers:
                headers["If-None-Match"] = entry.response.headers["etag"]
            if "last-modified" in entry.response.headers:
                headers["If-Modified-Since"] = entry.response.headers["last-modified"]
        response = self.connection.request(path, headers)
        view.wire += response.wire
        if response.status == 304 and entry is not None:
            view.revalidated += 1
            entry.response.headers.update(response.headers)
            entry.stored = self.now
            return
        if response.status != 200:
            raise SystemExit(f"/{path}: {response.status} from {self.connection.host}")
        view.full += 1
        if "no-store" not in response.headers.get("cache-control", ""):
            self.cache[path] = Entry(response, self.now)

    def decoded(self, path: str) -> bytes:
        response = self.cache[path].response
        encoding = response.headers.get("content-encoding", "")
        if encoding == "br":
            return brotli.decompress(response.body)
        if encoding == "gzip":
            return gzip.decompress(response.body)
        if encoding == "deflate":
            return zlib.decompress(response.body)
        return response.body

    def close(self) -> None:
        self.connection.close()


# --- load: requests and handshakes per second --------------------------------------------------


def wrk(url: str, seconds: int, connections: int) -> float:
    out = sh(
        "wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-H", f"Accept-Encoding: {BROWSER}", url
    )
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if bad:
        raise SystemExit(f"wrk {url}: {bad.group(1)} non-2xx/3xx answers")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def h2load(url: str, seconds: int, connections: int, h1: bool) -> float:
    args = ["h2load", "-t2", f"-c{connections}", "-m1", f"-D{seconds}"]
    args += ["-H", f"Accept-Encoding: {BROWSER}"] + (["--h1"] if h1 else [])
    out = sh(*args, url)
    protocol = re.search(r"Application protocol: (\S+)", out).group(1)
    if protocol != ("http/1.1" if h1 else "h2"):
        raise SystemExit(f"h2load {url}: spoke {protocol}")
    failed = int(re.search(r"(\d+) failed", out).group(1))
    bad = sum(int(n) for n in re.findall(r"(\d+) [45]xx", out))
    if failed or bad:
        raise SystemExit(f"h2load {url}: {failed} failed, {bad} 4xx/5xx answers")
    return float(re.search(r"finished in [\d.]+s, ([\d.]+) req/s", out).group(1))


def side_by_side(measure, urls: dict[str, str], seconds: int) -> dict[str, tuple[float, float]]:
    """(requests/s, server CPU microseconds per request) for difusor and stock: the means of two
    runs each, in the order difusor, stock, stock, difusor."""
    runs: dict[str, list[tuple[float, float]]] = {"difusor": [], "stock": []}
    for which in ("difusor", "stock", "stock", "difusor"):
        before = cpu_seconds(f"{NAME}-{which}")
        rate = measure(urls[which], which)
        spent = cpu_seconds(f"{NAME}-{which}") - before
        runs[which].append((rate, 1e6 * spent / max(rate * seconds, 1)))
    return {
        which: (sum(r for r, _ in done) / len(done), sum(c for _, c in done) / len(done))
        for which, done in runs.items()
    }


def nodelay(sock: socket.socket) -> socket.socket:
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def handshakes(host: str, version: str, reuse: bool, seconds: float) -> tuple[int, int]:
    """(connections, resumed) of one process: connect, handshake, HEAD, close, for `seconds`."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    pinned = ssl.TLSVersion.TLSv1_3 if version == "1.3" else ssl.TLSVersion.TLSv1_2
    context.minimum_version = context.maximum_version = pinned
    request = b"HEAD /index.html HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n"
    session, done, resumed = None, 0, 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with (
            socket.create_connection((host, 443), timeout=10) as raw,
            context.wrap_socket(nodelay(raw), server_hostname="bench", session=session) as tls,
        ):
            tls.sendall(request)
            while tls.recv(65536):
                pass
            done += 1
            resumed += tls.session_reused
            if reuse:
                session = tls.session
    return done, resumed


def handshake_rate(
    host: str, container: str, version: str, reuse: bool, seconds: float
) -> tuple[float, float, float]:
    """(handshakes/s, share resumed, server CPU ms per handshake) with 2 client processes."""
    before = cpu_seconds(container)
    with multiprocessing.Pool(2) as pool:
        results = pool.starmap(handshakes, [(host, version, reuse, seconds)] * 2)
    done, resumed = map(sum, zip(*results, strict=True))
    spent = cpu_seconds(container) - before
    return done / seconds, resumed / done if done else 0.0, 1000 * spent / max(done, 1)


def cpu_seconds(container: str) -> float:
    """CPU time (user + system) of a container's nginx: its master and workers, from /proc."""
    master = docker("inspect", "-f", "{{.State.Pid}}", container)
    children = subprocess.run(["pgrep", "-P", master], capture_output=True, text=True).stdout
    total = 0
    for pid in [master, *children.split()]:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / os.sysconf("SC_CLK_TCK")


# --- Varnish in front --------------------------------------------------------------------------


def purge_cdn(cdn: str, cut: str) -> None:
    """What the origin's difusor-cdn-purge.service does after a switch: BAN to Varnish."""
    settings = PurgeSettings(requests=(PurgeRequest("BAN", f"http://{cdn}/"),), attempts=1)
    failed = [outcome for outcome in purge(settings, cut) if not outcome.ok]
    if failed:
        raise SystemExit(f"purge of the CDN failed: {failed[0].target}: {failed[0].detail}")


def backend_requests(container: str) -> int:
    out = docker("exec", container, "varnishstat", "-1", "-f", "MAIN.backend_req")
    return int(out.split()[1])


def cdn_run(
    cdn: str, cdn_container: str, log: Path, paths, contents, views: int, publish_next
) -> dict:
    """`views` page views through Varnish: half first views at cut 1, half repeat views of the
    same browsers after cut 2 is published and purged; the origin's requests counted."""
    browsers = [Browser(cdn, 80, False, FIRST_VIEW_AT) for _ in range(views // 2)]
    log_before, backend_before = len(log.read_bytes().splitlines()), backend_requests(cdn_container)

    def first(browser: Browser) -> View:
        return browser.view(paths[0], contents[0])

    def repeat(browser: Browser) -> View:
        browser.now += LATER
        return browser.view(paths[1], contents[1])

    with ThreadPoolExecutor(8) as pool:
        firsts = list(pool.map(first, browsers))
        publish_next()
        purge_cdn(cdn, cut_id(CUTS[1], SETTINGS))
        repeats = list(pool.map(repeat, browsers))
    for browser in browsers:
        browser.close()
    seen = firsts + repeats
    return {
        "views": len(seen),
        "requests": sum(view.requests for view in seen),
        "origin": len(log.read_bytes().splitlines()) - log_before,
        "backend_req": backend_requests(cdn_container) - backend_before,
        "first": sum(view.wire for view in firsts) / len(firsts),
        "repeat": sum(view.wire for view in repeats) / len(repeats),
        "stale": sum(len(view.stale) for view in repeats),
    }


# --- the run -----------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5, help="per load run (4 runs per figure)")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--rows", type=int, default=11_000)
    parser.add_argument("--views", type=int, default=1000, help="page views through Varnish")
    args = parser.parse_args()
    tools = {"docker": "docker.io", "wrk": "wrk", "h2load": "nghttp2-client", "unzip": "unzip"}
    for tool, package in {**tools, "openssl": "openssl", "curl": "curl"}.items():
        if not shutil.which(tool):
            raise SystemExit(f"bench/serve.py needs {tool}: apt-get install {package}")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="difusor-bench-serve-") as tmp:
        work = Path(tmp)
        try:
            figures = measure(work, args)
        finally:
            remove_sandbox()
    report(figures, args, time.monotonic() - started)
    return 0


def measure(work: Path, args: argparse.Namespace) -> dict:
    archives = make_cuts(work, args.rows)
    contents = [package_content(archive) for archive in archives]
    roots = fill_roots(work, archives[0])
    hosts = start_sandbox(work, roots)
    views = [page_view(roots["difusor"] / "current")]
    clients = {
        "difusor": Browser(hosts["difusor"], 443, True, FIRST_VIEW_AT),
        "stock": Browser(hosts["stock"], 80, False, FIRST_VIEW_AT),
    }
    first = {which: client.view(views[0], contents[0]) for which, client in clients.items()}
    publish_difusor(archives[1], roots["difusor"])
    unzip_stock(archives[1], roots["stock"])
    views.append(page_view(roots["difusor"] / "current"))
    repeat = {}
    for which, client in clients.items():
        client.now += LATER
        repeat[which] = client.view(views[1], contents[1])
        client.close()
    container = start_varnish(work, hosts["origin"], hosts["gateway"])
    wait_until_served(f"http://{hosts['cdn']}/healthz")
    return {
        "views": views,
        "first": first,
        "repeat": repeat,
        "load": load_figures(hosts, hashed_bundle(views[1]), args),
        "tls": {
            (version, reuse): handshake_rate(
                hosts["difusor"], f"{NAME}-difusor", version, reuse, args.seconds
            )
            for version in ("1.3", "1.2")
            for reuse in (False, True)
        },
        "cdn": cdn_run(
            hosts["cdn"],
            container,
            work / "log-origin" / "access.log",
            views,
            contents,
            args.views,
            lambda: publish_difusor(archives[1], roots["origin"]),
        ),
    }


def fill_roots(work: Path, archive: Path) -> dict[str, Path]:
    """The first cut in each server's root: published (difusor, origin), unzipped (stock)."""
    roots = {"difusor": work / "difusor", "origin": work / "origin", "stock": work / "stock"}
    for root in roots.values():
        root.mkdir(mode=0o755)
    publish_difusor(archive, roots["difusor"])
    publish_difusor(archive, roots["origin"])
    unzip_stock(archive, roots["stock"])
    return roots


def start_sandbox(work: Path, roots: dict[str, Path]) -> dict[str, str]:
    """The network and the four containers (the cdn idle until its VCL is written); their
    addresses, and the gateway's (this machine on the network)."""
    remove_sandbox()
    docker("network", "create", "--label", LABEL, f"{NAME}-net")
    ipam = "{{(index .IPAM.Config 0).Subnet}} {{(index .IPAM.Config 0).Gateway}}"
    subnet, gateway = docker("network", "inspect", "-f", ipam, f"{NAME}-net").split()
    tls, web = self_signed(work), work / "web"
    web.mkdir()
    cdn = run("cdn", CDN_IMAGE, "sleep", "infinity")
    origin_mode = {"prep_web_cdn_origin": True, "prep_web_real_ip_from": [f"{cdn}/32"]}
    hosts = {
        "difusor": run_difusor(
            "difusor",
            roots["difusor"],
            render_config(work / "conf", subnet),
            tls,
            web,
            work / "log",
        ),
        "origin": run_difusor(
            "origin",
            roots["origin"],
            render_config(work / "conf-origin", subnet, **origin_mode),
            tls,
            web,
            work / "log-origin",
        ),
        "stock": run("stock", "-v", f"{roots['stock']}:/var/www/html:ro", WEB_IMAGE),
        "cdn": cdn,
        "gateway": gateway,
    }
    for url in (
        f"https://{hosts['difusor']}/index.html",
        f"https://{hosts['origin']}/index.html",
        f"http://{hosts['stock']}/index.html",
    ):
        wait_until_served(url)
    return hosts


def load_figures(hosts: dict[str, str], bundle: str, args: argparse.Namespace) -> dict:
    """side_by_side's figures by (tool, path)."""
    figures = {}
    for path in ("index.html", bundle):
        urls = {
            "difusor": f"https://{hosts['difusor']}/{path}",
            "stock": f"http://{hosts['stock']}/{path}",
        }
        figures[("wrk", path)] = side_by_side(
            lambda url, _which: wrk(url, args.seconds, args.connections), urls, args.seconds
        )
        figures[("h2load", path)] = side_by_side(
            lambda url, which: h2load(url, args.seconds, args.connections, which == "stock"),
            urls,
            args.seconds,
        )
    return figures


def shown(path: str) -> str:
    """A path for the table: its file name, the content hash elided."""
    return re.sub(r"\.[0-9a-f]{8,}\.", ".<hash>.", path.rsplit("/", 1)[-1])


def ratio_line(label: str, mine: float, stock: float, fmt: str = ",.0f") -> str:
    ratio = f"{stock / mine:.2f}x fewer" if mine else "-"
    return f"{label:52}{mine:>16{fmt}}{stock:>16{fmt}}{ratio:>14}"


def report(figures: dict, args: argparse.Namespace, elapsed: float) -> None:
    first, repeat = figures["first"], figures["repeat"]
    views = figures["views"]
    print(
        f"difusor serving benchmark: {args.rows:,} actas, cuts "
        f"{CUTS[0]:%H:%M} then {CUTS[1]:%H:%M}; one page view = {len(views[0])} files"
        f" (cut {CUTS[0]:%H:%M}), {len(views[1])} (cut {CUTS[1]:%H:%M}); link"
        f" {LINK_BPS / 1e6:.0f} Mbps"
    )
    print(f"{'':52}{'difusor (HTTPS)':>16}{'stock (HTTP)':>16}{'ratio':>14}")
    for label, seen in (("first view", first), ("repeat view, 15 min later", repeat)):
        print(ratio_line(f"bytes per {label}", seen["difusor"].wire, seen["stock"].wire))
        counts = [
            f"{v.full}/{v.revalidated}/{v.from_cache}" for v in (seen["difusor"], seen["stock"])
        ]
        print(f"{'  answers 200 / 304 / not asked (cached)':52}{counts[0]:>16}{counts[1]:>16}")
    stale = [len(repeat[which].stale) for which in ("difusor", "stock")]
    print(f"{'  stale files after the repeat view':52}{stale[0]:>16}{stale[1]:>16}")
    for label, seen in (("first", first), ("repeat", repeat)):
        mine, stock = (LINK_BPS / 8 / seen[which].wire for which in ("difusor", "stock"))
        print(
            f"{f'{label} views/s in 100 Mbps':52}{mine:>16,.0f}{stock:>16,.0f}"
            f"{f'{mine / stock:.2f}x more':>14}"
        )
    for (tool, path), sides in figures["load"].items():
        (mine, mine_cpu), (stock, stock_cpu) = sides["difusor"], sides["stock"]
        protocols = "h2 vs HTTP/1.1" if tool == "h2load" else "HTTP/1.1"
        label = f"requests/s, {shown(path)} ({tool}, {protocols})"
        print(f"{label:52}{mine:>16,.0f}{stock:>16,.0f}{mine / stock:>13.2f}x")
        label = "  server CPU microseconds per request"
        print(f"{label:52}{mine_cpu:>16.0f}{stock_cpu:>16.0f}{mine_cpu / stock_cpu:>13.2f}x")
    for (version, reuse), (rate, share, cpu) in figures["tls"].items():
        label = f"TLS {version} handshakes/s, {'resumed' if reuse else 'full'}"
        print(f"{label:52}{rate:>16,.0f}{'-':>16}{f'{share:.0%} resumed':>14}")
        print(f"{'  server CPU ms per handshake (+ one HEAD)':52}{cpu:>16.2f}")
    cdn = figures["cdn"]
    print(
        f"Varnish in front of an origin-mode difusor: {cdn['views']:,} page views by"
        f" {cdn['views'] // 2} browsers, first views at cut {CUTS[0]:%H:%M}, then cut"
        f" {CUTS[1]:%H:%M} + BAN, repeat views"
    )
    per = 1000 * cdn["origin"] / cdn["views"]
    print(f"{'origin requests per 1,000 page views':52}{per:>16,.0f}")
    print(
        f"{'  requests to Varnish / to the origin':52}{cdn['requests']:>16,}"
        f"{cdn['origin']:>16,}  (MAIN.backend_req {cdn['backend_req']:,})"
    )
    label = "  bytes per first / repeat view from Varnish"
    print(f"{label:52}{cdn['first']:>16,.0f}{cdn['repeat']:>16,.0f}")
    print(f"{'  stale files after the repeat views':52}{cdn['stale']:>16}")
    print(
        f"load: {args.connections} connections, {args.seconds} s per run, runs difusor, stock,"
        f" stock, difusor (means); h2load one request in flight per connection;"
        f" TLS: 2 processes, one HEAD per connection; {elapsed:.0f} s in all"
    )
    print("targets (issue 17)")
    checks = [
        (
            f"first view >= {TARGETS['first']:g}x fewer bytes than stock",
            first["stock"].wire / first["difusor"].wire,
            TARGETS["first"],
        ),
        (
            f"repeat view >= {TARGETS['repeat']:g}x fewer bytes than stock",
            repeat["stock"].wire / max(repeat["difusor"].wire, 1),
            TARGETS["repeat"],
        ),
    ]
    # Requests/s is measured twice: on the clock (the load generator shares this machine's
    # cores, and TLS costs the client too) and per second of the server's own CPU (what one
    # server core sustains: 1 / CPU per request), which the load generator does not take.
    for (tool, path), sides in figures["load"].items():
        (mine, mine_cpu), (stock, stock_cpu) = sides["difusor"], sides["stock"]
        label = f"HTTPS requests/s >= {TARGETS['rps']:g}x stock HTTP, {shown(path)} ({tool})"
        checks.append((f"{label}, on the clock", mine / stock, TARGETS["rps"]))
        checks.append((f"{label}, per server CPU second", stock_cpu / mine_cpu, TARGETS["rps"]))
    for label, value, target in checks:
        verdict = "OK" if value >= target else "MISSED"
        print(f"  {verdict:7}{label}: {value:.2f}x")


if __name__ == "__main__":
    sys.exit(main())
