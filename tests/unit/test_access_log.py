"""One parser of the access log (difusor.stats.logs.parse_line) for the statistics and the audit
(I.E.a-d): JSON lines as role prep_web writes them, and the combined format; the audit never
passes a line that `difusor stats` counts as malformed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from stats_kit import SAMPLE, write

from difusor.compliance import checks
from difusor.compliance.messages import check_text
from difusor.stats import compute
from difusor.stats.logs import Request, TimeParser, parse_line, parse_lines

FIXTURES = Path(__file__).parent / "fixtures" / "compliance"
SALT = b"0123456789abcdef-test-salt"
AGENT = "Mozilla/5.0 (X11; Linux x86_64)"
EPOCH = 1717380904  # 2024-06-02T20:15:04-06:00
EXPECTED = Request(EPOCH, "203.0.113.10", "GET", "/assets/data/resumen.json", 200, AGENT)


def parse(line: str | bytes) -> Request | None:
    return parse_line(line, TimeParser())


def test_a_json_line_of_the_web_role() -> None:
    line = (FIXTURES / "access-log-json.txt").read_text(encoding="utf-8").splitlines()[1]
    assert parse(line) == EXPECTED
    assert parse(line.encode()) == EXPECTED  # bytes, as the statistics read files
    assert parse("  " + line + "\n") == EXPECTED


def test_a_combined_line_reads_like_its_json_twin() -> None:
    line = (FIXTURES / "access-log-combined.txt").read_text(encoding="utf-8").splitlines()[1]
    assert parse(line) == EXPECTED
    assert parse(line.encode()) == EXPECTED


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        # the common format: no referer, no agent
        (
            '203.0.113.10 - - [02/Jun/2024:20:15:04 -0600] "GET /assets/data/resumen.json'
            ' HTTP/1.1" 200 1204',
            EXPECTED._replace(user_agent=""),
        ),
        # an IPv6 client, a user, another offset, "-" as agent
        (
            '2001:db8::7 - ople [03/Jun/2024:02:15:04 +0000] "HEAD / HTTP/2.0" 304 0 "-" "-"',
            Request(EPOCH, "2001:db8::7", "HEAD", "/", 304, ""),
        ),
        # a quote escaped inside the agent (Apache writes \")
        (
            '203.0.113.10 - - [02/Jun/2024:20:15:04 -0600] "GET / HTTP/1.1" 200 5 "-"'
            ' "curl \\"quoted\\""',
            Request(EPOCH, "203.0.113.10", "GET", "/", 200, 'curl \\"quoted\\"'),
        ),
        # nginx's line for a request it could not read: a hit, but no page
        (
            '198.51.100.4 - - [02/Jun/2024:20:15:04 -0600] "-" 400 0 "-" "-"',
            Request(EPOCH, "198.51.100.4", "", "", 400, ""),
        ),
    ],
)
def test_combined_variants(line: str, expected: Request) -> None:
    assert parse(line) == expected


MALFORMED = [
    "garbage {",
    "[1, 2]",
    "{not json",
    json.dumps({"remote_addr": "192.0.2.1", "status": 200}),  # no time
    json.dumps({"time_iso8601": "2024-06-02T10:00:00", "status": 200}),  # no offset
    json.dumps({"time_iso8601": "2024-06-02T20:15:04-06:00", "status": "OK"}),
    # short key names that the audit's own parser used to accept, and the statistics never read
    json.dumps({"client": "203.0.113.10", "time": "2024-06-02T20:15:04-06:00", "path": "/"}),
    '203.0.113.10 - - [02/Jun/2024:20:15:04] "GET / HTTP/1.1" 200 5',  # no offset
    '203.0.113.10 - - [02/Juni/2024:20:15:04 -0600] "GET / HTTP/1.1" 200 5',
    '203.0.113.10 - - [02/Jun/2024:20:15:04 -0600] "GET / HTTP/1.1" OK 5',
    '203.0.113.10 - - [02/Jun/2024:20:15:04 -0600] "GET / HTTP/1.1',  # cut short
    "\x1f\x8b\x08\x00 binary from a rotated .gz",
]


@pytest.mark.parametrize("line", MALFORMED)
def test_malformed_lines(line: str) -> None:
    assert parse(line) is None


def stats_counts_as_malformed(line: str, tmp_path: Path) -> bool:
    return compute([write(tmp_path / "access.log", [line])], salt=SALT)["malformed_lines"] == 1


CORPUS = [
    *(FIXTURES / "access-log-json.txt").read_text(encoding="utf-8").splitlines(),
    *(FIXTURES / "access-log-combined.txt").read_text(encoding="utf-8").splitlines(),
    *(line for line in SAMPLE if line.strip()),
    *MALFORMED,
]


@pytest.mark.parametrize("line", CORPUS)
def test_the_audit_and_the_statistics_agree_on_every_line(line: str, tmp_path: Path) -> None:
    audited = checks.check_access_log([line])
    malformed = stats_counts_as_malformed(line, tmp_path)
    assert audited.measured["malformed"] == int(malformed)
    if malformed:
        assert not audited.ok


def test_one_malformed_line_fails_the_audit() -> None:
    lines = (FIXTURES / "access-log-json.txt").read_text(encoding="utf-8").splitlines()
    check = checks.check_access_log([*lines, "garbage {"])
    assert check.status == "fail"
    assert check.measured == {
        "lines_read": len(lines) + 1,
        "parsed": len(lines),
        "malformed": 1,
        "complete": len(lines),
    }
    values = check.message["values"]
    assert check.summary.startswith(f"1 of {len(lines) + 1} sampled lines are in no format")
    assert check_text("log_malformed", values, "es").startswith(f"1 de {len(lines) + 1} líneas")


def test_lines_without_client_or_page_fail_as_incomplete() -> None:
    line = json.dumps({"time_iso8601": "2024-06-02T20:15:04-06:00", "status": 400})
    assert parse(line) == Request(EPOCH, "", "", "", 400, "")
    check = checks.check_access_log([line])
    assert check.status == "fail" and check.message["key"] == "log_incomplete"


def test_the_statistics_read_a_combined_log(tmp_path: Path) -> None:
    path = FIXTURES / "access-log-combined.txt"
    lines = path.read_text(encoding="utf-8").splitlines()
    result = compute([write(tmp_path / "access.log", lines)], salt=SALT)
    assert result["malformed_lines"] == 0
    assert result["hits"] == len(lines)
    blank_skipped = list(parse_lines([b"", b"  \n", lines[0].encode()], TimeParser()))
    assert len(blank_skipped) == 1 and blank_skipped[0] is not None
