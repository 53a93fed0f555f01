"""Watching election night (issue 19; I.H, V.ii.2, V.ii.4): every target's node exporter serves
the difusor's metrics to the trusted side only; a real Prometheus on the trusted client scrapes
them with the project's alert rules; a cut left to age past one update period fires the
missed-period alert within two scrape intervals and a fresh cut resolves it. `difusor status`
shows the live cut of every target; `difusor monitor`, run from the controller against the
targets' portals, flags the one left stale on purpose and no other, and its status page says so
in a real browser. Runs last (after test_web, whose cuts are newer than any before), so the
forced old cuts here trouble no test."""

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

from conftest import (
    KEYS,
    PROJECT,
    TARGETS,
    address_of,
    facts_of,
    get,
    publish_on_target,
    tcp_open,
    wait_for,
)

TZ = ZoneInfo("America/Mexico_City")
PORT = 9100  # role monitoring's default
SCRAPE_S = 5  # converge.yml's scrape and evaluation interval
PROMETHEUS = "http://127.0.0.1:9090"
DIFUSOR = str(Path(sys.executable).with_name("difusor"))
ENV = {**os.environ, "ANSIBLE_CONFIG": str(PROJECT / "ansible.cfg")}
SSH_OPTIONS = "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null"
STALE = next((name for name in TARGETS if "debian" in name), TARGETS[-1])  # left behind


def prometheus_api(trusted, path: str) -> dict:
    answer = json.loads(trusted.check_output(f"curl -sf --max-time 5 '{PROMETHEUS}{path}'"))
    assert answer["status"] == "success", answer
    return answer["data"]


def prometheus_time(text: str) -> datetime:
    """A Prometheus API time (RFC 3339, UTC, up to nanoseconds) as a datetime."""
    whole, _, fraction = text.rstrip("Z").partition(".")
    moment = datetime.fromisoformat(whole).replace(tzinfo=timezone.utc)
    return moment + timedelta(seconds=float(f"0.{fraction or 0}"))


def firing_since(trusted, alert: str, instance: str) -> datetime | None:
    """When Prometheus found the alert's condition true (its activeAt), if it is firing now."""
    alerts = prometheus_api(trusted, "/api/v1/alerts")["alerts"]
    return next(
        (
            prometheus_time(item["activeAt"])
            for item in alerts
            if item["labels"].get("alertname") == alert
            and item["labels"].get("instance") == instance
            and item["state"] == "firing"
        ),
        None,
    )


def test_metrics_reach_the_trusted_side_only(target, target_address, trusted, untrusted):
    metrics = trusted.check_output(f"curl -sf --max-time 5 http://{target_address}:{PORT}/metrics")
    assert "\ndifusor_live_cut_timestamp_seconds" in metrics
    assert not tcp_open(untrusted, target_address, PORT)


def test_prometheus_scrapes_every_target(target, target_address, trusted):
    instance = f"{target_address}:{PORT}"

    def up() -> bool:
        query = quote(f'up{{instance="{instance}"}}')
        result = prometheus_api(trusted, f"/api/v1/query?query={query}")["result"]
        return bool(result) and result[0]["value"][1] == "1"

    assert wait_for(up, 60), prometheus_api(trusted, "/api/v1/targets")


def publish_now(target, cut: datetime, out: str) -> None:
    """A synthetic package for `cut` published at once (forced, drill), then the metrics."""
    publish_on_target(target, cut, out)
    target.check_output("systemctl start difusor-metrics.service")


