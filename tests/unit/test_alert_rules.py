"""The shipped alert rules (monitoring/prometheus/difusor-alerts.yml), run by Prometheus' own
promtool: they parse, every alert fires in one case and stays silent in another, the cases
catch a changed threshold, and every metric they read is one the hosts write.

promtool comes from the Debian package prometheus (`difusor tools install`, in `make setup`);
without it these tests fail, they are never skipped."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from difusor.tools import PROGRAMS, missing_message

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "monitoring" / "prometheus" / "difusor-alerts.yml"
CASES = Path(__file__).parent / "fixtures" / "prometheus" / "difusor-alerts.test.yml"


@pytest.fixture(scope="module")
def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        pytest.fail(missing_message(["promtool"]) + " (or run make setup)")
    return found


def alerts() -> dict[str, dict]:
    groups = yaml.safe_load(RULES.read_text(encoding="utf-8"))["groups"]
    return {rule["alert"]: rule for group in groups for rule in group["rules"]}


def test_promtool_is_in_the_program_table():
    assert PROGRAMS["promtool"].package == "prometheus"


def test_the_rules_are_valid(promtool):
    result = subprocess.run(
        [promtool, "check", "rules", str(RULES)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(alerts())} rules found" in result.stdout


def test_the_promtool_cases_pass(promtool):
    result = subprocess.run(
        [promtool, "test", "rules", str(CASES)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_every_alert_has_a_firing_and_a_silent_case():
    firing: set[str] = set()
    silent: set[str] = set()
    for test in yaml.safe_load(CASES.read_text(encoding="utf-8"))["tests"]:
        for case in test["alert_rule_test"]:
            (firing if case["exp_alerts"] else silent).add(case["alertname"])
    assert set(alerts()) - firing == set(), "alerts without a firing case"
    assert set(alerts()) - silent == set(), "alerts without a silent case"
    assert firing | silent <= set(alerts()), "cases of alerts that do not exist"


def test_every_alert_names_severity_requirement_and_what_to_do():
    for name, rule in alerts().items():
        assert rule["labels"]["severity"] in ("warning", "critical"), name
        assert rule["labels"]["requirement"], name
        assert rule["annotations"]["summary"] and rule["annotations"]["action"], name


def test_a_changed_threshold_fails_the_cases(promtool, tmp_path):
    """The cases have teeth: the 45-minute incident at four periods instead of three fails."""
    text = RULES.read_text(encoding="utf-8")
    assert text.count(">= 3 * difusor_update_period_seconds") == 1
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / RULES.name).write_text(
        text.replace(">= 3 * difusor_update_period_seconds", ">= 4 * difusor_update_period_seconds")
    )
    cases = yaml.safe_load(CASES.read_text(encoding="utf-8"))
    cases["rule_files"] = [f"rules/{RULES.name}"]
    (tmp_path / CASES.name).write_text(yaml.safe_dump(cases, allow_unicode=True))
    result = subprocess.run(
        [promtool, "test", "rules", CASES.name],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode != 0
    assert "DifusorIncident45Minutes, time: 51m" in result.stdout + result.stderr


def test_the_rules_read_only_metrics_the_hosts_write(tmp_path):
    from metrics_kit import host, minutes_ago, publish

    from difusor import hostfacts
    from difusor.metrics.collect import Sources, collect
    from difusor.metrics.families import families

    facts_path = host(tmp_path)
    publish(tmp_path, facts_path, minutes_ago(20))
    facts = hostfacts.load(facts_path)
    (facts.web_log_dir / "access.log").write_text("")
    (facts.web_root / "freshness.json").write_text('{"level": "fresh", "checked": null}')
    snapshot = collect(facts, minutes_ago(0), Sources.of(facts), state_dir=facts.metrics_dir)
    snapshot["bans"] = {"sshd": 0}  # fail2ban's database is not readable here
    written = {family.name for family in families(snapshot)}
    used = {
        name
        for rule in alerts().values()
        for name in re.findall(r"\bdifusor_[a-z0-9_]+", rule["expr"])
    }
    assert used and used <= written, sorted(used - written)


def test_the_written_metrics_pass_promtool_check_metrics(promtool, tmp_path):
    """Prometheus' own linter on a host's difusor.prom: format and naming conventions."""
    from metrics_kit import host, minutes_ago, publish

    from difusor.cli import main
    from difusor.metrics.textfile import PROM_NAME

    facts_path = host(tmp_path)
    publish(tmp_path, facts_path, minutes_ago(20))
    (tmp_path / "log" / "access.log").write_text("")
    assert main(["metrics", "write", "--facts", str(facts_path)]) == 0
    text = (tmp_path / "textfile" / PROM_NAME).read_text(encoding="utf-8")
    result = subprocess.run(
        [promtool, "check", "metrics"], input=text, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr
