"""The cluster's distribution: two phases, per-node journal, and the node agent's checks
(web nodes and a balancer simulated in-process: each node its own site root)."""

import hashlib
import io
import json
import os
import tarfile
from datetime import timedelta

import pytest
from package_kit import CUT, SETTINGS

from difusor.cluster import agent
from difusor.cluster.settings import ClusterSettings, Peer, load_cluster_settings
from difusor.cluster.stream import StreamRejected, write_release
from difusor.cluster.sync import CallFailed, Distributor, Ssh
from difusor.errors import DifusorError
from difusor.package import generate, publish
from difusor.package.fsutil import walk
from difusor.package.journal import journal_path
from difusor.package.releases import SERVED, live_cut_id, point_current

NODES = (Peer("web1", "10.0.0.11"), Peer("web2", "10.0.0.12"))


class FakeCluster:
    """Nodes run the real agent on their own roots; the balancer records what it is told."""

    def __init__(self, tmp_path):
        self.roots = {peer.name: tmp_path / peer.name for peer in NODES}
        self.calls = []  # (peer, command) in order
        self.down = set()  # nodes that do not answer
        self.fail_on = {}  # node -> the command word it fails ("stage", "switch")
        self.balancer = {"cut": None, "out": set()}

    def call(self, peer, user, command, timeout, stdin=None):
        self.calls.append((peer.name, command))
        word = command.split()[0]
        if peer.name == "lb":
            if word == "cut":
                self.balancer["cut"] = command.split()[1]
            elif word == "out":
                self.balancer["out"].add(command.split()[1])
            elif word == "in":
                self.balancer["out"].discard(command.split()[1])
            return {}
        if peer.name in self.down or self.fail_on.get(peer.name) == word:
            raise CallFailed("Connection timed out")
        try:
            return agent.run(command, self.roots[peer.name], SETTINGS, stdin or io.BytesIO())
        except DifusorError as exc:
            raise CallFailed(str(exc)) from None


def settings():
    return ClusterSettings(nodes=NODES, balancers=(Peer("lb", "10.0.0.5"),))


def events(root, *names):
    lines = journal_path(root).read_text().splitlines()
    return [entry for entry in map(json.loads, lines) if entry["event"] in names]


