"""`difusor monitor` against portals served here, on 127.0.0.1 only: HTTPS with a certificate of
a CA made in the test, one portal stale on purpose, one that shows its cut only as text, one
that does not answer; the status page read back from a real headless Chromium."""

from __future__ import annotations

import re
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import IPv4Address
from pathlib import Path

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from difusor.cli import main
from difusor.errors import DifusorError
from difusor.monitor import config as portal_config
from difusor.monitor.probe import page_cut
from difusor.tools import PROGRAMS, missing_message

LOOPBACK = "127.0.0.1"
NEWEST = "20240602_2115"
STALE = "20240602_2025"  # 50 minutes behind: three periods and more (V.ii.4)
EXPIRES_IN = timedelta(days=30)


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def make_tls(directory: Path) -> tuple[Path, Path, Path]:
    """(CA certificate, server certificate, server key) for 127.0.0.1."""
    now = datetime.now(timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("difusor test CA"))
        .issuer_name(_name("difusor test CA"))
        .public_key(ca_key.public_key())
        .serial_number(1)
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    server = (
        x509.CertificateBuilder()
        .subject_name(_name(LOOPBACK))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(2)
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + EXPIRES_IN)
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(IPv4Address(LOOPBACK))]), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    paths = directory / "ca.pem", directory / "server.pem", directory / "server.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(server.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


def results_page(cut: str) -> bytes:
    shown = f"{cut[6:8]}/{cut[4:6]}/{cut[:4]} {cut[9:11]}:{cut[11:]}"
    return (
        f'<!DOCTYPE html><html lang="es"><body data-corte="{cut}"><p>Corte de información: '
        f"<time>{shown}</time></p></body></html>"
    ).encode()


