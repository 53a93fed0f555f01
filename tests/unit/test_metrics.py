"""The host's metrics (`difusor metrics write|show`) over a difusor in a temporary directory:
what each figure says, the exposition format, the access log read incrementally, fail2ban and
the certificate when readable and their absence when not. Host side: stdlib, PyYAML, pytest."""

from __future__ import annotations

import json
import math
import os
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from metrics_kit import CERTIFICATE, CERTIFICATE_EXPIRY, access_line, host, minutes_ago, publish

from difusor import certs, hostfacts
from difusor.cli import main
from difusor.metrics import accesslog, fail2ban
from difusor.metrics.collect import STATE_NAME
from difusor.metrics.exposition import Family, Sample, counter, family, gauge, render
from difusor.metrics.textfile import PROM_NAME


def samples(text: str) -> dict[str, float]:
    """{'name{labels}': value} of exposition text."""
    found = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.rpartition(" ")
            found[key] = float(value)
    return found


@pytest.fixture
def difusor_host(tmp_path):
    facts = host(tmp_path)
    publish(tmp_path, facts, minutes_ago(20))
    return facts, hostfacts.load(facts)


def write(facts_path: Path, *extra: str) -> dict[str, float]:
    assert main(["metrics", "write", "--facts", str(facts_path), *extra]) == 0
    facts = hostfacts.load(facts_path)
    return samples((facts.metrics_dir / PROM_NAME).read_text(encoding="utf-8"))


# --- the exposition format ---------------------------------------------------------------------


def test_help_and_label_values_are_escaped():
    text = render(
        [
            family(
                "difusor_x",
                "gauge",
                'a \\ back\nslash "help"',
                [({"cut": 'a"b\\c\nd'}, 1.5)],
            )
        ]
    )
    assert text == (
        '# HELP difusor_x a \\\\ back\\nslash "help"\n'
        "# TYPE difusor_x gauge\n"
        'difusor_x{cut="a\\"b\\\\c\\nd"} 1.5\n'
    )


def test_values_are_written_as_prometheus_reads_them():
    text = render(
        [
            gauge("difusor_a_seconds", "h", 3.0),
            gauge("difusor_b", "h", math.nan),
            gauge("difusor_c", "h", math.inf),
            counter("difusor_d_total", "h", 7),
            gauge("difusor_e", "h", 0.25),
        ]
    )
    assert "difusor_a_seconds 3\n" in text and "difusor_b NaN\n" in text
    assert "difusor_c +Inf\n" in text and "difusor_d_total 7\n" in text
    assert "difusor_e 0.25\n" in text


def test_names_follow_the_conventions():
    with pytest.raises(ValueError, match="prefixed difusor_"):
        gauge("cut_age_seconds", "h", 1)
    with pytest.raises(ValueError, match="counters, and only counters, end in _total"):
        Family("difusor_arrivals", "counter", "h", ())
    with pytest.raises(ValueError, match="counters, and only counters"):
        gauge("difusor_arrivals_total", "h", 1)
    with pytest.raises(ValueError, match="label name 'Rule'"):
        Family("difusor_x_total", "counter", "h", (Sample(1, {"Rule": "x"}),))
    with pytest.raises(ValueError, match="given twice"):
        render([gauge("difusor_x", "h", 1), gauge("difusor_x", "h", 2)])


# --- the certificate ----------------------------------------------------------------------------


def test_the_certificate_expiry_is_read_from_pem_and_der():
    assert certs.file_not_after(CERTIFICATE) == CERTIFICATE_EXPIRY  # GeneralizedTime (>= 2050)
    der = certs.first_der(CERTIFICATE.read_bytes())
    assert certs.not_after(der) == CERTIFICATE_EXPIRY
    with pytest.raises(certs.CertificateError):
        certs.not_after(b"not a certificate")
    with pytest.raises(certs.CertificateError):
        certs.not_after(der[:40])  # cut short


# --- difusor metrics write ----------------------------------------------------------------------


def test_write_gives_the_live_cut_its_age_and_the_pipeline_counters(difusor_host, tmp_path):
    facts_path, facts = difusor_host
    (facts.web_log_dir / "access.log").write_text("")
    values = write(facts_path)
    age = values["difusor_live_cut_age_seconds"]
    assert 20 * 60 <= age < 22 * 60
    assert values["difusor_live_cut_timestamp_seconds"] % 60 == 0
    (live,) = [key for key in values if key.startswith("difusor_live_cut_info{")]
    assert (
        live
        == f'difusor_live_cut_info{{cut="{facts.site_root.joinpath("current").resolve().name}"}}'
    )
    assert values["difusor_package_arrivals_total"] == 1
    assert values["difusor_package_publications_total"] == 1
    assert values['difusor_package_rejections_total{rule="sidecar-mismatch"}'] == 0
    assert 0 <= values["difusor_last_publication_arrival_to_live_seconds"] < 60
    assert values["difusor_releases_kept"] == 1
    assert values["difusor_update_period_seconds"] == 900
    assert values["difusor_update_grace_seconds"] == 300
    assert values["difusor_expecting_cuts"] == 1
    assert values["difusor_notice_active"] == 0
    assert 0 < values["difusor_prep_root_free_bytes"] <= values["difusor_prep_root_size_bytes"]
    expiry = values["difusor_tls_certificate_expiry_timestamp_seconds"]
    assert expiry == CERTIFICATE_EXPIRY.timestamp()


