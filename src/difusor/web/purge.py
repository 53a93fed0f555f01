"""Purge a CDN in front of the difusor after each switch of the served site.

A CDN keeps pages and data up to `s-maxage` (role prep_web's `prep_web_cache_bound`); a purge
right after a new cut goes live (or after the notice is turned on or off) makes readers get it
at once. The purge runs apart from the publisher (which has no network): systemd starts
`difusor-cdn-purge.service` when `current` or the notice flag changes, and this module sends the
configured HTTP requests (Varnish BAN/PURGE, Cloudflare, Fastly, ...: see docs/cdn.md) and, for
APIs that need signatures (Akamai, CloudFront), runs a command. Each is tried a few times; the
outcome is journaled. A failed purge never touches the site: the cut is live, and the CDN's
copies expire within the bound anyway.

Settings (YAML, written by role prep_web): `requests` (method, url, headers, body), `command`
(argv), `attempts`, `timeout_s`. `{cut}` in a URL, header or body is the live cut's id.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from difusor.errors import DifusorError
from difusor.web.settings import read_settings_file

METHODS = frozenset({"BAN", "PURGE", "POST", "GET", "DELETE", "PUT"})


@dataclass(frozen=True)
class PurgeRequest:
    method: str
    url: str
    headers: tuple[tuple[str, str], ...] = ()
    body: str = ""


@dataclass(frozen=True)
class PurgeSettings:
    requests: tuple[PurgeRequest, ...] = ()
    command: tuple[str, ...] = ()
    attempts: int = 3
    timeout_s: float = 10.0

    @property
    def enabled(self) -> bool:
        return bool(self.requests or self.command)


@dataclass(frozen=True)
class Outcome:
    target: str  # "BAN http://cdn/" or the command's program
    ok: bool
    detail: str  # the HTTP status, the exit status, or the error
    attempts: int


def _request(item: Any, index: int) -> PurgeRequest:
    where = f"CDN purge request {index + 1}"
    if not isinstance(item, dict) or not isinstance(item.get("url"), str):
        raise DifusorError(f"{where}: a mapping with at least `url` (and `method`, `headers`)")
    method = str(item.get("method", "PURGE")).upper()
    if method not in METHODS:
        raise DifusorError(f"{where}: method {method} is not one of {', '.join(sorted(METHODS))}")
    if not item["url"].startswith(("http://", "https://")):
        raise DifusorError(f"{where}: url must start with http:// or https://")
    headers = item.get("headers") or {}
    if not isinstance(headers, dict):
        raise DifusorError(f"{where}: headers must be a mapping of names to values")
    unknown = sorted(set(item) - {"method", "url", "headers", "body"})
    if unknown:
        raise DifusorError(f"{where}: unknown keys {', '.join(unknown)}")
    return PurgeRequest(
        method,
        item["url"],
        tuple((str(name), str(value)) for name, value in headers.items()),
        str(item.get("body") or ""),
    )


def load_purge_settings(path: Path) -> PurgeSettings:
    """The purge settings in a YAML file; nothing to purge when the file does not exist."""
    data = read_settings_file(path, "CDN purge settings")
    if data is None:
        return PurgeSettings()
    unknown = sorted(set(data) - {field.name for field in dataclasses.fields(PurgeSettings)})
    if unknown:
        raise DifusorError(f"unknown CDN purge settings in {path}: {', '.join(unknown)}")
    command = data.get("command") or []
    if not isinstance(command, list) or not all(isinstance(part, str) for part in command):
        raise DifusorError(f"{path}: command must be a list of strings (program and arguments)")
    attempts, timeout = data.get("attempts", 3), data.get("timeout_s", 10)
    if not isinstance(attempts, int) or isinstance(attempts, bool) or attempts < 1:
        raise DifusorError(f"{path}: attempts must be a whole number, at least 1")
    if not isinstance(timeout, int | float) or isinstance(timeout, bool) or timeout <= 0:
        raise DifusorError(f"{path}: timeout_s must be a number of seconds above 0")
    requests = data.get("requests") or []
    if not isinstance(requests, list):
        raise DifusorError(f"{path}: requests must be a list")
    return PurgeSettings(
        tuple(_request(item, index) for index, item in enumerate(requests)),
        tuple(command),
        attempts,
        float(timeout),
    )


def _send(request: PurgeRequest, cut: str, timeout: float) -> str:
    """Send one request; its HTTP status as text, or raise OSError for a failure."""

    def fill(text: str) -> str:
        return text.replace("{cut}", cut)

    body = fill(request.body).encode() if request.body else None
    prepared = urllib.request.Request(
        fill(request.url),
        data=body,
        method=request.method,
        headers={name: fill(value) for name, value in request.headers},
    )
    try:
        with urllib.request.urlopen(prepared, timeout=timeout) as response:
            return str(response.status)
    except urllib.error.HTTPError as exc:
        raise OSError(f"HTTP {exc.code} {exc.reason}") from None


def _run(command: tuple[str, ...], cut: str, timeout: float) -> str:
    try:
        done = subprocess.run(
            [part.replace("{cut}", cut) for part in command],
            check=False,
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, "DIFUSOR_CUT": cut},
        )
    except subprocess.TimeoutExpired:
        raise OSError(f"no answer within {timeout:g} s") from None
    if done.returncode != 0:
        last = (done.stderr or done.stdout).strip().splitlines()[-1:] or [""]
        raise OSError(f"exit {done.returncode}: {last[0][:200]}")
    return "exit 0"


def _attempt(action: Callable[[], str], attempts: int, pause_s: float) -> tuple[bool, str, int]:
    detail = ""
    for attempt in range(1, attempts + 1):
        try:
            return True, action(), attempt
        except OSError as exc:
            detail = str(getattr(exc, "reason", None) or exc)
            if attempt < attempts:
                time.sleep(pause_s * attempt)
    return False, detail, attempts


def purge(settings: PurgeSettings, cut: str, pause_s: float = 1.0) -> list[Outcome]:
    """Every configured purge, each tried up to `attempts` times."""
    outcomes = []
    for request in settings.requests:
        ok, detail, tries = _attempt(
            lambda request=request: _send(request, cut, settings.timeout_s),
            settings.attempts,
            pause_s,
        )
        outcomes.append(Outcome(f"{request.method} {request.url}", ok, detail, tries))
    if settings.command:
        ok, detail, tries = _attempt(
            lambda: _run(settings.command, cut, settings.timeout_s), settings.attempts, pause_s
        )
        outcomes.append(Outcome(settings.command[0], ok, detail, tries))
    return outcomes
