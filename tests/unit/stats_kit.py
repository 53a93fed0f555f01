"""Hand-made access logs for the stats and memoria tests; the right answers are in the tests."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0"
CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/125.0 Safari/537.36"
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


def line(time: str, uri: str, *, ip: str = "192.0.2.1", agent: str = FIREFOX, status: int = 200,
         method: str = "GET") -> str:  # fmt: skip
    return json.dumps(
        {
            "time_iso8601": time,
            "remote_addr": ip,
            "request_method": method,
            "request_uri": uri,
            "status": status,
            "body_bytes_sent": 1234,
            "http_referer": "-",
            "http_user_agent": agent,
            "request_time": 0.002,
            "upstream": "extra keys are ignored",
        }
    )


# Visitors: V1 = 192.0.2.1 + Firefox, V2 = 192.0.2.1 + Chrome (same IP, another visitor),
# V3 = Googlebot, V4 = curl, V5 = no user agent, V6 = 198.51.100.7 + Chrome.
SAMPLE = [
    # V1, 2 June: visit 1 from 10:00:00 to 10:50:00 (the last gap is exactly 30 min: same visit).
    line("2024-06-02T10:00:00-06:00", "/index.html"),
    line("2024-06-02T10:00:01-06:00", "/assets/js/prep.js"),
    line("2024-06-02T10:20:00-06:00", "/assets/data/resumen.json"),
    line("2024-06-02T10:50:00-06:00", "/"),
    # V1: 30 min 1 s later, visit 2 (60 s); a 304 is a page view, the query string is dropped.
    line("2024-06-02T11:20:01-06:00", "/gubernatura.html", status=304),
    line("2024-06-02T11:21:01-06:00", "/gubernatura.html?distrito=1"),
    # V2: visit 3 starts 2 June 23:55 and crosses midnight (a line in UTC), lasts 720 s.
    line("2024-06-02T23:55:00-06:00", "/", agent=CHROME),
    line("2024-06-03T06:05:00+00:00", "/assets/data/resumen.json", agent=CHROME),
    line("2024-06-03T00:06:00-06:00", "/index.html", agent=CHROME, method="POST"),
    line("2024-06-03T00:07:00-06:00", "/missing.html", agent=CHROME, status=404),
    # Bots: counted apart.
    line("2024-06-02T12:00:00-06:00", "/", ip="66.249.66.1", agent=GOOGLEBOT),
    line("2024-06-02T12:00:05-06:00", "/robots.txt", ip="66.249.66.1", agent=GOOGLEBOT, status=404),
    line("2024-06-03T01:00:00-06:00", "/index.html", ip="203.0.113.9", agent="curl/8.5.0"),
    line("2024-06-03T02:00:00-06:00", "/", ip="203.0.113.10", agent="-"),
    # V6, 3 June: two pages in the same second, a visit of 0 s.
    line("2024-06-03T08:00:00-06:00", "/", ip="198.51.100.7", agent=CHROME),
    line("2024-06-03T08:00:00-06:00", "/index.html", ip="198.51.100.7", agent=CHROME),
    # Malformed: not JSON, a time without offset, no time at all. The blank line is not counted.
    "garbage {",
    line("2024-06-02T10:00:00", "/index.html"),
    json.dumps({"remote_addr": "192.0.2.1", "status": 200}),
    "",
]


def write(path: Path, lines: list[str]) -> Path:
    data = ("\n".join(lines) + "\n").encode()
    path.write_bytes(gzip.compress(data) if path.name.endswith(".gz") else data)
    return path
