"""The audit on a cluster: which compliance test applies to which part (the `parts` markers), the
N/A sentences, the cluster's own verdicts, and `difusor cluster status` (no Docker)."""

import importlib.util
import json
import warnings
from pathlib import Path

import pytest
import yaml

from difusor.cluster.cli import cluster_status
from difusor.cluster.settings import ClusterSettings, Peer
from difusor.cluster.sync import CallFailed, Distributor
from difusor.compliance import checks, cluster
from difusor.compliance.catalog import load
from difusor.compliance.messages import CHECK_TEXTS, check_text
from difusor.package.releases import point_current

ROOT = Path(__file__).resolve().parents[2]
SUITE = ROOT / "tests" / "compliance"
CATALOG = load()


def suite_parts() -> dict[str, tuple[str, ...] | None]:
    """test name -> the parts its closest `parts` marker names (None: every part)."""
    found = {}
    for path in sorted(SUITE.glob("test_*.py")):
        spec = importlib.util.spec_from_file_location(f"suite_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        with warnings.catch_warnings():  # the suite's markers are the plugin's, not registered here
            warnings.simplefilter("ignore", pytest.PytestUnknownMarkWarning)
            spec.loader.exec_module(module)
        module_marks = getattr(module, "pytestmark", [])
        module_marks = module_marks if isinstance(module_marks, list) else [module_marks]
        for name, function in vars(module).items():
            if not name.startswith("test_") or not callable(function):
                continue
            marks = [*getattr(function, "pytestmark", []), *module_marks]
            parts = [m.args for m in marks if m.name == "parts"]
            found[name] = tuple(parts[0]) if parts else None
    return found


def test_each_check_applies_to_the_parts_that_do_its_job():
    parts = suite_parts()
    site = ("test_https_answers", "test_served_files_equal_release", "test_docker_running")
    site += (
        "test_access_log_records_visits",
        "test_page_shows_live_cut_time",
        "test_notice_events",
    )
    packages = ("test_package_receiver", "test_no_arrival_waits_unpublished")
    packages += ("test_failures_are_journaled", "test_publisher_services_have_not_failed")
    everywhere = ("test_ram", "test_ubuntu_lts", "test_sshd_effective_configuration")
    everywhere += ("test_host_time_zone", "test_firewall_effective_rules")
    assert all(parts[name] == cluster.SITE for name in site)
    assert all(parts[name] == cluster.PACKAGES for name in packages)
    assert all(parts[name] is None for name in everywhere)
    assert parts["test_live_cut_published"] == cluster.CUT
    assert parts["test_balancer_sends_readers_to_nodes_serving_the_cut"] == cluster.BALANCING
    assert parts["test_every_web_node_serves_the_receivers_cut"] == cluster.DISTRIBUTION
    assert parts["test_portal_certificate"] == cluster.PORTAL
    # a single server keeps every check but the cluster's own
    single = [name for name, p in parts.items() if not cluster.applies(cluster.NONE, p)]
    assert sorted(single) == [
        "test_balancer_sends_readers_to_nodes_serving_the_cut",
        "test_every_web_node_serves_the_receivers_cut",
    ]
    assert {p for p in parts.values() if p} <= set(cluster.NA_SENTENCES)


def test_a_check_out_of_its_part_is_na_naming_the_part_in_both_languages():
    check = cluster.not_applicable(cluster.RECEIVER, cluster.SITE)
    assert check.status == checks.NOT_APPLICABLE
    assert check.summary == "a cluster's receiving node serves no site: the web nodes do"
    spanish = check_text(check.message["key"], check.message["values"], "es")
    assert spanish == "el nodo receptor de un clúster no sirve el sitio: lo sirven los nodos web"
    assert check.measured == {"cluster_part": "receiver", "applies_to": ["none", "web_node"]}
    for part in cluster.ALL:
        assert f"part_{part}" in CHECK_TEXTS
        for parts in cluster.NA_SENTENCES:
            assert "{" not in cluster.not_applicable(part, parts).summary
    assert cluster.not_applicable("none", ("receiver", "balancer")).summary == (
        "a single server: the check applies to a cluster's receiving node; a cluster's "
        "balancer only"
    )
    assert cluster.applies("balancer", None)


def test_the_balancer_passes_when_every_node_is_up_in_service_and_checked_on_the_cut():
    status = {"cut": "20240602_2015", "servers": {"web1": {"up": True, "maintenance": False}}}
    config = (
        "12:  http-check send meth GET uri-lf "
        "/healthz?min=%[str(live),map(/etc/haproxy/difusor-cut.map,none)]"
    )
    check = cluster.check_balancer("active", json.dumps(status), config)
    assert check.status == checks.PASS, check.summary
    status["servers"]["web2"] = {"up": False, "maintenance": True}
    check = cluster.check_balancer("active", json.dumps(status), config)
    assert check.status == checks.FAIL
    assert "1/2 servers up; down: web2; in maintenance: web2" in check.summary
    status["servers"].pop("web2")
    assert cluster.check_balancer("inactive", json.dumps(status), config).status == checks.FAIL
    assert cluster.check_balancer("active", json.dumps(status), "").status == checks.FAIL
    no_cut = cluster.check_balancer("active", json.dumps({**status, "cut": None}), config)
    assert no_cut.status == checks.FAIL
    refused = cluster.check_balancer(
        "active", '{"error": "HAProxy\'s runtime API: denied"}', config
    )
    assert refused.status == checks.FAIL
    assert "runtime API: denied" in refused.summary


def test_the_receiver_passes_when_every_node_serves_its_live_cut():
    def verdict(live, nodes):
        return cluster.check_nodes_serve_live_cut(json.dumps({"live": live, "nodes": nodes}))

    cut = "20240602_2015"
    assert verdict(cut, {"web1": {"live": cut}, "web2": {"live": cut}}).status == checks.PASS
    behind = verdict(cut, {"web1": {"live": cut}, "web2": {"live": "20240602_2000"}})
    assert behind.status == checks.FAIL
    assert "1/2 web nodes serve it; behind: web2 20240602_2000; no answer: -" in behind.summary
    gone = verdict(cut, {"web1": {"live": cut}, "web2": {"error": "no answer within 15 s"}})
    assert gone.status == checks.FAIL
    assert "no answer: web2 (no answer within 15 s)" in gone.summary
    assert verdict(None, {"web1": {"live": None}}).status == checks.MANUAL
    assert verdict(cut, {}).status == checks.FAIL
    assert cluster.check_nodes_serve_live_cut("sudo: unknown user").status == checks.FAIL


class Answers:
    def __init__(self, answers):
        self.answers, self.asked = answers, []

    def call(self, peer, user, command, timeout, stdin=None):
        self.asked.append((peer.name, user, command))
        answer = self.answers[peer.name]
        if isinstance(answer, Exception):
            raise answer
        return answer


def test_cluster_status_asks_every_node_and_reports_the_receivers_cut(tmp_path):
    settings = ClusterSettings(nodes=(Peer("web1", "10.0.0.11"), Peer("web2", "10.0.0.12")))
    transport = Answers(
        {"web1": {"live": "20240602_2015", "releases": {}}, "web2": CallFailed("timed out")}
    )
    assert cluster_status(Distributor(tmp_path, settings, transport)) == {
        "live": None,
        "nodes": {"web1": {"live": "20240602_2015"}, "web2": {"error": "timed out"}},
    }
    assert sorted(transport.asked) == [
        ("web1", settings.node_user, "status"),
        ("web2", settings.node_user, "status"),
    ]
    (tmp_path / "releases" / "20240602_2015").mkdir(parents=True)
    point_current(tmp_path, "20240602_2015")
    assert cluster_status(Distributor(tmp_path, settings, transport))["live"] == "20240602_2015"


def test_notice_mode_runs_where_the_site_is_served():
    (play,) = yaml.safe_load((ROOT / "playbooks" / "notice.yml").read_text(encoding="utf-8"))
    assert play["hosts"] == "difusores:!prep_receivers:!prep_balancers"


def test_the_firewall_is_judged_with_the_ports_of_the_hosts_part():
    params = CATALOG.params("II.C.c")
    assert cluster.firewall_params("none", params) == params
    web = cluster.firewall_params("web_node", params)
    assert (web["public_tcp_ports"], web["trusted_tcp_ports"]) == ([], [22, 80])
    status = checks.parse_ufw_status(
        "Status: active\nDefault: deny (incoming), allow (outgoing), disabled (routed)\n\n"
        "To                         Action      From\n--                         ------      ----\n"
        "22/tcp                     ALLOW IN    10.0.0.2\n"
        "80/tcp                     ALLOW IN    10.0.0.5\n"
    )
    assert checks.check_firewall(status, web).status == checks.PASS
    assert checks.check_firewall(status, params).status == checks.FAIL  # as a single server
    receiver = cluster.firewall_params("receiver", params)
    assert (receiver["public_tcp_ports"], receiver["trusted_tcp_ports"]) == ([], [22, 873])
    expect = cluster.probe_expectation
    assert [expect("balancer", port, False, params) for port in (22, 873, 80, 443)] == [
        False,
        False,
        True,
        True,
    ]
    assert [expect("receiver", port, True, params) for port in (22, 873, 80, 443)] == [
        True,
        True,
        False,
        False,
    ]
    assert expect("none", 873, True, params) is True
    only = expect("web_node", 80, True, params)
    assert only.status == checks.NOT_APPLICABLE
    assert (
        only.summary
        == "a cluster's web node: port 80 answers the balancers only; probe it from one"
    )
    assert cluster.not_applicable("web_node", cluster.PORTAL).summary == (
        "a cluster's web node is not the portal: the balancer is"
    )
