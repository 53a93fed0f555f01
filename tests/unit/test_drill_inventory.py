import pytest

from difusor.drill.inventory import group_hosts, host_from_vars, select_hosts, unwrap
from difusor.errors import DifusorError

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


def test_unwrap_plain_and_unsafe_values():
    assert unwrap({"__ansible_unsafe": "x"}) == "x"
    assert unwrap(3) == 3
    assert unwrap({"a": 1}) == {"a": 1}


def test_group_hosts_include_children_in_order():
    assert group_hosts(DATA, "difusores") == ["web1", "web2"]
    assert group_hosts(DATA, "nothing") == []


def test_a_host_from_its_variables():
    host = select_hosts(DATA, "web1")[0]
    assert (host.name, host.address, host.user, host.port) == ("web1", "192.0.2.10", "root", 2222)
    assert host.key == "/keys/id"
    assert host.ssh_args == "-o StrictHostKeyChecking=no"
    assert host.password == "s3cret"


def test_defaults_when_the_inventory_says_little():
    host = host_from_vars("h", {"rsync_receiver_password": "p"})
    assert (host.address, host.user, host.port, host.key) == ("h", "root", 22, None)


def test_a_missing_password_names_the_variable():
    with pytest.raises(DifusorError, match="rsync_receiver_password"):
        select_hosts(DATA, None)  # web2 has an empty one


def test_a_given_password_wins():
    hosts = select_hosts(DATA, None, password="given")
    assert [host.password for host in hosts] == ["given", "given"]


def test_vault_and_template_passwords_ask_for_the_password():
    with pytest.raises(DifusorError, match="Vault"):
        host_from_vars("h", {"rsync_receiver_password": {"__ansible_vault": "$ANSIBLE..."}})
    with pytest.raises(DifusorError, match="template"):
        host_from_vars("h", {"rsync_receiver_password": "{{ vault_rsync }}"})


def test_limit_must_be_a_difusor():
    with pytest.raises(DifusorError, match="not a host of group difusores"):
        select_hosts(DATA, "other")


def test_no_difusores_at_all():
    with pytest.raises(DifusorError, match="no host in group difusores"):
        select_hosts({"_meta": {"hostvars": {}}}, None)
