"""The host's facts: written once by role difusor, read by the publisher, the watchdog, notice
mode, the drill and the audit; the Python defaults and the call's dates agree with the roles."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import datetime
from pathlib import Path

import pytest
import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template
from host_kit import facts_file

from difusor import call, hostfacts
from difusor.cli import main
from difusor.compliance.catalog import load as load_catalog
from difusor.drill.inventory import DrillHost
from difusor.drill.remote import Remote
from difusor.errors import DifusorError
from difusor.hostfacts import HostFacts

ROOT = Path(__file__).resolve().parents[2]
ROLES = ROOT / "roles"


def _trusted(value):
    if isinstance(value, str):
        return trust_as_template(value)
    if isinstance(value, dict):
        return {key: _trusted(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_trusted(item) for item in value]
    return value


def role_values(*names: str, **overrides) -> dict:
    """Role variables rendered by Ansible's own templating: every role's defaults, role
    difusor's vars, then `overrides` (as an inventory would set them)."""
    variables: dict = {"inventory_hostname": "difusor1", "groups": {"all": ["difusor1"]}}
    for path in [*sorted(ROLES.glob("*/defaults/main.yml")), ROLES / "difusor/vars/main.yml"]:
        variables.update(_trusted(yaml.safe_load(path.read_text(encoding="utf-8"))))
    variables.update(_trusted(overrides))
    templar = Templar(loader=DataLoader(), variables=variables)
    return {name: templar.template(variables[name]) for name in names}


def written_facts(**overrides) -> HostFacts:
    """What role difusor writes to the facts file, read back by the library."""
    rendered = role_values("difusor_host_facts", **overrides)["difusor_host_facts"]
    return HostFacts.from_json(json.dumps(rendered), "facts.json")


def test_the_role_defaults_write_the_library_defaults():
    assert written_facts() == HostFacts(source="facts.json")
    facts_file = role_values("difusor_facts_file")["difusor_facts_file"]
    assert Path(facts_file) == hostfacts.FACTS_PATH


def test_the_cluster_part_comes_from_the_inventory_groups():
    groups = {
        "prep_receivers": ["recv1"],
        "prep_web_nodes": ["web1", "web2"],
        "prep_balancers": ["lb1"],
    }
    parts = {
        name: written_facts(inventory_hostname=name, groups=groups).cluster_part
        for name in ("recv1", "web2", "lb1", "single")
    }
    assert parts == {"recv1": "receiver", "web2": "web_node", "lb1": "balancer", "single": "none"}
    assert HostFacts().cluster_part == "none"
    with pytest.raises(DifusorError, match="cluster_part must be one of"):
        HostFacts.from_mapping({"cluster_part": "router"}, "facts.json")


def test_a_changed_prep_root_and_operator_reach_every_path_of_the_facts():
    facts = written_facts(difusor_prep_root="/data/prep", difusor_operator_user="operador")
    assert facts.incoming_dir == Path("/data/prep/incoming")
    assert facts.site_root == Path("/data/prep/site")
    assert facts.web_root == Path("/data/prep/web")
    assert facts.journal == Path("/data/prep/site/journal.jsonl")
    assert facts.operator_user == "operador"


def test_the_call_dates_are_the_roles_and_the_catalogs():
    roles = role_values(
        "difusor_publish_from",
        "difusor_keep_until",
        "prep_web_watchdog_until",
        "prep_web_watchdog_period_min",
        "web_logs_retain_from",
        "web_logs_retain_until",
    )
    assert roles["difusor_publish_from"] == call.local_text(call.PUBLISH_FROM)
    assert roles["difusor_keep_until"] == call.local_text(call.KEEP_UNTIL)
    assert roles["prep_web_watchdog_until"] == call.local_text(call.PREP_CLOSES)
    assert int(roles["prep_web_watchdog_period_min"]) == call.UPDATE_PERIOD_MIN
    assert roles["web_logs_retain_from"] == call.STATS_FROM.isoformat()
    assert roles["web_logs_retain_until"] == call.MEMORIA_DUE.isoformat()
    catalog = load_catalog()
    window = catalog.params("VI.a")
    assert datetime.fromisoformat(window["window_start"]) == call.PUBLISH_FROM
    assert datetime.fromisoformat(window["window_end"]) == call.KEEP_UNTIL
    assert catalog.params("VI.a")["timezone"] == call.TIMEZONE
    assert catalog.params("I.H")["update_period_min"] == call.UPDATE_PERIOD_MIN


def test_the_catalog_keeps_thresholds_not_host_paths_or_accounts():
    catalog = load_catalog()
    text = (ROOT / "compliance/oplever-2024.yml").read_text(encoding="utf-8")
    defaults = HostFacts()
    for value in (defaults.prep_root, defaults.site_root, defaults.incoming_dir):
        assert f": {value}" not in text
    for requirement in ("II.B.c", "II.B.e"):
        assert "operator" not in (catalog.params(requirement) or {})


