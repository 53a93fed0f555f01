"""One cut everywhere at once (issue 18): 20 cuts pushed by rsync to the receiving node while
readers load the balancer, then a web node killed in the middle of a switch and brought back.

Every host of the scenario shares the machine's clock, so the times that the client, the nodes
and the receiving node write are comparable."""

import subprocess
import threading
import time

from conftest import (
    LIB,
    ROOT,
    address_of,
    balancer_status,
    container,
    epoch,
    journal,
    node_switch,
    push,
    summary,
    wait_for,
)

# Role balancer's health check (defaults): every second, down after 2 failures; a check that
# gets no answer gives up after HAProxy's connect timeout.
HEALTH_INTERVAL_S, HEALTH_FALL, CHECK_TIMEOUT_S = 1.0, 2, 3.0
CUTS = 20


def ident(package) -> str:
    return package.name[:13]


def live_everywhere(nodes, cut):
    """The time (epoch) at which the last node switched to `cut`, once every node serves it."""
    switches = [node_switch(node) for node in nodes.values()]
    if all(switch.get("cut") == cut for switch in switches):
        return max(epoch(switch["time"]) for switch in switches)
    return None


def test_twenty_cuts_go_live_on_every_node_with_no_failed_response(
    packages, load, lb, recv, client, nodes
):
    recv_address = address_of(recv)
    latencies, previous = [], None
    for package in packages[:CUTS]:
        cut = ident(package)
        complete = push(client, recv_address, package)
        live = wait_for(lambda cut=cut: live_everywhere(nodes, cut), timeout_s=120)
        assert live, f"cut {cut} is not live on every node after 120 s"
        latencies.append(live - complete)
        assert wait_for(lambda cut=cut: balancer_status(lb)["cut"] == cut, timeout_s=10)
        # After the switch completed, no node serves the previous cut.
        for name, node in nodes.items():
            served = node.check_output(f"curl -s http://127.0.0.1/healthz?min={cut}")
            assert f'"cut": "{cut}"' in served, f"{name} after the switch to {cut}: {served}"
        previous = (cut, live)
    print(
        f"\npackage complete on the receiving node -> live on every node, {CUTS} Veracruz-size "
        f"cuts: {summary(latencies)} (each: {', '.join(f'{s:.2f}' for s in latencies)})"
    )
    time.sleep(1)
    responses = load()
    assert len(responses) > 20 * CUTS, "the readers' load did not run"
    failed = [r for r in responses if r.get("status") != 200]
    assert not failed, f"{len(failed)} of {len(responses)} responses failed: {failed[:5]}"
    # Every response that started after a cut was live everywhere carries it or a later one.
    switched = {}
    for entry in journal(recv, "cluster_live"):
        switched.setdefault(entry["cut"], epoch(entry["time"]))
    for cut, at in switched.items():
        old = [r for r in responses if r["t0"] > at and (r.get("cut") or "") < cut]
        assert not old, f"after cut {cut} was live everywhere, {len(old)} responses: {old[:3]}"
    assert previous and previous[0] == ident(packages[CUTS - 1])
    # Per node and per step, on the receiving node.
    staged = journal(recv, "node_staged")
    for name in nodes:
        assert len({e["cut"] for e in staged if e["node"] == name}) >= CUTS - 1


def test_a_node_killed_mid_switch_is_out_at_once_and_back_only_with_the_live_cut(
    packages, load, lb, recv, client, nodes
):
    victim, survivor = sorted(nodes)[1], sorted(nodes)[0]
    package = packages[CUTS]
    cut = ident(package)
    address = address_of(nodes[victim])
    # Kill the victim's whole host the moment the first node has staged the cut: before or
    # while the victim stages or switches it.
    watch = f"until grep node_staged {ROOT}/journal.jsonl | grep -q {cut}; do sleep 0.02; done"
    killed = {}

    def kill():
        subprocess.run(
            ["docker", "exec", container("recv"), "sh", "-c", watch], check=True, timeout=120
        )
        subprocess.run(["docker", "kill", container(victim)], check=True, capture_output=True)
        killed["at"] = time.time()

    killer = threading.Thread(target=kill)
    killer.start()
    push(client, address_of(recv), package)
    killer.join(timeout=130)
    assert "at" in killed, "the victim was not killed"

    def out_of_balancer():
        state = balancer_status(lb)["servers"][victim]
        return time.time() if (state["maintenance"] or not state["up"]) else None

    gone = wait_for(out_of_balancer, timeout_s=30, interval_s=0.2)
    assert gone, f"{victim} still in the balancer 30 s after it was killed"
    bound = HEALTH_INTERVAL_S * HEALTH_FALL + CHECK_TIMEOUT_S + 1
    print(f"\n{victim} killed mid-switch: out of the balancer {gone - killed['at']:.2f} s later")
    assert gone - killed["at"] <= bound
    # The site keeps serving, the new cut, from the survivor.
    assert wait_for(lambda: node_switch(nodes[survivor]).get("cut") == cut, timeout_s=60)
    assert wait_for(lambda: balancer_status(lb)["cut"] == cut, timeout_s=30)
    at = epoch(node_switch(nodes[survivor])["time"])
    assert any(e["node"] == victim for e in journal(recv, "node_out", "node_failed"))

    # Back: the host boots with the cut it had; it takes traffic only once it serves the live one.
    subprocess.run(["docker", "start", container(victim)], check=True, capture_output=True)
    assert address_of(nodes[victim]) == address, "the node came back with another address"

    def back_in():
        state = balancer_status(lb)["servers"][victim]
        if state["up"] and not state["maintenance"]:
            return nodes[victim].run(f"cat {ROOT}/switched.json").stdout or "none"
        return None

    back = wait_for(back_in, timeout_s=240, interval_s=0.2)
    assert back, f"{victim} did not come back into the balancer within 240 s"
    assert f'"cut": "{cut}"' in back, f"{victim} took traffic serving {back}"
    events = [
        e["event"] for e in journal(recv, "node_switched", "node_in") if e.get("node") == victim
    ]
    assert events[-2:] == ["node_switched", "node_in"], events[-4:]
    assert nodes[victim].check_output(f"{LIB} cluster --help >/dev/null; echo ok") == "ok"

    time.sleep(2)
    responses = load()
    failed = [r for r in responses if r.get("status") != 200]
    assert not failed, f"{len(failed)} of {len(responses)} responses failed: {failed[:5]}"
    old = [r for r in responses if r["t0"] > at and (r.get("cut") or "") < cut]
    assert not old, f"after cut {cut} was live, {len(old)} responses carried an older one"
