"""One portal, fetched once from outside: reachable, TLS valid and its expiry, the cut the page
shows, the response time, the embedding headers (VI.e)."""

from __future__ import annotations

import http.client
import re
import ssl
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from difusor import certs
from difusor.drill.web import CUT_RE, NOTICE_MARK

BODY_CAP = 2 << 20
MAX_REDIRECTS = 3
# The cut as the page's text shows it: 02/06/2024 21:15
SHOWN_CUT_RE = re.compile(rb"\b(\d{2})/(\d{2})/(\d{4}) (\d{2}):(\d{2})\b")


@dataclass(frozen=True)
class Probe:
    url: str
    status: int  # 0: no answer
    error: str = ""
    elapsed_s: float | None = None
    tls: bool = False  # served over HTTPS
    tls_valid: bool | None = None  # the chain and name verify
    tls_error: str = ""
    tls_expiry: datetime | None = None
    cut: str | None = None  # YYYYMMDD_HHMM
    notice: bool = False  # the official notice is served (V.ii.4)
    frame_options: str | None = None  # X-Frame-Options
    frame_ancestors: str | None = None  # CSP frame-ancestors


def page_cut(body: bytes) -> str | None:
    """The cut of a results page: its data-corte attribute, else the first dd/mm/yyyy HH:MM."""
    match = CUT_RE.search(body)
    if match:
        return match.group(1).decode()
    shown = SHOWN_CUT_RE.search(body)
    if shown:
        day, month, year, hour, minute = (part.decode() for part in shown.groups())
        return f"{year}{month}{day}_{hour}{minute}"
    return None


def frame_ancestors(csp: str | None) -> str | None:
    for directive in (csp or "").split(";"):
        name, _, value = directive.strip().partition(" ")
        if name.lower() == "frame-ancestors":
            return value.strip()
    return None


def _context(verify: bool, ca_file: Path | None) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if ca_file is not None:
        context.load_verify_locations(cafile=str(ca_file))
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def _get(url: str, timeout_s: float, context: ssl.SSLContext):
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if parts.scheme == "https":
        connection: http.client.HTTPConnection = http.client.HTTPSConnection(
            parts.hostname, parts.port, timeout=timeout_s, context=context
        )
    else:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout_s)
    try:
        connection.request("GET", path, headers={"User-Agent": "difusor-monitor"})
        # The certificate before the answer: a server that closes after it takes the socket.
        der = connection.sock.getpeercert(binary_form=True) if parts.scheme == "https" else None
        answer = connection.getresponse()
        body = answer.read(BODY_CAP)
        return answer.status, answer.headers, body, der
    finally:
        connection.close()


def probe(url: str, timeout_s: float = 10, ca_file: Path | None = None) -> Probe:
    """Fetch the portal (following up to MAX_REDIRECTS); TLS is verified, and when it does not
    verify the page is fetched again without verification, to still read its cut."""
    tls_valid: bool | None = None
    tls_error = ""
    started = time.monotonic()
    try:
        for _ in range(MAX_REDIRECTS + 1):
            secure = urlsplit(url).scheme == "https"
            try:
                status, headers, body, der = _get(url, timeout_s, _context(True, ca_file))
                tls_valid = True if secure else tls_valid
            except ssl.SSLCertVerificationError as exc:
                tls_valid, tls_error = False, exc.verify_message or str(exc)
                status, headers, body, der = _get(url, timeout_s, _context(False, ca_file))
            location = headers.get("Location")
            if status in (301, 302, 303, 307, 308) and location:
                url = urljoin(url, location)
                continue
            break
    except (OSError, http.client.HTTPException, ValueError) as exc:
        return Probe(url, 0, error=str(exc) or type(exc).__name__, tls_valid=tls_valid)
    elapsed = time.monotonic() - started
    expiry = None
    if der:
        try:
            expiry = certs.not_after(der)
        except certs.CertificateError:
            expiry = None
    return Probe(
        url=url,
        status=status,
        elapsed_s=elapsed,
        tls=urlsplit(url).scheme == "https",
        tls_valid=tls_valid,
        tls_error=tls_error,
        tls_expiry=expiry,
        cut=page_cut(body) if status == 200 else None,
        notice=NOTICE_MARK in body,
        frame_options=headers.get("X-Frame-Options"),
        frame_ancestors=frame_ancestors(headers.get("Content-Security-Policy")),
    )
