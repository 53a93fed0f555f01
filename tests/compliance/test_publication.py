"""The results pipeline on the host: live cut (I.H), freshness in the window (VI.a), the served
tree equal to the package manifest (VI.b), the journal of failures (V.ii.2), the receiver
(I.G, V.i.1) and the notice events (V.ii.4)."""

import json
from datetime import UTC, datetime

import pytest

from difusor.compliance import checks, cluster
from difusor.compliance.remote import TREE_DIGESTS, python_command
from difusor.package import journal
from difusor.package.layout import parse_cut_id

# On a cluster the receiving node receives, verifies and publishes; the tests of what a web node
# holds too (its live cut, its release tree, its notice events) say so.
pytestmark = pytest.mark.parts(*cluster.PACKAGES)


def journal_events(host, evidence, path: str) -> list[dict]:
    text = evidence.run(host, f"tail -n 2000 {path} 2>/dev/null", sudo=True).stdout
    return journal.parse_lines(text)


@pytest.mark.parts(*cluster.CUT)
@pytest.mark.requirement("I.H")
def test_live_cut_published(host, evidence, facts, live_cut):
    """`current` points to releases/<YYYYMMDD_HHMM>: a cut is live."""
    root = facts.site_root
    evidence.run(host, f"ls -l {root} {root}/releases 2>&1 | tail -n 20", sudo=True)
    cut = live_cut
    moment = parse_cut_id(cut)
    age_h = (datetime.now(UTC) - moment).total_seconds() / 3600
    evidence.verdict(
        checks.Check(
            checks.PASS,
            checks.msg("live_cut", cut=cut, moment=moment.isoformat(), hours=age_h),
            {"cut": cut, "cut_age_hours": round(age_h, 1)},
        )
    )


@pytest.mark.requirement("I.H", "VI.a")
def test_publications_keep_up_in_the_window(host, evidence, params, facts):
    """Inside the publication window the last publication is at most 20 minutes old."""
    journal = facts.journal
    published = [
        e for e in journal_events(host, evidence, journal) if e.get("event") == "published"
    ]
    now = datetime.now(UTC)
    age = None
    if published:
        last = datetime.fromisoformat(published[-1]["time"].replace("Z", "+00:00"))
        age = (now - last).total_seconds() / 60
    window_params = params("VI.a")
    window = (
        datetime.fromisoformat(window_params["window_start"]),
        datetime.fromisoformat(window_params["window_end"]),
    )
    evidence.verdict(checks.check_publish_age(age, now, params("I.H"), window))


@pytest.mark.parts(*cluster.CUT)
@pytest.mark.requirement("VI.b")
def test_live_cut_equals_package_manifest(host, evidence, params, facts, live_cut):
    """Every file of the live cut is the package's own (manifest), untouched; the publisher's
    precompressed copies (NAME.gz, NAME.br) decompress to exactly the listed file."""
    settings = params("VI.b")
    release = f"{facts.site_root}/releases/{live_cut}"
    manifest = evidence.run(host, f"cat {release}/{settings['manifest_name']}", sudo=True)
    tree = evidence.run(host, python_command(TREE_DIGESTS, release), sudo=True)
    data = json.loads(tree.stdout or "{}")
    evidence.verdict(
        checks.compare_manifest(
            manifest.stdout,
            data.get("digests", {}),
            data.get("decompressed", {}),
            tuple(settings["precompressed_suffixes"]),
            settings["manifest_name"],
        )
    )


