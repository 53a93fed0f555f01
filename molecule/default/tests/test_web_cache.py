"""Caching across cuts (issue 17; I.H, II.C.a, II.C.e): a reader's repeat view after a new cut
gets 304 for every data file that did not change and 200 with the new bytes for every one that
did, on every target. With Varnish in front of the Ubuntu 22.04 target (host `cdn`, the
project's VCL, the origin in CDN origin mode: host_vars), after each of several switches and the
origin's purge no reader gets the replaced cut, and while the origin's web container is stopped
Varnish keeps serving the last cut and says so. Runs after test_web (its cuts are older than
that module's last one: published with --force, as test_web_monitoring's after it)."""

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from conftest import CDN_ORIGIN, facts_of, get, publish_on_target, put_file, wait_for

TZ = ZoneInfo("America/Mexico_City")
NOW = datetime.now(TZ).replace(second=0, microsecond=0)
ORIGIN = CDN_ORIGIN
CDN = ("http", "cdn.difusor.test", 6081)  # Debian's varnish.service listens on 6081
BOUND_S = 10  # host_vars: prep_web_cache_bound of the origin

# Run on the client: GET each path over one keep-alive connection, as a browser asks (gzip),
# conditional where an ETag is given; what came back, bodies decoded and hashed.
FETCH = r"""
import gzip, hashlib, http.client, json, ssl, sys
scheme, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
wanted = json.load(open(sys.argv[4]))
if scheme == "https":
    conn = http.client.HTTPSConnection(host, port, context=ssl._create_unverified_context())
else:
    conn = http.client.HTTPConnection(host, port)
answers = []
for item in wanted:
    headers = {"Accept-Encoding": "gzip"}
    if item.get("etag"):
        headers["If-None-Match"] = item["etag"]
    conn.request("GET", "/" + item["path"], headers=headers)
    response = conn.getresponse()
    body = response.read()
    if response.getheader("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    answers.append({
        "path": item["path"], "status": response.status, "etag": response.getheader("ETag"),
        "cache_control": response.getheader("Cache-Control"),
        "x_cache": response.getheader("X-Cache"),
        "sha256": hashlib.sha256(body).hexdigest() if response.status == 200 else None,
        "body": body[:4096].decode("utf-8", "replace"),
    })
print(json.dumps(answers))
"""


@pytest.fixture(scope="module")
def fetcher(trusted):
    """The trusted client (rate-exempt: hundreds of requests) with the fetch script."""
    put_file(trusted, "/root/fetch.py", FETCH, "644")

    def fetch(scheme, host, port, wanted):
        put_file(trusted, "/root/wanted.json", json.dumps(wanted), "644")
        command = f"python3 /root/fetch.py {scheme} {host} {port} /root/wanted.json"
        out = trusted.check_output(command)
        return {answer["path"]: answer for answer in json.loads(out)}

    return fetch


def data_files(target, cut: str) -> dict[str, str]:
    """SHA-256 of each data file (JSON, CSV) of a release, by path (not the compressed copies)."""
    release = facts_of(target).site_root / "releases" / cut
    listing = target.check_output(
        f"cd {release} && find . -type f \\( -name '*.json' -o -name '*.csv' \\) "
        "-not -name metadata.json -exec sha256sum {} +"
    )
    return {path[2:]: digest for digest, path in (line.split() for line in listing.splitlines())}


def test_a_repeat_view_after_a_new_cut_revalidates_each_data_file(target, target_address, fetcher):
    first = publish_on_target(target, NOW - timedelta(minutes=19), "/var/tmp/cache-first")
    before = data_files(target, first)
    seen = fetcher("https", target_address, 443, [{"path": path} for path in sorted(before)])
    assert {path: answer["sha256"] for path, answer in seen.items()} == before
    revalidated = {answer["cache_control"] for answer in seen.values()}
    assert all("no-cache" in rule or "max-age=0" in rule for rule in revalidated), revalidated

    second = publish_on_target(target, NOW - timedelta(minutes=18), "/var/tmp/cache-second")
    after = data_files(target, second)
    common = sorted(before.keys() & after.keys())
    conditional = [{"path": path, "etag": seen[path]["etag"]} for path in common]
    again = fetcher("https", target_address, 443, conditional)
    unchanged = [path for path in again if before[path] == after[path]]
    changed = [path for path in again if before[path] != after[path]]
    assert unchanged and changed, "a new cut changes some data files and not others"
    assert {path: again[path]["status"] for path in unchanged} == dict.fromkeys(unchanged, 304)
    assert {path: (again[path]["status"], again[path]["sha256"]) for path in changed} == {
        path: (200, after[path]) for path in changed
    }
    print(f"{len(unchanged)} data files unchanged (304), {len(changed)} changed (200)")


@pytest.fixture(scope="module")
def origin():
    return get(ORIGIN)


def purged_after(origin, cut: str, since: int) -> bool:
    """Whether the origin journaled a successful purge of the CDN for `cut` after line `since`."""
    lines = origin.check_output(f"tail -n +{since + 1} {facts_of(origin).journal}").splitlines()
    return any(
        entry.get("event") == "cdn_purged" and entry.get("cut") == cut
        for entry in map(json.loads, lines)
    )


def journal_length(origin) -> int:
    return int(origin.check_output(f"wc -l < {facts_of(origin).journal}"))


PAGES = ["index.html", "assets/data/resumen.json"]


def names_cut(answer, cut: str) -> bool:
    return f'data-corte="{cut}"' in answer["body"] or f'"corte_id": "{cut}"' in answer["body"]


def test_after_each_switch_and_purge_no_reader_gets_the_replaced_cut(origin, fetcher):
    for minutes in (17, 16, 15):
        warm = [{"path": path} for path in PAGES]
        fetcher(*CDN, warm)
        cached = fetcher(*CDN, warm)
        assert {answer["x_cache"] for answer in cached.values()} == {"HIT"}, "the CDN holds the cut"
        since = journal_length(origin)
        cut = publish_on_target(origin, NOW - timedelta(minutes=minutes), f"/var/tmp/cdn-{minutes}")
        assert wait_for(lambda cut=cut, since=since: purged_after(origin, cut, since), 30), cut
        served = fetcher(*CDN, warm)
        assert {path: names_cut(answer, cut) for path, answer in served.items()} == dict.fromkeys(
            PAGES, True
        ), f"the CDN served a replaced cut after the purge for {cut}"


def test_with_the_origin_down_the_cdn_serves_the_last_cut_and_says_so(origin, fetcher):
    live = origin.check_output(f"readlink {facts_of(origin).site_root}/current").split("/")[-1]
    fetcher(*CDN, [{"path": path} for path in PAGES])
    container = facts_of(origin).web_container
    origin.check_output(f"docker stop {container}")
    try:

        def stale():
            answers = fetcher(*CDN, [{"path": path} for path in PAGES])
            labels = [answer["x_cache"] or "" for answer in answers.values()]
            return all(label.startswith("STALE") for label in labels) and answers

        # The copies expire after the bound; the health check marks the origin sick in ~2 s.
        answers = wait_for(stale, BOUND_S + 30)
        assert answers, "Varnish did not serve stale copies while the origin was down"
        assert {path: (a["status"], names_cut(a, live)) for path, a in answers.items()} == {
            path: (200, True) for path in PAGES
        }
    finally:
        origin.check_output(f"docker start {container}")
        healthy = "curl -sf -o /dev/null http://127.0.0.1/healthz"
        assert wait_for(lambda: origin.run(healthy).rc == 0, 60), "the web container is back"
