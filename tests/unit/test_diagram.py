"""difusor diagram: the service diagram (IV.a.i) from an inventory, without running Ansible."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from difusor import diagram
from difusor.errors import DifusorError
from difusor.inventory import Inventory, resolve, role_defaults

ROLES = Path(__file__).resolve().parents[2] / "roles"

# As `ansible-inventory --list -i hosts.yml` prints it (group variables merged into hostvars).
INVENTORY = {
    "_meta": {
        "hostvars": {
            "prep-uni-01": {
                "ansible_host": "198.51.100.80",
                "prep_web_server_name": "prep.universidad.example.mx",
                "difusor_trusted_sources": ["203.0.113.10/32", "{{ admin_network }}"],
                "admin_network": "2001:db8:10::/64",
                "ntp_servers": [{"host": "cronos.cenam.mx", "options": "iburst"}],
                "ntp_pools": [],
                "prep_web_tls_mode": "provided",
            },
            "prep-uni-02": {
                "ansible_host": "198.51.100.81",
                "difusor_trusted_sources": "{{ ['203.0.113.10/32'] + extra }}",
                "extra": ["192.0.2.7/32"],
            },
        }
    },
    "all": {"children": ["ungrouped", "universidad"]},
    "universidad": {"children": ["difusores"]},
    "difusores": {"hosts": ["prep-uni-01"], "children": ["respaldo"]},
    "respaldo": {"hosts": ["prep-uni-02"]},
}


def test_views_merge_role_defaults_and_resolve_templates() -> None:
    views = diagram.host_views(Inventory(INVENTORY, role_defaults(ROLES)))
    first, second = views
    assert [v.name for v in views] == ["prep-uni-01", "prep-uni-02"]
    assert first.trusted_sources == ["203.0.113.10/32", "2001:db8:10::/64"]
    assert second.trusted_sources == ["203.0.113.10/32", "192.0.2.7/32"]
    assert first.server_name == "prep.universidad.example.mx"
    assert second.server_name == "prep-uni-02"  # prep_web_server_name defaults to the host name
    assert (first.public_ports, first.trusted_ports) == ([80, 443], [22, 873])
    assert first.ntp_servers == ["cronos.cenam.mx"]
    assert "cronos.cenam.mx" in second.ntp_servers  # from roles/ntp/defaults
    assert (first.rsync_module, first.rsync_user) == ("paquetes", "ople")


def test_unresolvable_templates_are_shown_as_written() -> None:
    text = "{{ lookup('file', 'x') }}"
    assert resolve(text, {}) == text
    assert resolve("{{ a }}/32", {"a": "{{ b }}", "b": "10.1.2.3"}) == "10.1.2.3/32"


@pytest.mark.parametrize(
    ("lang", "words"), [("es", "fuentes de confianza"), ("en", "trusted sources")]
)
def test_svg_names_hosts_ports_and_trusted_sources(tmp_path: Path, lang: str, words: str) -> None:
    svg, png = diagram.diagram(
        Path("hosts.yml"), tmp_path, lang=lang, name="d", roles_dir=ROLES, data=INVENTORY
    )
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000
    text = svg.read_text()
    texts = " ".join(re.findall(r">([^<>]+)</text>", text))  # svg.fonttype none: text as text
    for expected in (
        "prep-uni-01 (198.51.100.80)",
        "prep-uni-02 (198.51.100.81)",
        "https://prep.universidad.example.mx/",
        "80/tcp",
        "443/tcp",
        "873/tcp",
        "22/tcp",
        "203.0.113.10/32",
        "2001:db8:10::/64",
        "192.0.2.7/32",
        "cronos.cenam.mx",
        "udp/123",
        "IV.a.i",
        words,
    ):
        assert expected in texts, expected


def test_an_inventory_without_difusores_is_an_error() -> None:
    with pytest.raises(DifusorError, match="no host in group difusores"):
        diagram.host_views(Inventory({"_meta": {"hostvars": {}}, "all": {"hosts": ["x"]}}))


# A cluster (issue 18): the groups inside difusores, and one single server beside it.
CLUSTER = {
    "_meta": {
        "hostvars": {
            "recv1": {
                "ansible_host": "198.51.100.81",
                "difusor_trusted_sources": ["203.0.113.10/32"],
                "prep_web_server_name": "prep.medio.example.mx",
            },
            "lb1": {
                "ansible_host": "198.51.100.80",
                "difusor_cluster_address": "10.0.0.5",
                "prep_web_server_name": "prep.medio.example.mx",
            },
            **{
                f"web{n}": {
                    "ansible_host": f"10.0.0.1{n}",
                    "prep_web_real_ip_from": ["10.0.0.5/32"],
                    "prep_web_server_name": "prep.medio.example.mx",
                }
                for n in (1, 2)
            },
            # prep_web's default (the balancers' addresses, through a filter): not resolvable here.
            "web3": {
                "ansible_host": "10.0.0.13",
                "prep_web_real_ip_from": "{{ difusor_cluster_balancers | map('x') | list }}",
            },
            "solo": {"ansible_host": "198.51.100.90"},
        }
    },
    "all": {"children": ["ungrouped", "difusores"]},
    "difusores": {
        "hosts": ["solo"],
        "children": ["prep_receivers", "prep_web_nodes", "prep_balancers"],
    },
    "prep_receivers": {"hosts": ["recv1"]},
    "prep_web_nodes": {"hosts": ["web1", "web2", "web3"]},
    "prep_balancers": {"hosts": ["lb1"]},
}


def test_cluster_groups_are_one_view_and_single_servers_stay_panels() -> None:
    inv = Inventory(CLUSTER, role_defaults(ROLES))
    cluster = diagram.cluster_view(inv)
    assert cluster is not None
    assert [v.name for v in cluster.receivers] == ["recv1"]
    assert [v.name for v in cluster.web_nodes] == ["web1", "web2", "web3"]
    assert [v.name for v in cluster.balancers] == ["lb1"]
    assert cluster.web_nodes[0].real_ip_from == ["10.0.0.5/32"]  # as the inventory says
    assert cluster.web_nodes[2].real_ip_from == ["10.0.0.5"]  # else the balancers' addresses
    assert cluster.balancers[0].peer_address == "10.0.0.5"
    assert cluster.web_nodes[2].peer_address == "10.0.0.13"  # ansible_host without the variable
    assert [v.name for v in diagram.host_views(inv)] == ["solo"]
    # Without the groups: no cluster, every host a single server, as before.
    assert diagram.cluster_view(Inventory(INVENTORY, role_defaults(ROLES))) is None


def test_a_cluster_alone_is_not_an_inventory_without_difusores() -> None:
    data = {**CLUSTER, "difusores": {"children": CLUSTER["difusores"]["children"]}}
    inv = Inventory(data, role_defaults(ROLES))
    assert diagram.host_views(inv) == []
    assert diagram.cluster_view(inv) is not None


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        (
            "es",
            ("balanceador lb1", "nodo receptor recv1", "nodo web web2", "red privada: 10.0.0.5"),
        ),
        (
            "en",
            ("balancer lb1", "receiving node recv1", "web node web2", "private network: 10.0.0.5"),
        ),
    ],
)
def test_cluster_svg_names_every_node_the_balancer_the_receiver_and_the_ports(
    tmp_path: Path, lang: str, words: tuple[str, ...]
) -> None:
    svg, png = diagram.diagram(
        Path("hosts.yml"), tmp_path, lang=lang, name="c", roles_dir=ROLES, data=CLUSTER
    )
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    texts = " ".join(re.findall(r">([^<>]+)</text>", svg.read_text()))
    for expected in (
        "lb1 (198.51.100.80)",
        "recv1 (198.51.100.81)",
        "web1 (10.0.0.11)",
        "web2 (10.0.0.12)",
        "web3 (10.0.0.13)",
        "solo (198.51.100.90)",  # the single server beside the cluster keeps its own panel
        "https://prep.medio.example.mx/",
        "80/tcp",
        "443/tcp",
        "873/tcp",
        "22/tcp",
        "/healthz?min=",
        "X-Forwarded-For only from 10.0.0.5/32" if lang == "en" else "solo de 10.0.0.5/32",
        "203.0.113.10/32",
        "HAProxy",
        "SSH 22",
        "node_staged",
        "cluster_live",
        "udp/123",
        *words,
    ):
        assert expected in texts, expected