def test_a_rejection_is_counted_by_its_rule(difusor_host, tmp_path):
    facts_path, _ = difusor_host
    later = tmp_path / "later"
    cut = minutes_ago(5).astimezone(timezone(timedelta(hours=-6))).strftime("%Y-%m-%d %H:%M")
    assert main(["package", "generate", "--cut", cut, "--out", str(later), "--rows", "3"]) == 0
    (package,) = later.glob("*.zip")
    sidecar = package.with_name(package.name + ".sha256")
    sidecar.write_text(f"{'0' * 64}  {package.name}\n")
    assert main(["package", "publish", str(package), "--facts", str(facts_path), "--drill"]) == 1
    values = write(facts_path)
    assert values['difusor_package_rejections_total{rule="sidecar-mismatch"}'] == 1
    assert values['difusor_package_rejections_total{rule="corrupt"}'] == 0
    assert values["difusor_package_arrivals_total"] == 2
    assert values["difusor_package_publications_total"] == 1


def test_the_watchdog_level_and_notice_are_those_the_web_root_holds(difusor_host):
    facts_path, _ = difusor_host
    assert main(["web", "watchdog", "--facts", str(facts_path)]) == 0
    values = write(facts_path)
    assert values['difusor_watchdog_level{level="warning"}'] == 1  # 20 minutes: one missed
    assert values['difusor_watchdog_level{level="fresh"}'] == 0
    assert values["difusor_watchdog_checked_timestamp_seconds"] > 0
    assert main(["notice", "on", "--facts", str(facts_path), "--force"]) == 0
    assert write(facts_path)["difusor_notice_active"] == 1


def test_write_replaces_the_file_whole_and_leaves_no_temporary(difusor_host):
    facts_path, facts = difusor_host
    out = facts.metrics_dir
    (out / PROM_NAME).write_text("old\n")
    (facts.web_log_dir / "access.log").write_text("")
    write(facts_path)
    assert sorted(path.name for path in out.iterdir()) == sorted([PROM_NAME, STATE_NAME])
    assert (out / PROM_NAME).stat().st_mode & 0o777 == 0o644
    assert (out / PROM_NAME).read_text().startswith("# HELP difusor_")


def test_unreadable_sources_are_omitted_and_said_so(difusor_host, tmp_path):
    facts_path, _ = difusor_host
    values = write(
        facts_path,
        "--tls-certificate",
        str(tmp_path / "absent.pem"),
        "--fail2ban-db",
        str(tmp_path / "absent.sqlite3"),
    )  # and no access log at all
    assert values['difusor_source_readable{source="tls_certificate"}'] == 0
    assert values['difusor_source_readable{source="fail2ban"}'] == 0
    assert values['difusor_source_readable{source="access_log"}'] == 0
    assert values['difusor_source_readable{source="journal"}'] == 1
    assert not [key for key in values if key.startswith(("difusor_tls", "difusor_fail2ban"))]
    assert not [key for key in values if key.startswith("difusor_http_")]


def test_nothing_live_gives_no_cut_metrics(tmp_path):
    facts_path = host(tmp_path)
    values = write(facts_path)
    assert "difusor_live_cut_age_seconds" not in values
    assert "difusor_live_cut_timestamp_seconds" not in values
    assert values["difusor_releases_kept"] == 0


def test_write_needs_a_provisioned_host(tmp_path, capsys):
    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps({"site_root": str(tmp_path / "absent")}))
    assert main(["metrics", "write", "--facts", str(facts)]) == 1
    assert "does not exist: run this on a provisioned difusor" in capsys.readouterr().err


# --- the access log ---------------------------------------------------------------------------


def test_the_access_log_is_counted_from_where_the_last_run_stopped(difusor_host):
    facts_path, facts = difusor_host
    log = facts.web_log_dir / "access.log"
    now = datetime.now(timezone.utc)
    log.write_text(access_line(200, now) * 5)  # before the first run: not counted
    assert write(facts_path)["difusor_http_requests_total"] == 0
    with log.open("a") as stream:
        stream.write(access_line(200, now) + access_line(404, now) + access_line(502, now))
        stream.write("not a line\n")
        stream.write(access_line(200, now)[:30])  # being written: waits for the next run
    values = write(facts_path)
    assert values['difusor_http_responses_total{class="2xx"}'] == 1
    assert values['difusor_http_responses_total{class="4xx"}'] == 1
    assert values['difusor_http_responses_total{class="5xx"}'] == 1
    assert values["difusor_http_requests_total"] == 3
    assert values["difusor_access_log_malformed_lines_total"] == 1
    with log.open("a") as stream:
        stream.write(access_line(200, now)[30:])
    assert write(facts_path)['difusor_http_responses_total{class="2xx"}'] == 2


