"""What is a bot, and what is a page view: the two definitions every figure depends on.

Page view: a request by a person (not a bot) with method GET, status 2xx or 304, for an HTML
document - a path (query string left aside) that ends in `/`, `.html` or `.htm`. Assets (JS,
CSS, JSON, images, CSV downloads), errors, redirects and HEAD requests are hits, not page views.

Bot: a user agent that matches one of BOT_PATTERNS (case-insensitive), or an empty one.
"""

from __future__ import annotations

import re

BOT_PATTERNS = (
    "bot",
    "crawl",
    "spider",
    "slurp",
    "curl",
    "wget",
    "python-requests",
    "python-urllib",
    "python-httpx",
    "aiohttp",
    "go-http-client",
    "java/",
    "libwww-perl",
    "httpclient",
    "scrapy",
    "headlesschrome",
    "phantomjs",
    "facebookexternalhit",
    "whatsapp",
    "preview",
    "monitor",
    "uptime",
    "pingdom",
    "nagios",
    "zabbix",
    "check_http",
    "prometheus",
    "blackbox",
    "statuscake",
    "apachebench",
    "wrk/",
    "k6/",
    "locust",
    "jmeter",
)
PAGE_SUFFIXES = ("/", ".html", ".htm")
_BOT_RE = re.compile("|".join(re.escape(pattern) for pattern in BOT_PATTERNS), re.IGNORECASE)
_CACHE_LIMIT = 200_000


class BotDetector:
    """is_bot(user_agent), remembering the answer for each user agent seen (bounded)."""

    def __init__(self) -> None:
        self._seen: dict[str, bool] = {}

    def __call__(self, user_agent: str) -> bool:
        answer = self._seen.get(user_agent)
        if answer is None:
            answer = not user_agent.strip() or _BOT_RE.search(user_agent) is not None
            if len(self._seen) >= _CACHE_LIMIT:
                self._seen.clear()
            self._seen[user_agent] = answer
        return answer


def page_path(uri: str) -> str:
    """The path of a request URI, without query string (browsers never send the fragment)."""
    return uri.partition("?")[0] or "/"


def is_page_view(method: str, status: int, path: str) -> bool:
    return (
        method == "GET"
        and (200 <= status < 300 or status == 304)
        and path.lower().endswith(PAGE_SUFFIXES)
    )
