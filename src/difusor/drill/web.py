"""What the public sees: the host's pages over HTTPS, from this machine (self-signed is fine)."""

from __future__ import annotations

import re
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

CUT_RE = re.compile(rb'data-corte="(\d{8}_\d{4})"')
NOTICE_MARK = b'id="aviso-prep"'


@dataclass(frozen=True)
class Page:
    status: int  # 0: no answer
    body: bytes
    error: str = ""

    @property
    def cut(self) -> str | None:
        """The cut the page shows (None for the notice, an error or another page)."""
        if self.status != 200:
            return None
        match = CUT_RE.search(self.body)
        return match.group(1).decode() if match else None

    @property
    def notice(self) -> bool:
        return NOTICE_MARK in self.body

    def describe(self) -> str:
        if self.status == 0:
            return f"no answer ({self.error})"
        if self.notice:
            return "notice"
        return self.cut or f"HTTP {self.status}"


def fetch(address: str, path: str = "index.html", timeout_s: float = 5) -> Page:
    """GET https://ADDRESS/PATH without certificate checks and without compression."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    request = urllib.request.Request(
        f"https://{address}/{path}", headers={"User-Agent": "difusor-drill"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout_s, context=context) as answer:
            return Page(answer.status, answer.read())
    except urllib.error.HTTPError as exc:
        return Page(exc.code, exc.read())
    except (OSError, ValueError) as exc:
        return Page(0, b"", str(getattr(exc, "reason", exc)))


def wait_until(
    probe: Callable[[], Page],
    done: Callable[[Page], bool],
    timeout_s: float,
    interval_s: float = 0.5,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[Page, float | None, list[Page]]:
    """Poll until done(page); returns (last page, seconds it took or None, every page seen)."""
    started = clock()
    seen: list[Page] = []
    while True:
        page = probe()
        seen.append(page)
        elapsed = clock() - started
        if done(page):
            return page, elapsed, seen
        if elapsed >= timeout_s:
            return page, None, seen
        sleep(interval_s)
