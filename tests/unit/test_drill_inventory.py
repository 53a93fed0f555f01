import pytest

from difusor.drill.inventory import host_from_vars, select_hosts
from difusor.errors import DifusorError
from difusor.inventory import Inventory

DATA = {
    "_meta": {
        "hostvars": {
            "web1": {
                "ansible_host": {"__ansible_unsafe": "192.0.2.10"},
                "ansible_user": "root",
                "ansible_port": 2222,
                "ansible_ssh_private_key_file": "/keys/id",
                "ansible_ssh_common_args": "-o StrictHostKeyChecking=no",
                "rsync_receiver_password": {"__ansible_unsafe": "s3cret"},
            },
            "web2": {"rsync_receiver_password": ""},
            "other": {},
        }
    },
    "all": {"children": ["difusores", "ungrouped"]},
    "difusores": {"hosts": ["web1"], "children": ["extra"]},
    "extra": {"hosts": ["web2"]},
    "ungrouped": {"hosts": ["other"]},
}
INVENTORY = Inventory(DATA)


def test_a_host_from_its_variables():
    host = select_hosts(INVENTORY, "web1")[0]
    assert (host.name, host.address, host.user, host.port) == ("web1", "192.0.2.10", "root", 2222)
    assert host.key == "/keys/id"
    assert host.ssh_args == "-o StrictHostKeyChecking=no"
    assert host.password == "s3cret"


def test_defaults_when_the_inventory_says_little():
    host = host_from_vars("h", {"rsync_receiver_password": "p"})
    assert (host.address, host.user, host.port, host.key) == ("h", "root", 22, None)
    assert (host.module, host.rsync_user) == ("paquetes", "ople")


def test_the_rsync_module_user_and_password_come_from_the_role_variables():
    inv = Inventory(
        {
            "_meta": {
                "hostvars": {
                    "web1": {
                        "rsync_receiver_module": "cortes",
                        "rsync_receiver_password": "{{ vault_rsync_receiver_password }}",
                        "vault_rsync_receiver_password": "from-the-vault-file",
                    }
                }
            },
            "difusores": {"hosts": ["web1"]},
        },
        defaults={"rsync_receiver_module": "paquetes", "rsync_receiver_auth_user": "ople"},
    )
    (host,) = select_hosts(inv, None)
    assert (host.module, host.rsync_user, host.password) == (
        "cortes",
        "ople",
        "from-the-vault-file",
    )


def test_limit_takes_hosts_and_groups_of_difusores():
    assert [host.name for host in select_hosts(INVENTORY, "extra", password="p")] == ["web2"]
    assert [h.name for h in select_hosts(INVENTORY, "web2,web1", password="p")] == ["web2", "web1"]


def test_a_missing_password_names_the_variable():
    with pytest.raises(DifusorError, match="rsync_receiver_password"):
        select_hosts(INVENTORY, None)  # web2 has an empty one


def test_a_given_password_wins():
    hosts = select_hosts(INVENTORY, None, password="given")
    assert [host.password for host in hosts] == ["given", "given"]


def test_vault_and_template_passwords_ask_for_the_password():
    with pytest.raises(DifusorError, match="Vault"):
        host_from_vars("h", {"rsync_receiver_password": {"__ansible_vault": "$ANSIBLE..."}})
    with pytest.raises(DifusorError, match="template"):
        host_from_vars("h", {"rsync_receiver_password": "{{ vault_rsync }}"})


def test_limit_must_be_a_difusor():
    with pytest.raises(DifusorError, match="not a host of group difusores"):
        select_hosts(INVENTORY, "other")
    with pytest.raises(DifusorError, match="--limit nowhere: not a host of group difusores"):
        select_hosts(INVENTORY, "nowhere")


def test_no_difusores_at_all():
    with pytest.raises(DifusorError, match="no host in group difusores"):
        select_hosts(Inventory({"_meta": {"hostvars": {}}}), None)


def test_an_operator_with_become_runs_the_commands_through_sudo():
    """Root cannot log in (PermitRootLogin no): with ansible_become the drill and `difusor status`
    log in as the inventory's user and run each command as root with `sudo -n`."""
    from difusor.drill.remote import ssh_command

    variables = {"ansible_host": "192.0.2.8", "ansible_user": "operador", "ansible_become": True}
    host = host_from_vars("d1", variables, push=False)
    argv = ssh_command(host, "cat '/srv/prep/site/journal.jsonl'")
    assert argv[-2:] == [
        "192.0.2.8",
        "sudo -n sh -c 'cat '\"'\"'/srv/prep/site/journal.jsonl'\"'\"''",
    ]
    assert "-l" in argv and argv[argv.index("-l") + 1] == "operador"
    plain = host_from_vars("d1", {**variables, "ansible_become": False}, push=False)
    assert ssh_command(plain, "true")[-1] == "true"


CLUSTER = Inventory(
    {
        "_meta": {
            "hostvars": {
                "recv1": {"ansible_host": "10.0.0.2", "rsync_receiver_password": "p"},
                "node1": {"ansible_host": "10.0.0.11"},
                "node2": {"ansible_host": "10.0.0.12"},
                "lb1": {"ansible_host": "203.0.113.5"},
                "single": {"ansible_host": "192.0.2.20", "rsync_receiver_password": "p"},
            }
        },
        "all": {"children": ["difusores"]},
        "difusores": {
            "hosts": ["single"],
            "children": ["prep_receivers", "prep_web_nodes", "prep_balancers"],
        },
        "prep_receivers": {"hosts": ["recv1"]},
        "prep_web_nodes": {"hosts": ["node1", "node2"]},
        "prep_balancers": {"hosts": ["lb1"]},
    }
)


def test_on_a_cluster_the_drill_pushes_to_the_receiving_node_and_reads_through_the_balancer():
    hosts = {host.name: host for host in select_hosts(CLUSTER, None)}
    assert sorted(hosts) == ["recv1", "single"]
    assert (hosts["recv1"].address, hosts["recv1"].site_address) == ("10.0.0.2", "203.0.113.5")
    assert hosts["single"].site_address == "192.0.2.20"
    assert [h.name for h in select_hosts(CLUSTER, "difusores")] == ["single", "recv1"]
    with pytest.raises(DifusorError, match="web nodes and balancers take no packages"):
        select_hosts(CLUSTER, "prep_web_nodes,lb1")


def test_on_a_cluster_status_shows_the_receiving_and_web_nodes_not_the_balancer():
    names = [host.name for host in select_hosts(CLUSTER, None, push=False)]
    assert names == ["single", "recv1", "node1", "node2"]
    with pytest.raises(DifusorError, match="balancers have no site root"):
        select_hosts(CLUSTER, "lb1", push=False)