def test_a_late_cut_fires_the_alert_and_a_fresh_one_resolves_it(target, target_address, trusted):
    instance = f"{target_address}:{PORT}"
    now = datetime.now(TZ).replace(second=0, microsecond=0)
    publish_now(target, now - timedelta(minutes=25), "/var/tmp/late-cut")  # one period missed
    written = datetime.now(timezone.utc)
    since = wait_for(lambda: firing_since(trusted, "DifusorPeriodMissed", instance), 60, 0.5)
    assert since, prometheus_api(trusted, "/api/v1/alerts")
    # Prometheus's own time (activeAt), not this test's polling: one scrape brings the metric,
    # the next evaluation finds the condition (the host clock is the containers' clock).
    delay = (since - written).total_seconds()
    print(f"{target.backend.host}: DifusorPeriodMissed active {delay:.1f} s after the metrics")
    assert delay <= 2 * SCRAPE_S + 1
    publish_now(target, now, "/var/tmp/fresh-cut")
    assert wait_for(lambda: not firing_since(trusted, "DifusorPeriodMissed", instance), 60, 0.5)


def live_cut(host) -> str:
    return host.check_output(f"readlink {facts_of(host).site_root}/current").rsplit("/", 1)[-1]


def status_inventory(path: Path) -> Path:
    """The targets as an operator's inventory reaches them over SSH: by address, as the
    operator (root cannot log in), with sudo (the molecule inventory uses docker exec)."""
    hosts = {
        name: {
            "ansible_host": address_of(get(name)),
            "ansible_user": facts_of(get(name)).operator_user,
            "ansible_ssh_private_key_file": str(KEYS / "operator"),
            "ansible_ssh_common_args": SSH_OPTIONS,
            "ansible_become": True,
        }
        for name in TARGETS
    }
    path.write_text(json.dumps({"difusores": {"hosts": hosts}}))
    return path


def test_status_once_shows_the_live_cut_each_target_serves(tmp_path):
    inventory = str(status_inventory(tmp_path / "operador.json"))
    shown = subprocess.run(
        [DIFUSOR, "status", "-i", inventory, "--once", "--format", "json"],
        capture_output=True,
        text=True,
        env=ENV,
        cwd=PROJECT,
        check=False,
    )
    assert shown.returncode == 0, shown.stderr[-2000:]
    hosts = {host["name"]: host for host in json.loads(shown.stdout)["hosts"]}
    assert sorted(hosts) == sorted(TARGETS)
    for name in TARGETS:
        assert hosts[name]["error"] is None, hosts[name]
        assert hosts[name]["cut"] == live_cut(get(name)), hosts[name]
    text = subprocess.run(
        [DIFUSOR, "status", "-i", inventory, "--once"], capture_output=True, text=True, env=ENV
    )
    print(text.stdout)  # the console, as an operator sees it


def test_monitor_flags_the_stale_portal_and_no_other(tmp_path):
    now = datetime.now(TZ).replace(second=0, microsecond=0)
    for name in TARGETS:
        cut = now - timedelta(minutes=60) if name == STALE else now
        publish_now(get(name), cut, f"/var/tmp/monitor-{cut:%H%M}")
    portals = tmp_path / "portales.yml"
    portals.write_text(
        "timeout_s: 5\nportals:\n"
        + "".join(
            f"  - {{name: {name}, url: 'https://{address_of(get(name))}/'}}\n" for name in TARGETS
        )
    )
    out = tmp_path / "monitor"
    try:
        result = subprocess.run(
            [DIFUSOR, "monitor", str(portals), "--once", "--out", str(out)],
            capture_output=True,
            text=True,
            env=ENV,
            check=False,
            timeout=120,
        )
    finally:
        publish_now(get(STALE), now, "/var/tmp/monitor-back")
    print(result.stdout[-1500:], result.stderr[-1500:])
    status = {
        item["name"]: item for item in json.loads((out / "status.json").read_text())["portals"]
    }
    assert status[STALE]["state"] == "incident" and status[STALE]["incident"], status[STALE]
    for name in TARGETS:
        if name != STALE:
            assert status[name]["state"] == "ok" and not status[name]["incident"], status[name]
            assert status[name]["cut"] == f"{now:%Y%m%d_%H%M}"
    # The status page in a real browser (Debian's chromium, headless): the text a person reads.
    dom = subprocess.run(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--dump-dom",
            (out / "index.html").as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert STALE in dom and "INCIDENTE" in dom, dom[-2000:]
