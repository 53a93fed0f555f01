"""`difusor audit` on a cluster (issue 18): every part is audited, each check where it applies
(N/A elsewhere, naming the part), and the cluster's own checks pass: the balancer's nodes up and
checked on the cluster's cut, every web node serving the receiving node's cut. Runs after
test_cluster, so cuts are live."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import INVENTORY, RUNNER

PROJECT = Path(os.environ["MOLECULE_PROJECT_DIRECTORY"])
PARTS = {"lb": "balancer", "recv": "receiver", "web1": "web_node", "web2": "web_node"}


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("audit")
    command = [str(Path(sys.executable).with_name("difusor")), "audit", "-i", INVENTORY]
    command += ["--trusted-vantage", "client", "--format", "json", "--no-progress", "-o", str(out)]
    env = {**os.environ, "ANSIBLE_CONFIG": str(PROJECT / "ansible.cfg")}
    result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=PROJECT)
    print(result.stderr[-1500:])
    return json.loads((out / "informe-auditoria.json").read_text())


def test_every_part_of_the_cluster_is_audited(report):
    hosts = {host["name"]: host for host in report["hosts"]}
    assert sorted(hosts) == sorted(RUNNER.get_hosts("difusores"))
    for name, host in hosts.items():
        assert host["error"] in (None, ""), host["error"]
        assert f"cluster_part={PARTS[name]}" in host["identity"]["facts"]


def test_the_latest_cut_is_published_on_every_part(report):
    for host in report["hosts"]:
        verdict = {item["id"]: item["verdict"] for item in host["requirements"]}
        assert verdict["I.H"] == "PASS", (host["name"], verdict["I.H"])