def test_a_rotation_finishes_the_old_file_then_reads_the_new(difusor_host):
    facts_path, facts = difusor_host
    log = facts.web_log_dir / "access.log"
    now = datetime.now(timezone.utc)
    log.write_text("")
    write(facts_path)
    with log.open("a") as stream:
        stream.write(access_line(200, now))
    write(facts_path)
    with log.open("a") as stream:  # written after the last run, before nginx reopens
        stream.write(access_line(503, now))
    os.rename(log, facts.web_log_dir / "access.log-20240603-1717394400")
    log.write_text(access_line(301, now) * 2)
    values = write(facts_path)
    assert values['difusor_http_responses_total{class="2xx"}'] == 1
    assert values['difusor_http_responses_total{class="5xx"}'] == 1
    assert values['difusor_http_responses_total{class="3xx"}'] == 2


def test_one_run_reads_at_most_the_cap_and_counts_what_it_skipped(tmp_path):
    log = tmp_path / "access.log"
    now = datetime.now(timezone.utc)
    log.write_text("")
    _, state = accesslog.advance(log, None)
    one = access_line(200, now)
    log.write_text(one * 100)
    counts, state = accesslog.advance(log, state, cap=len(one) * 10 + 5)
    assert counts.requests == 10
    assert counts.skipped_bytes == len(one) * 90
    assert state["offset"] == len(one) * 100


def test_recent_counts_the_last_minutes_from_the_tail(tmp_path):
    log = tmp_path / "access.log"
    now = datetime.now(timezone.utc)
    old = access_line(200, now - timedelta(minutes=30))
    log.write_text(old * 3 + access_line(200, now) * 8 + access_line(500, now) * 2)
    recent = accesslog.recent(log, now.timestamp() + 1)
    assert (recent.requests, recent.errors, recent.covered_s) == (10, 2, 300)
    assert recent.per_minute == 2.0 and recent.error_ratio == 0.2


def test_show_prints_the_snapshot_and_writes_nothing(difusor_host, capsys):
    facts_path, facts = difusor_host
    now = datetime.now(timezone.utc)
    (facts.web_log_dir / "access.log").write_text(access_line(200, now) * 4)
    capsys.readouterr()
    assert main(["metrics", "show", "--facts", str(facts_path)]) == 0
    snapshot = json.loads(capsys.readouterr().out)
    assert snapshot["live"]["cut"] == facts.site_root.joinpath("current").resolve().name
    assert snapshot["live"]["level"] == "warning"
    assert snapshot["recent"]["requests"] == 4
    assert [event["event"] for event in snapshot["journal"]["tail"]] == [
        "arrival",
        "verify_ok",
        "published",
    ]
    assert list(facts.metrics_dir.iterdir()) == []
    assert main(["metrics", "show", "--facts", str(facts_path), "--format", "prom"]) == 0
    assert "difusor_live_cut_age_seconds " in capsys.readouterr().out


# --- fail2ban -----------------------------------------------------------------------------------


def fail2ban_db(path: Path, now: float) -> Path:
    """The tables of fail2ban 0.11's database that the metrics read."""
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE jails(name TEXT, enabled INTEGER)")
        db.execute(
            "CREATE TABLE bips(ip TEXT, jail TEXT, timeofban INTEGER, bantime INTEGER, "
            "bancount INTEGER, data JSON)"
        )
        db.executemany("INSERT INTO jails VALUES (?, ?)", [("sshd", 1), ("prep-web-flood", 1)])
        db.executemany(
            "INSERT INTO bips VALUES (?, ?, ?, ?, 1, '{}')",
            [
                ("203.0.113.1", "prep-web-flood", now - 60, 600),  # in force
                ("203.0.113.2", "prep-web-flood", now - 60, -1),  # for ever
                ("203.0.113.3", "prep-web-flood", now - 6000, 600),  # expired
            ],
        )
    return path


def test_fail2ban_bans_in_force_per_jail(difusor_host, tmp_path):
    facts_path, _ = difusor_host
    now = datetime.now(timezone.utc).timestamp()
    db = fail2ban_db(tmp_path / "fail2ban.sqlite3", now)
    assert fail2ban.banned(db, now) == {"sshd": 0, "prep-web-flood": 2}
    assert fail2ban.banned(tmp_path / "absent.sqlite3", now) is None
    values = write(facts_path, "--fail2ban-db", str(db))
    assert values['difusor_fail2ban_banned_addresses{jail="prep-web-flood"}'] == 2
    assert values['difusor_fail2ban_banned_addresses{jail="sshd"}'] == 0
    assert values['difusor_source_readable{source="fail2ban"}'] == 1
