"""Serving benchmark: the prep_web container against stock nginx, on the same published cut.

Both run the same image (difusor/web: Debian's nginx 1.22 with the brotli modules) on a Docker
network of this machine's own engine. "difusor" uses role prep_web's nginx.conf (rendered with the
role's defaults; the benchmark client's network is listed in prep_web_rate_exempt, as the
electoral body's monitors would be, since one client cannot be a crowd); "stock" uses Debian's
default configuration (sites-enabled/default, port 80, gzip on for text/html only) with the cut as
its document root. Printed side by side, from one run:

- bytes per page view (index.html and what it loads: CSS, logo, JS, the summary JSON), headers
  included (HTTP/1.1 for both, so headers count as plain text; HTTP/2, which browsers use on
  443, compresses them further), as a browser asks for them (Accept-Encoding: gzip, br) and
  without compression;
- bytes of a download of the governor's results CSV, the heavy file of the night;
- page views and CSV downloads per second that fit in the call's 100 Mbps link (II.C.a), with
  and without precompression;
- requests per second of index.html (wrk, keep-alive, 2 threads, 64 connections, 10 s each);
  difusor over HTTPS (what visitors get) and stock over plain HTTP (its default).

Needs Docker, the image (`difusor images build web`) and wrk (`apt-get install wrk`).
Usage: .venv/bin/python bench/serve.py [--seconds 10] [--connections 64] [--rows 11000]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from difusor.package import generate, publish
from difusor.package.layout import Settings
from difusor.web.settings import DEFAULT_SITE_ROOT

PROJECT = Path(__file__).resolve().parents[1]
IMAGE = "difusor/web:latest"
NAME = "bench-serve"
LINK_BPS = 100_000_000  # II.C.a
PAGE = [
    "index.html",
    "assets/css/prep.css",
    "assets/img/logo.svg",
    "assets/js/prep.js",
    "assets/data/resumen.json",
]
BROWSER = "gzip, deflate, br"
# The results file people download (the page links it): the governor's CSV of the 21:00 cut.
DOWNLOAD = "20240602_2100_PREP_GUB_VER/VER_GUB_2024.csv"


def sh(*args: str, **kwargs) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True, **kwargs).stdout


def docker(*args: str) -> str:
    return sh("docker", *args).strip()


def published_cut(work: Path, rows: int) -> Path:
    """A Veracruz-scale synthetic cut, published (precompressed) the way the pipeline does."""
    settings = Settings()
    archive = generate(datetime(2024, 6, 2, 21, 0, tzinfo=settings.tz), work / "in", rows=rows)
    root = work / "site"
    root.mkdir()
    publish(archive, root, drill=True, settings=settings)
    return root


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


def render_config(work: Path, exempt: str) -> Path:
    conf = work / "conf"
    conf.mkdir()
    overrides = {  # extra vars: they win over the role defaults the playbook loads
        "bench_out": str(conf / "nginx.conf"),
        "prep_web_rate_exempt": [exempt],
        "difusor_trusted_sources": [exempt],
        "prep_web_brotli": True,
        "prep_web_server_name": "bench",
    }
    sh(
        str(Path(sys.executable).with_name("ansible-playbook")),
        str(PROJECT / "bench/render-nginx.yml"),
        "-e",
        json.dumps(overrides),
        cwd=PROJECT,
    )
    return conf


def start(work: Path, root: Path) -> dict[str, str]:
    docker("network", "create", "--label", f"io.difusor.sandbox={NAME}", f"{NAME}-net")
    subnet = docker("network", "inspect", "-f", "{{(index .IPAM.Config 0).Subnet}}", f"{NAME}-net")
    conf, tls = render_config(work, subnet), self_signed(work)
    site_root, web_root = DEFAULT_SITE_ROOT, DEFAULT_SITE_ROOT.parent / "web"
    common = ["run", "-d", "--network", f"{NAME}-net", "--label", f"io.difusor.sandbox={NAME}"]
    docker(
        *common,
        "--name",
        f"{NAME}-difusor",
        "--read-only",
        "--tmpfs",
        "/run",
        "--tmpfs",
        "/var/lib/nginx",
        "--tmpfs",
        "/var/log/difusor",
        "-v",
        f"{root}:{site_root}:ro",
        "-v",
        f"{work / 'web'}:{web_root}:ro",
        "-v",
        f"{conf}:/etc/nginx/difusor:ro",
        "-v",
        f"{tls}:/etc/nginx/tls:ro",
        IMAGE,
        "nginx",
        "-c",
        "/etc/nginx/difusor/nginx.conf",
        "-g",
        "daemon off;",
    )
    docker(*common, "--name", f"{NAME}-stock", "-v", f"{root / 'current'}/:/var/www/html:ro", IMAGE)
    addresses = {}
    for which in ("difusor", "stock"):
        addresses[which] = docker(
            "inspect",
            "-f",
            "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
            f"{NAME}-{which}",
        )
    return addresses


def wait_until_served(url: str) -> None:
    for _ in range(50):
        if subprocess.run(["curl", "-skf", "-o", "/dev/null", url], check=False).returncode == 0:
            return
        time.sleep(0.2)
    raise SystemExit(f"{url} does not answer")


def bytes_per_view(base: str, encoding: str | None, paths=PAGE) -> tuple[int, int]:
    """(headers + bodies, bodies) for one page view."""
    total = bodies = 0
    for path in paths:
        args = ["curl", "-sk", "--http1.1", "-o", "/dev/null"]
        args += ["-w", "%{size_header} %{size_download}"]
        if encoding:
            args += ["-H", f"Accept-Encoding: {encoding}"]
        header, body = map(int, sh(*args, f"{base}/{path}").split())
        total, bodies = total + header + body, bodies + body
    return total, bodies


def requests_per_second(url: str, seconds: int, connections: int) -> tuple[float, int]:
    out = sh(
        "wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-H", f"Accept-Encoding: {BROWSER}", url
    )
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, int(bad.group(1)) if bad else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--rows", type=int, default=11_000)
    args = parser.parse_args()
    for tool, package in (("docker", "docker.io"), ("wrk", "wrk"), ("openssl", "openssl")):
        if not shutil.which(tool):
            raise SystemExit(f"bench/serve.py needs {tool}: apt-get install {package}")
    with tempfile.TemporaryDirectory(prefix="difusor-bench-serve-") as tmp:
        work = Path(tmp)
        (work / "web").mkdir()
        root = published_cut(work, args.rows)
        try:
            addresses = start(work, root)
            bases = {
                "difusor": f"https://{addresses['difusor']}",
                "stock": f"http://{addresses['stock']}",
            }
            for base in bases.values():
                wait_until_served(f"{base}/index.html")
            report(bases, args)
        finally:
            subprocess.run(
                ["docker", "rm", "-f", f"{NAME}-difusor", f"{NAME}-stock"],
                check=False,
                capture_output=True,
            )
            subprocess.run(
                ["docker", "network", "rm", f"{NAME}-net"], check=False, capture_output=True
            )
    return 0


def report(bases: dict[str, str], args: argparse.Namespace) -> None:
    rows = {}
    for which, base in bases.items():
        browser, browser_bodies = bytes_per_view(base, BROWSER)
        plain, plain_bodies = bytes_per_view(base, None)
        rps, bad = requests_per_second(f"{base}/index.html", args.seconds, args.connections)
        csv_browser, _ = bytes_per_view(base, BROWSER, [DOWNLOAD])
        csv_plain, _ = bytes_per_view(base, None, [DOWNLOAD])
        rows[which] = (
            browser,
            browser_bodies,
            plain,
            plain_bodies,
            rps,
            bad,
            csv_browser,
            csv_plain,
        )
    print(f"One page view = {', '.join(PAGE)}; {args.rows} actas; link {LINK_BPS / 1e6:.0f} Mbps")
    print(f"{'':38}{'difusor (HTTPS)':>18}{'stock (HTTP)':>16}{'ratio':>8}")
    labels = [
        ("bytes per view, browser (gzip, br)", 0),
        ("  of which bodies", 1),
        ("bytes per view, no compression", 2),
        ("  of which bodies", 3),
        ("bytes per CSV download, browser", 6),
        ("bytes per CSV download, no compr.", 7),
    ]
    for label, index in labels:
        mine, stock = rows["difusor"][index], rows["stock"][index]
        print(f"{label:38}{mine:>18,}{stock:>16,}{mine / stock:>8.2f}")
    for label, index in (
        ("views/s in 100 Mbps, browser", 0),
        ("views/s in 100 Mbps, no compr.", 2),
        ("CSV downloads/s in 100 Mbps, browser", 6),
        ("CSV downloads/s, no compression", 7),
    ):
        mine, stock = (LINK_BPS / 8 / rows[w][index] for w in ("difusor", "stock"))
        print(f"{label:38}{mine:>18,.0f}{stock:>16,.0f}{mine / stock:>8.2f}")
    mine, stock = rows["difusor"][4], rows["stock"][4]
    print(f"{'requests/s, index.html (wrk)':38}{mine:>18,.0f}{stock:>16,.0f}{mine / stock:>8.2f}")
    print(f"{'  non-2xx/3xx answers':38}{rows['difusor'][5]:>18}{rows['stock'][5]:>16}")
    print(f"wrk: {args.connections} connections, 2 threads, {args.seconds} s each, keep-alive")


if __name__ == "__main__":
    sys.exit(main())