@pytest.mark.requirement("V.ii.2")
def test_failures_are_journaled(host, evidence, params, facts, arrivals):
    """The publisher's journal records every step, failures included. Before the first package
    arrives there is no journal yet: then the ingest unit must be waiting for arrivals."""
    path = facts.journal
    stat = evidence.run(host, f"stat -c '%U:%G %a %s bytes' {path}", sudo=True)
    landed = [a for a in arrivals or [] if not a.in_transfer]
    if stat.rc != 0 and landed:  # packages came, and the publisher never even recorded them
        incoming = facts.incoming_dir
        evidence.verdict(
            checks.Check(
                checks.FAIL,
                checks.msg(
                    "journal_absent_waiting", path=path, count=len(landed), incoming=incoming
                ),
                {"journal": False, "waiting": [a.name for a in landed]},
            )
        )
    if stat.rc != 0:
        root = facts.site_root
        releases = evidence.run(host, f"ls -A {root}/releases 2>/dev/null", sudo=True).stdout
        unit = params("V.i.1")["ingest_unit"]
        waiting = evidence.run(host, f"systemctl is-active {unit}").stdout.strip() == "active"
        ok = waiting and not releases.strip()
        evidence.verdict(
            checks.Check(
                checks.PASS if ok else checks.FAIL,
                checks.msg(
                    "journal_absent_ok" if ok else "journal_absent",
                    path=path,
                    releases=releases.split() or "-",
                    unit=unit,
                    state="active" if waiting else "inactive",
                ),
                {"journal": False, "ingest_waiting": waiting},
            )
        )
        return
    events = journal_events(host, evidence, path)
    counts: dict[str, int] = {}
    for event in events:
        counts[event.get("event", "?")] = counts.get(event.get("event", "?"), 0) + 1
    failures = counts.get("verify_failed", 0) + counts.get("rejected", 0)
    evidence.verdict(
        checks.Check(
            checks.PASS,
            checks.msg("journal", path=path, events=len(events), failures=failures),
            {"events": counts},
        )
    )


@pytest.mark.requirement("I.H", "V.ii.2")
def test_no_arrival_waits_unpublished(evidence, params, facts, arrivals):
    """Every complete file that arrived in the incoming directory was taken by a pass within the
    settle time plus one safety pass (else the publisher is not running, or failing on it)."""
    evidence.verdict(checks.check_arrivals(arrivals, str(facts.incoming_dir), params("I.H")))


@pytest.mark.requirement("I.H", "V.ii.2")
def test_publisher_services_have_not_failed(host, evidence, params, facts):
    """difusor-ingest.service and difusor-watchdog.service (on a cluster's receiving node
    difusor-cluster.service instead of the watchdog) are not in failed state (a failed oneshot
    service stays failed until a run succeeds); the journal of a failed one is shown."""
    units = cluster.publisher_units(facts.cluster_part, list(params("V.ii.2")["publisher_units"]))
    shown = evidence.run(host, f"systemctl show -p {checks.UNIT_PROPERTIES} {' '.join(units)}")
    states = checks.parse_systemctl_show(shown.stdout)
    tails = {
        unit: evidence.run(host, f"journalctl -u {unit} -n 15 --no-pager -o cat", sudo=True).stdout
        for unit in units
        if states.get(unit, {}).get("ActiveState") == "failed"
    }
    evidence.verdict(checks.check_units(units, states, tails))


@pytest.mark.requirement("I.G", "V.i.1")
def test_package_receiver(host, evidence, params):
    """rsyncd listens on 873 with a module for the packages, and arrivals trigger ingest."""
    settings = params("V.i.1")
    rsync = evidence.run(host, "systemctl is-active rsync rsyncd 2>/dev/null | head -n 1")
    config = evidence.run(
        host, f"grep -E '^\\[|write only|read only' {params('I.G')['rsync_config']}", sudo=True
    )
    unit = evidence.run(host, f"systemctl is-active {settings['ingest_unit']}").stdout.strip()
    listening = evidence.run(host, f"ss -tlnH '( sport = :{settings['rsync_port']} )'").stdout
    modules = [line.strip("[] ") for line in config.stdout.splitlines() if line.startswith("[")]
    ok = (
        rsync.stdout.strip() == "active"
        and bool(listening.strip())
        and modules
        and unit == "active"
    )
    evidence.verdict(
        checks.Check(
            checks.PASS if ok else checks.FAIL,
            checks.msg(
                "receiver",
                state=rsync.stdout.strip(),
                port=settings["rsync_port"],
                listening=bool(listening.strip()),
                modules=modules,
                unit=settings["ingest_unit"],
                unit_state=unit,
            ),
            {"modules": modules, "ingest_unit": unit},
        )
    )


@pytest.mark.parts(*cluster.SITE)  # notice mode and the watchdog run where the site is served
@pytest.mark.requirement("V.ii.4")
def test_notice_events(host, evidence, facts):
    """Evidence for the notice on the portal: the notice and freshness events of the journal."""
    events = journal_events(host, evidence, facts.journal)
    kinds = ("notice_on", "notice_off", "stale_warning", "stale_critical", "stale_incident")
    counts = {kind: sum(1 for e in events if e.get("event") == kind) for kind in kinds}
    evidence.verdict(
        checks.Check(
            checks.MANUAL,
            checks.msg(
                "notice_events", counts=", ".join(f"{kind} {n}" for kind, n in counts.items())
            ),
            counts,
        )
    )