@contextmanager
def portal(body: bytes, headers: dict[str, str], tls: tuple[Path, Path] | None) -> Iterator[str]:
    """A portal on 127.0.0.1 (an unused port), serving `body` for every path; its URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer((LOOPBACK, 0), Handler)
    if tls is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(tls[0]), str(tls[1]))
        server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        scheme = "https" if tls else "http"
        yield f"{scheme}://{LOOPBACK}:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]


@pytest.fixture
def portals(tmp_path) -> Iterator[dict]:
    ca, cert, key = make_tls(tmp_path)
    tls = (cert, key)
    with (
        portal(results_page(NEWEST), {"Content-Security-Policy": "frame-ancestors *"}, tls) as a,
        portal(results_page(STALE), {"X-Frame-Options": "DENY"}, tls) as b,
        portal(b"<p>Corte: 02/06/2024 21:00 (UTC-6)</p>", {}, None) as c,
    ):
        yield {
            "ca": ca,
            "list": [
                {"name": "fresco", "url": a},
                {"name": "atrasado", "url": b},
                {"name": "texto", "url": c},
            ],
        }


def write_config(tmp_path: Path, portals: list, **extra) -> Path:
    path = tmp_path / "portals.yml"
    path.write_text(yaml.safe_dump({"portals": portals, "interval_s": 5, "timeout_s": 5, **extra}))
    return path


def run(config: Path, out: Path, *extra: str) -> tuple[int, dict]:
    import json

    code = main(["monitor", str(config), "--once", "--out", str(out), *extra])
    status = json.loads((out / "status.json").read_text(encoding="utf-8"))
    return code, {entry["name"]: entry for entry in status["portals"]}


def test_the_stale_portal_is_flagged_and_the_others_are_not(portals, tmp_path):
    config = write_config(tmp_path, portals["list"], ca_file=str(portals["ca"]))
    code, found = run(config, tmp_path / "out")
    assert code == 1  # a portal is flagged
    fresh, stale, text = found["fresco"], found["atrasado"], found["texto"]
    assert (fresh["state"], fresh["cut"], fresh["lag_s"], fresh["incident"]) == (
        "ok",
        NEWEST,
        0,
        False,
    )
    assert (stale["state"], stale["cut"], stale["incident"]) == ("incident", STALE, True)
    assert stale["lag_s"] == 50 * 60
    assert (text["state"], text["cut"], text["lag_s"]) == ("behind", "20240602_2100", 15 * 60)
    assert fresh["tls_valid"] is True and stale["tls_valid"] is True
    assert text["tls_valid"] is None  # plain HTTP
    assert 29 < fresh["tls_days"] <= 30
    assert (fresh["embedding"], stale["embedding"], text["embedding"]) == (
        "allowed",
        "denied",
        "allowed",
    )
    assert stale["frame_options"] == "DENY" and fresh["frame_ancestors"] == "*"
    assert 0 < fresh["elapsed_s"] < 5


def test_the_metrics_say_the_same(portals, tmp_path):
    config = write_config(tmp_path, portals["list"], ca_file=str(portals["ca"]))
    run(config, tmp_path / "out")
    text = (tmp_path / "out" / "monitor.prom").read_text(encoding="utf-8")
    assert 'difusor_portal_incident{portal="atrasado"} 1\n' in text
    assert 'difusor_portal_incident{portal="fresco"} 0\n' in text
    assert 'difusor_portal_cut_lag_seconds{portal="atrasado"} 3000\n' in text
    assert 'difusor_portal_tls_valid{portal="fresco"} 1\n' in text
    assert 'difusor_portal_embeddable{portal="atrasado"} 0\n' in text
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.fail(missing_message(["promtool"]))
    check = subprocess.run(
        [promtool, "check", "metrics"], input=text, capture_output=True, text=True, check=False
    )
    assert check.returncode == 0 and not check.stdout.strip(), check.stdout + check.stderr


def test_an_unverified_certificate_is_flagged_and_the_cut_still_read(portals, tmp_path):
    config = write_config(tmp_path, portals["list"][:1])  # no ca_file: the test CA is unknown
    code, found = run(config, tmp_path / "out")
    assert code == 1
    assert found["fresco"]["tls_valid"] is False and found["fresco"]["cut"] == NEWEST


def test_a_portal_that_does_not_answer_is_the_45_minute_condition(tmp_path):
    url = f"http://{LOOPBACK}:{closed_port()}/"
    code, found = run(write_config(tmp_path, [{"name": "caido", "url": url}]), tmp_path / "out")
    assert code == 1
    assert found["caido"]["state"] == "down" and found["caido"]["incident"] is True


def test_the_newest_cut_from_the_config_or_a_reference_portal(portals, tmp_path):
    later = "20240602_2200"  # the fresh portal is now 45 minutes behind too
    config = write_config(tmp_path, portals["list"], ca_file=str(portals["ca"]), newest_cut=later)
    _, found = run(config, tmp_path / "a")
    assert found["fresco"]["state"] == "incident"
    config = write_config(tmp_path, portals["list"], ca_file=str(portals["ca"]), reference="texto")
    _, found = run(config, tmp_path / "b")
    assert found["texto"]["state"] == "ok" and found["fresco"]["lag_s"] == -15 * 60


def test_page_cut_reads_the_attribute_then_the_text():
    assert page_cut(b'<body data-corte="20240602_2115">02/06/2024 20:00') == "20240602_2115"
    assert page_cut(b"<p>Corte 02/06/2024 21:30 (UTC-6)</p>") == "20240602_2130"
    assert page_cut(b"<p>nada</p>") is None


def test_a_bad_portal_list_is_refused(tmp_path):
    path = tmp_path / "p.yml"
    for text, message in (
        ("portals: 3", "a list `portals`"),
        ("portals: [{name: a}]", "needs a url"),
        ("portals: [{url: 'ftp://x/'}]", "not an http"),
        ("portals: [{url: 'http://a/'}]\nnewest_cut: ayer", "YYYYMMDD_HHMM"),
        ("portals: [{url: 'http://a/'}]\nreference: b", "not a portal of the list"),
        ("portals: []\nperiodo: 15", "unknown keys periodo"),
    ):
        path.write_text(text)
        with pytest.raises(DifusorError, match=message):
            portal_config.load(path)


def chromium_text(page: Path, tmp_path: Path) -> str:
    """The page as a real browser renders it (headless Chromium), its DOM as text."""
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail(missing_message(["chromium"]) + " (or run make setup)")
    assert PROGRAMS["chromium"].package == "chromium"
    result = subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'chromium'}",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0 and "<table" in result.stdout, result.stderr[-2000:]
    return result.stdout


def row_text(dom: str, name: str) -> str:
    match = re.search(rf'<tr[^>]*data-portal="{name}"[^>]*>(.*?)</tr>', dom, re.DOTALL)
    assert match, name
    return re.sub(r"<[^>]+>", " ", match.group(0))


def test_the_status_page_in_a_browser_flags_the_stale_portal(portals, tmp_path):
    config = write_config(tmp_path, portals["list"], ca_file=str(portals["ca"]))
    run(config, tmp_path / "es")
    dom = chromium_text(tmp_path / "es" / "index.html", tmp_path)
    assert "INCIDENTE: 3 periodos (45 minutos) sin actualizar (V.ii.4)" in row_text(dom, "atrasado")
    assert "bloqueada" in row_text(dom, "atrasado")
    assert "INCIDENTE" not in row_text(dom, "fresco") and "al día" in row_text(dom, "fresco")
    assert "atrasado 1 periodo(s)" in row_text(dom, "texto")
    assert "02/06/2024 21:15" in dom  # the newest cut issued
    run(config, tmp_path / "en", "--lang", "en")
    english = chromium_text(tmp_path / "en" / "index.html", tmp_path)
    assert "INCIDENT: 3 periods (45 minutes)" in row_text(english, "atrasado")
    assert "up to date" in row_text(english, "fresco")
