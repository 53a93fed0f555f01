"""The web service (role prep_web): HTTPS on 443, HTTP redirected, the live cut's date and time
on the page (I.H), embedding allowed by CSP frame-ancestors (VI.e), served files identical to
the release (VI.b), and access logs that feed the statistics (I.E.a-d).

Checked on the host itself (curl to 127.0.0.1), so that they do not depend on a vantage point;
the probes of test_network check the same ports from outside."""

import json
import shlex

import pytest

from difusor.compliance import checks, cluster
from difusor.compliance.plugin import quiet_stderr
from difusor.compliance.remote import FETCH_DIGESTS, python_command, request_interval
from difusor.package.layout import parse_cut_id

BASE = "https://127.0.0.1"
# On a cluster the web nodes serve the site (each checked on itself, like a single server); the
# balancer is judged by test_cluster (its servers, their health checks), not by these.
pytestmark = pytest.mark.parts(*cluster.SITE)


def curl(host, evidence, url: str, *options: str):
    return evidence.run(host, f"curl -sS -k --max-time 10 {' '.join(options)} {shlex.quote(url)}")


@pytest.mark.requirement("I.H")
def test_https_answers(host, evidence):
    """HTTPS on 443 answers with the portal (status 200)."""
    result = curl(host, evidence, f"{BASE}/", "-o /dev/null", "-w '%{http_code}'")
    code = result.stdout.strip()
    evidence.verdict(
        checks.Check(
            checks.PASS if code == "200" else checks.FAIL,
            checks.msg(
                "https",
                url=f"{BASE}/",
                code=code or "-",
                err=" ".join(quiet_stderr(result).split())[:200],
            ),
            {"status": code},
        )
    )


@pytest.mark.requirement("II.C.d")
def test_http_redirects_to_https(host, evidence):
    """Plain HTTP on 80 redirects to HTTPS."""
    result = curl(
        host, evidence, "http://127.0.0.1/", "-o /dev/null", "-w '%{http_code} %{redirect_url}'"
    )
    code, _, location = result.stdout.strip().partition(" ")
    ok = code in ("301", "302", "307", "308") and location.startswith("https://")
    evidence.verdict(
        checks.Check(
            checks.PASS if ok else checks.FAIL,
            checks.msg("redirect", url="http://127.0.0.1/", code=code or "-", location=location),
            {"status": code, "location": location},
        )
    )


@pytest.mark.requirement("I.H")
def test_page_shows_live_cut_time(host, evidence, params, live_cut):
    """The page served shows the date and time of the live cut (`current`)."""
    settings = params("I.H")
    moment = parse_cut_id(live_cut)
    page = curl(host, evidence, f"{BASE}/")
    evidence.verdict(checks.page_shows_cut(page.stdout, moment, settings["cut_time_formats"]))


@pytest.mark.requirement("VI.e")
def test_embedding_policy_header(host, evidence, params):
    """The CSP header names frame-ancestors, so that the portal may embed the pages."""
    settings = params("VI.e")
    headers = curl(host, evidence, f"{BASE}/", "-o /dev/null", "-D -").stdout
    policy = [
        line.split(":", 1)[1].strip()
        for line in headers.splitlines()
        if line.lower().startswith(settings["header"].lower() + ":")
    ]
    found = [p for p in policy if settings["directive"] in p]
    evidence.verdict(
        checks.Check(
            checks.PASS if found else checks.FAIL,
            checks.msg("csp_ok", header=settings["header"], policy=found[0])
            if found
            else checks.msg("csp_no", header=settings["header"], directive=settings["directive"]),
            {"policy": policy},
        )
    )


@pytest.mark.requirement("VI.b")
def test_served_files_equal_release(host, evidence, params, facts, live_cut):
    """Every file of the manifest, fetched over HTTPS, is byte-identical to the release."""
    settings = params("VI.b")
    root = facts.site_root
    cut = live_cut
    manifest = evidence.run(
        host, f"cat {root}/releases/{cut}/{settings['manifest_name']}", sudo=True
    )
    listed = {}
    for line in manifest.stdout.splitlines():
        digest, _, name = line.partition("  ")
        if len(digest) == 64 and name:
            listed[name.removeprefix("./")] = digest.lower()
    if not listed:
        evidence.verdict(checks.Check(checks.FAIL, checks.msg("served_no_manifest", cut=cut), {}))
    config = evidence.run(
        host,
        f"docker exec {facts.web_container} nginx -T -c /etc/nginx/difusor/nginx.conf 2>/dev/null",
        sudo=True,
    )
    pace = f"{request_interval(config.stdout):.3f}"
    fetched = json.loads(
        evidence.run(host, python_command(FETCH_DIGESTS, f"{BASE}/", pace, *sorted(listed))).stdout
        or "{}"
    )
    different = sorted(path for path, digest in listed.items() if fetched.get(path) != digest)
    evidence.verdict(
        checks.Check(
            checks.PASS if not different else checks.FAIL,
            checks.msg(
                "served_diff" if different else "served",
                same=len(listed) - len(different),
                total=len(listed),
                different=different[:5],
            ),
            {"different": {path: fetched.get(path) for path in different[:20]}},
        )
    )


@pytest.mark.requirement("II.C.e")
def test_request_limits_and_web_bans(host, evidence, facts):
    """Optional DDoS/WAF basics of the server itself: per-client limits and fail2ban web jails."""
    config = evidence.run(
        host,
        f"docker exec {facts.web_container} nginx -T -c /etc/nginx/difusor/nginx.conf 2>/dev/null",
        sudo=True,
    )
    jails = evidence.run(host, "fail2ban-client status", sudo=True)
    evidence.verdict(checks.check_web_protection(config.stdout, jails.stdout))


@pytest.mark.requirement("I.E.a", "I.E.b", "I.E.c", "I.E.d")
def test_access_log_records_visits(host, evidence, params):
    """The web access log records client, time, page and agent of every request, in a format
    that the statistics (`difusor stats`, the memoria) read: the same parser judges it."""
    pattern = params("I.E.a")["access_log_glob"]
    curl(host, evidence, f"{BASE}/", "-o /dev/null")
    evidence.run(host, f"ls -l {pattern} 2>&1", sudo=True)
    # The last lines of every log not yet compressed (rotated .gz files are read by the
    # statistics, decompressed; their bytes are no sample).
    sample = (
        f'for log in {pattern}; do case "$log" in *.gz) ;; '
        '*) [ -f "$log" ] && tail -n 20 "$log" ;; esac; done; true'
    )
    lines = evidence.run(host, sample, sudo=True).stdout
    evidence.verdict(checks.check_access_log(lines.splitlines()))