def test_a_missing_file_gives_the_defaults_and_a_broken_one_a_clear_error(tmp_path):
    assert hostfacts.load(tmp_path / "absent.json") == HostFacts()
    path = tmp_path / "facts.json"
    path.write_text('{"site_root": "srv/site"}')
    with pytest.raises(DifusorError, match="site_root must be an absolute path"):
        hostfacts.load(path)
    path.write_text('{"operator_user": 7}')
    with pytest.raises(DifusorError, match="operator_user must be a non-empty string"):
        hostfacts.load(path)
    path.write_text("[1]")
    with pytest.raises(DifusorError, match="expected a JSON object"):
        hostfacts.load(path)
    path.write_text('{"prep_root": "/p", "from_a_later_version": 1}')
    assert hostfacts.load(path).prep_root == Path("/p")  # unknown keys are ignored


def test_the_read_command_tells_no_file_from_an_unreadable_one(tmp_path):
    command = hostfacts.READ_COMMAND.replace(str(hostfacts.FACTS_PATH), str(tmp_path / "f.json"))
    absent = subprocess.run(["sh", "-c", command], capture_output=True, text=True, check=False)
    assert hostfacts.from_command_output(absent.returncode, absent.stdout, "h") == HostFacts()
    (tmp_path / "f.json").mkdir()  # exists, cannot be read as a file
    broken = subprocess.run(["sh", "-c", command], capture_output=True, text=True, check=False)
    with pytest.raises(DifusorError, match=r"cannot read h:/etc/difusor/facts\.json"):
        hostfacts.from_command_output(broken.returncode, broken.stdout, "h")


def test_the_publisher_takes_its_paths_and_window_from_the_facts(tmp_path, capsys):
    path = facts_file(tmp_path, publish_from="2030-01-01 00:00", keep_until="2030-01-09 00:00")
    incoming, site = tmp_path / "prep/in", tmp_path / "prep/sitio"
    site.mkdir(parents=True)
    (tmp_path / "package.yml").write_text("accept_synthetic: true\n")
    gen = ["package", "generate", "--cut", "2024-06-02 20:15", "--out", str(incoming)]
    assert main([*gen, "--rows", "3"]) == 0
    assert main(["package", "ingest", "--facts", str(path), "--settle", "0"]) == 0
    out = capsys.readouterr().out
    # Before the facts' window opens the cut is staged, not live (the default window has passed).
    assert "staged 20240602_2015_PREP" in out, out
    assert not (site / "current").exists()
    assert (site / "releases/20240602_2015").is_dir()
    assert (site / "journal.jsonl").stat().st_size > 0


def test_the_watchdog_and_notice_mode_use_the_facts_paths(tmp_path, capsys):
    path = facts_file(tmp_path)
    web = tmp_path / "prep/web"
    (web / "notice").mkdir(parents=True)
    (tmp_path / "prep/sitio").mkdir(parents=True)
    assert main(["web", "watchdog", "--check", "--facts", str(path)]) == 0
    assert "freshness" in capsys.readouterr().out
    assert main(["notice", "on", "--facts", str(path)]) == 0
    assert (web / "notice/active").exists()
    assert '"notice_on"' in (tmp_path / "prep/sitio/journal.jsonl").read_text()
    assert main(["notice", "off", "--facts", str(path)]) == 0
    assert not (web / "notice/active").exists()
    assert main(["notice", "status", "--facts", str(path)]) == 0
    assert capsys.readouterr().out.endswith("notice mode OFF: the live results are served\n")


def test_the_drill_reads_the_facts_of_the_host_once(tmp_path):
    facts = {"site_root": "/data/prep/site", "web_root": "/data/prep/web", "lib_dir": "/opt/l"}
    commands: list[str] = []

    def runner(argv, **_):
        command = argv[-1]
        commands.append(command)
        out = json.dumps(facts) if command == hostfacts.READ_COMMAND else "releases/20240602_2015"
        return subprocess.CompletedProcess(argv, 0, out, "")

    host = DrillHost("d1", "192.0.2.1", "prep", 22, key=None, ssh_args="", password="")
    remote = Remote(host, runner=runner)
    assert remote.live_cut() == "20240602_2015"
    remote.live_cut()
    assert commands.count(hostfacts.READ_COMMAND) == 1
    assert "readlink /data/prep/site/current || true" in commands
    assert remote.lib == "PYTHONPATH=/opt/l python3 -m difusor.cli"


def test_the_unit_files_leave_the_paths_to_the_facts():
    for unit in (
        "prep_publisher/templates/difusor-ingest.service.j2",
        "prep_web/templates/difusor-watchdog.service.j2",
    ):
        exec_start = next(
            line
            for line in (ROLES / unit).read_text().splitlines()
            if line.startswith("ExecStart=")
        )
        assert "--root" not in exec_start and "--settings" not in exec_start
        assert os.fspath(HostFacts().prep_root) not in exec_start


def test_the_package_preset_comes_from_the_facts_and_the_file_may_refine_the_format(tmp_path):
    facts = HostFacts.from_mapping(
        {"package_preset": "computos", "package_settings": str(tmp_path / "package.yml")}
    )
    assert hostfacts.package_settings(facts).preset == "computos"
    assert hostfacts.package_settings(facts).csv_delimiter == "|"
    (tmp_path / "package.yml").write_text("csv_rows_header_line: 9\n")
    settings = hostfacts.package_settings(facts)
    assert (settings.preset, settings.csv_rows_header_line) == ("computos", 9)