def files_with_mtimes(tree):
    return {
        relative: (os.lstat(entry.path).st_mtime_ns // 10**9, os.lstat(entry.path).st_size)
        for relative, entry in walk(tree)
        if entry.is_file(follow_symlinks=False)
    }


@pytest.fixture
def receiver(tmp_path):
    root = tmp_path / "receiver"
    publish(generate(CUT, tmp_path / "in", rows=30), root, drill=True)
    return root


def publish_next(receiver, tmp_path, minutes=15):
    later = generate(CUT + timedelta(minutes=minutes), tmp_path / "in", rows=30)
    return publish(later, receiver, drill=True).cut_id


def test_every_node_serves_the_receivers_cut_byte_for_byte_with_its_validators(receiver, tmp_path):
    cluster = FakeCluster(tmp_path)
    done = Distributor(receiver, settings(), cluster).run_pass()
    cut = live_cut_id(receiver)
    assert sorted(done.switched) == ["web1", "web2"] and done.live_everywhere
    source = files_with_mtimes(receiver / "releases" / cut)
    for root in cluster.roots.values():
        assert live_cut_id(root) == cut
        assert files_with_mtimes(root / "current") == source  # same bytes count, same ETag
        assert (root / SERVED / cut).exists()
    assert cluster.balancer["cut"] == cut
    kinds = [entry["event"] for entry in events(receiver, "node_staged", "node_switched")]
    assert kinds.count("node_staged") == 2 and kinds.count("node_switched") == 2
    assert events(receiver, "cluster_live")[-1]["cut"] == cut


def test_a_node_that_cannot_stage_is_out_before_any_node_switches(receiver, tmp_path):
    cluster = FakeCluster(tmp_path)
    Distributor(receiver, settings(), cluster).run_pass()
    cluster.calls.clear()
    cluster.fail_on["web2"] = "stage"
    cut = publish_next(receiver, tmp_path)
    done = Distributor(receiver, settings(), cluster).run_pass()
    assert done.switched == ["web1"] and "web2" in done.failed
    out = cluster.calls.index(("lb", "out web2"))
    first_switch = next(i for i, (_, command) in enumerate(cluster.calls) if "switch" in command)
    assert out < first_switch
    assert cluster.balancer["out"] == {"web2"} and cluster.balancer["cut"] == cut
    assert live_cut_id(cluster.roots["web2"]) != cut
    assert [entry["node"] for entry in events(receiver, "node_out")] == ["web2"]
    # Back: it catches up (staged and switched to the live cut), and only then goes back in.
    del cluster.fail_on["web2"]
    cluster.calls.clear()
    done = Distributor(receiver, settings(), cluster).run_pass()
    assert done.switched == ["web2"] and done.put_back == ["web2"]
    assert cluster.calls.index(("lb", "in web2")) > cluster.calls.index(("web2", f"switch {cut}"))
    assert live_cut_id(cluster.roots["web2"]) == cut and cluster.balancer["out"] == set()
    assert events(receiver, "node_in")[-1]["node"] == "web2"


def test_a_node_killed_while_switching_is_taken_out_at_once(receiver, tmp_path):
    cluster = FakeCluster(tmp_path)
    cluster.fail_on["web1"] = "switch"
    done = Distributor(receiver, settings(), cluster).run_pass()
    assert done.switched == ["web2"] and done.taken_out == ["web1"]
    assert cluster.balancer["out"] == {"web1"}
    # Nothing to do while it stays down, and it is not put back.
    cluster.down.add("web1")
    done = Distributor(receiver, settings(), cluster).run_pass()
    assert done.put_back == [] and cluster.balancer["out"] == {"web1"}


@pytest.mark.parametrize("failing", ["stage", "switch"])
def test_when_no_node_gets_the_cut_the_balancers_keep_every_node_on_the_previous_one(
    receiver, tmp_path, failing
):
    cluster = FakeCluster(tmp_path)
    Distributor(receiver, settings(), cluster).run_pass()
    previous = live_cut_id(receiver)
    cut = publish_next(receiver, tmp_path)
    cluster.fail_on.update({"web1": failing, "web2": failing})
    done = Distributor(receiver, settings(), cluster).run_pass()
    assert done.stalled and not done.switched and sorted(done.failed) == ["web1", "web2"]
    # Nobody out (or back in at once), the health checks still ask for the previous cut.
    assert cluster.balancer["out"] == set() and cluster.balancer["cut"] == previous
    assert [live_cut_id(root) for root in cluster.roots.values()] == [previous, previous]
    stalled = events(receiver, "cluster_stalled")[-1]
    assert stalled["cut"] == cut and stalled["kept"] == previous
    assert not [e for e in events(receiver, "cluster_live") if e["cut"] == cut]
    # The next pass that gets through brings both nodes to the cut.
    cluster.fail_on.clear()
    done = Distributor(receiver, settings(), cluster).run_pass()
    assert sorted(done.switched) == ["web1", "web2"] and done.live_everywhere
    assert cluster.balancer["cut"] == cut and cluster.balancer["out"] == set()


def test_a_node_that_fails_beside_one_that_serves_the_cut_is_still_taken_out(receiver, tmp_path):
    cluster = FakeCluster(tmp_path)
    cluster.fail_on["web2"] = "switch"
    Distributor(receiver, settings(), cluster).run_pass()
    cut = publish_next(receiver, tmp_path)
    cluster.fail_on["web1"] = "stage"  # web2 (out) now serves nothing new either
    del cluster.fail_on["web2"]
    done = Distributor(receiver, settings(), cluster).run_pass()
    assert not done.stalled and done.switched == ["web2"] and done.taken_out == ["web1"]
    assert cluster.balancer == {"cut": cut, "out": {"web1"}}


def test_a_node_already_staged_is_not_sent_the_release_again(receiver, tmp_path):
    cluster = FakeCluster(tmp_path)
    cluster.fail_on["web1"] = "switch"
    Distributor(receiver, settings(), cluster).run_pass()
    del cluster.fail_on["web1"]
    cluster.calls.clear()
    Distributor(receiver, settings(), cluster).run_pass()
    assert not [command for _, command in cluster.calls if command.startswith("stage")]


def test_a_rollback_on_the_receiver_is_followed_and_newer_served_marks_go(receiver, tmp_path):
    cluster = FakeCluster(tmp_path)
    first = live_cut_id(receiver)
    Distributor(receiver, settings(), cluster).run_pass()
    later = publish_next(receiver, tmp_path)
    Distributor(receiver, settings(), cluster).run_pass()
    point_current(receiver, first)  # what `difusor package rollback` does to `current`
    Distributor(receiver, settings(), cluster).run_pass()
    for root in cluster.roots.values():
        assert live_cut_id(root) == first
        assert (root / SERVED / first).exists() and not (root / SERVED / later).exists()
    assert cluster.balancer["cut"] == first


def stream_of(members, marker=None):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        data = json.dumps(marker or {"cut_id": "20240602_2015"}).encode()
        info = tarfile.TarInfo(".difusor-release.json")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
        for info, content in members:
            archive.addfile(info, io.BytesIO(content) if content is not None else None)
    return buffer.getvalue(), hashlib.sha256(buffer.getvalue()).hexdigest()


def member(name, kind=tarfile.REGTYPE, content=b"x", link=""):
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, link
    info.size = len(content) if kind == tarfile.REGTYPE else 0
    return info, content if kind == tarfile.REGTYPE else None


@pytest.mark.parametrize(
    ("members", "reason"),
    [
        ([member("../escape.html")], "not a plain relative name"),
        ([member("/etc/passwd")], "not a plain relative name"),
        ([member("a/./b")], "not a plain relative name"),
        ([member("link", tarfile.SYMTYPE, link="/etc")], "only directories and regular files"),
        ([member("hard", tarfile.LNKTYPE, link="index.html")], "only directories"),
        ([member("dev", tarfile.CHRTYPE)], "only directories and regular files"),
        ([member("x.html"), member("x.html")], "named twice"),
        ([member("missing/x.html")], "its directory"),
        ([member("f"), member("f/x")], "its directory"),
    ],
)
def test_the_node_agent_refuses_a_crafted_stream_and_keeps_its_live_cut(tmp_path, members, reason):
    root = tmp_path / "node"
    data, digest = stream_of([member("index.html"), member("ok.html")])
    agent.run(f"stage 20240602_2015 {digest}", root, SETTINGS, io.BytesIO(data))
    agent.run("switch 20240602_2015", root, SETTINGS, io.BytesIO())
    before = files_with_mtimes(root / "current")
    data, digest = stream_of(members, {"cut_id": "20240602_2030"})
    with pytest.raises(StreamRejected, match=reason):
        agent.run(f"stage 20240602_2030 {digest}", root, SETTINGS, io.BytesIO(data))
    assert live_cut_id(root) == "20240602_2015" and files_with_mtimes(root / "current") == before
    assert sorted(os.listdir(root / "releases")) == ["20240602_2015"]  # nothing half-made left
    assert not (tmp_path / "escape.html").exists()


def test_a_stream_cut_short_or_altered_is_refused(receiver, tmp_path):
    cut = live_cut_id(receiver)
    buffer = io.BytesIO()
    digest = write_release(receiver / "releases" / cut, {"cut_id": cut}, buffer)
    data = buffer.getvalue()
    node = tmp_path / "node"
    with pytest.raises(StreamRejected, match=r"whole tar stream|announced"):
        agent.run(f"stage {cut} {digest}", node, SETTINGS, io.BytesIO(data[: len(data) // 2]))
    altered = data.replace(b"PREP", b"PREX", 1)
    with pytest.raises(StreamRejected, match="announced"):
        agent.run(f"stage {cut} {digest}", node, SETTINGS, io.BytesIO(altered))
    with pytest.raises(StreamRejected, match="holds cut"):
        agent.run(f"stage 20240602_2030 {digest}", node, SETTINGS, io.BytesIO(data))
    assert live_cut_id(node) is None


@pytest.mark.parametrize(
    "command",
    ["rm -rf /", "stage ../x 00", "switch 2024", "status now", "stage 20240602_2015 ABC", ""],
)
def test_the_node_agent_runs_nothing_but_its_three_commands(tmp_path, command):
    with pytest.raises(agent.Refused):
        agent.run(command, tmp_path / "node", SETTINGS, io.BytesIO())


def test_switching_to_a_cut_never_staged_is_refused(tmp_path):
    with pytest.raises(agent.Refused, match="stage it first"):
        agent.run("switch 20240602_2015", tmp_path / "node", SETTINGS, io.BytesIO())


def test_cluster_settings_name_what_is_wrong(tmp_path):
    path = tmp_path / "cluster.yml"
    path.write_text("nodes: [{name: web1, address: 10.0.0.11}]\nstage_timeout_s: 0\n")
    with pytest.raises(DifusorError, match="stage_timeout_s must be"):
        load_cluster_settings(path)
    path.write_text("nodes: []\n")
    with pytest.raises(DifusorError, match="nodes is empty"):
        load_cluster_settings(path)
    path.write_text("nodes: [{name: web1, address: 10.0.0.11}, {name: web1, address: b}]\n")
    with pytest.raises(DifusorError, match="twice"):
        load_cluster_settings(path)
    path.write_text("nodes: [{name: web1, address: 10.0.0.11}]\nbalancers: [{name: lb}]\n")
    with pytest.raises(DifusorError, match=r"balancers\[0\]"):
        load_cluster_settings(path)
    path.write_text("nodes: [{name: web1, address: 10.0.0.11}]\nbalancer_user: lb\n")
    assert load_cluster_settings(path).balancer_user == "lb"


FAKE_SSH = """#!/bin/sh
# Turns the first $TURN_AWAY connections away as a busy sshd does, then answers with the size
# of what it was sent on stdin.
count=$(cat "$STATE" 2>/dev/null || echo 0); echo $((count + 1)) > "$STATE"
if [ "$count" -lt "$TURN_AWAY" ]; then
  echo "kex_exchange_identification: Connection closed by remote host" >&2; exit 255
fi
echo "{\\"bytes\\": $(wc -c | tr -d ' ')}"
"""


@pytest.mark.parametrize(("turned_away", "answered"), [(2, True), (100, False)])
def test_ssh_tries_again_a_connection_turned_away_before_the_key_exchange(
    tmp_path, monkeypatch, turned_away, answered
):
    fake = tmp_path / "bin" / "ssh"
    fake.parent.mkdir()
    fake.write_text(FAKE_SSH)
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("STATE", str(tmp_path / "count"))
    monkeypatch.setenv("TURN_AWAY", str(turned_away))
    stream = tmp_path / "stream"
    stream.write_bytes(b"x" * 5000)
    with stream.open("rb") as stdin:
        stdin.read(100)  # a stream read before must still go whole
        if answered:
            assert Ssh(settings()).call(NODES[0], "u", "stage", 10, stdin) == {"bytes": 5000}
        else:
            with pytest.raises(CallFailed, match="kex_exchange_identification"):
                Ssh(settings()).call(NODES[0], "u", "status", 1.5)
    attempts = int((tmp_path / "count").read_text())
    assert attempts == 3 if answered else 2 <= attempts < 100
