"""difusor.inventory: the one reader of an inventory on the controller, and the checkout finder.

Runs this virtualenv's ansible-inventory (offline) on a small fixture: nested groups, a host in
two groups, group and host variables, a Vault-encrypted vars file."""

from __future__ import annotations

from pathlib import Path

import pytest

from difusor import inventory
from difusor.compliance import runner
from difusor.drill.inventory import select_hosts
from difusor.errors import DifusorError
from difusor.inventory import GROUP, Inventory, find_checkout

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
HOSTS = FIXTURES / "inventory" / "hosts.yml"
VAULT_PASSWORD = FIXTURES / "vault-password"


@pytest.fixture(scope="module")
def inv() -> Inventory:
    return inventory.read(HOSTS, vault_password_file=VAULT_PASSWORD)


def test_group_hosts_are_recursive_in_inventory_order_each_once(inv: Inventory) -> None:
    # The group's own hosts first, then each child group's; prep-a is in both.
    assert inv.group_hosts(GROUP) == ["prep-b", "prep-a", "prep-c"]
    assert inv.group_hosts("universidad") == ["prep-b", "prep-a", "prep-c"]
    assert inv.group_hosts("respaldo") == ["prep-c", "prep-a"]
    assert inv.group_hosts("nothing") == []
    assert sorted(inv.all_hosts()) == ["prep-a", "prep-b", "prep-c", "vigia"]


def test_a_pattern_names_groups_and_hosts(inv: Inventory) -> None:
    assert inv.hosts("respaldo,vigia") == ["prep-c", "prep-a", "vigia"]
    assert inv.hosts("prep-a, difusores") == ["prep-a", "prep-b", "prep-c"]
    assert inv.hosts("nowhere") == []


def test_role_defaults_lie_under_the_inventory_variables(inv: Inventory) -> None:
    variables = inv.variables("prep-a")
    assert variables["rsync_receiver_module"] == "cortes"  # group_vars win
    assert variables["rsync_receiver_auth_user"] == "ople"  # roles/rsync_receiver/defaults
    assert variables["inventory_hostname"] == "prep-a"
    assert inv.value("prep-c", "difusor_operator_user") == "operador"  # host_vars
    assert inv.value("prep-a", "difusor_operator_user") == "prep"  # roles/difusor/defaults
    assert inv.value("prep-a", "difusor_trusted_sources") == [
        "203.0.113.10/32",
        "2001:db8:10::/64",
    ]
    # the template of group_vars resolved from the Vault-encrypted file
    assert inv.value("prep-b", "rsync_receiver_password") == "de-la-boveda"
    assert inv.hostvars("vigia") == {"ansible_host": "192.0.2.40"}  # no role defaults here


def test_without_the_vault_password_the_error_says_what_to_give() -> None:
    with pytest.raises(DifusorError, match="--vault-password-file") as raised:
        inventory.read(HOSTS)
    assert str(HOSTS) in str(raised.value)


def test_a_missing_or_unparsable_inventory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(DifusorError, match="does not exist"):
        inventory.read(tmp_path / "none.yml")
    with pytest.raises(DifusorError, match=r"Vault password file .* does not exist"):
        inventory.read(HOSTS, vault_password_file=tmp_path / "none")
    bad = tmp_path / "hosts.yml"
    bad.write_text("all: [\n")
    with pytest.raises(DifusorError, match=f"could not read {bad}: .*parse"):
        inventory.read(bad)


def test_the_drill_and_the_audit_read_their_hosts_from_it() -> None:
    hosts = select_hosts(inventory.read(HOSTS, vault_password_file=VAULT_PASSWORD), "respaldo")
    assert [(h.name, h.address, h.module, h.rsync_user) for h in hosts] == [
        ("prep-c", "192.0.2.30", "cortes", "ople"),
        ("prep-a", "192.0.2.10", "cortes", "ople"),
    ]
    assert {h.password for h in hosts} == {"de-la-boveda"}
    targets = runner.inventory_targets(HOSTS, "difusores,vigia", VAULT_PASSWORD)
    assert [t.url for t in targets] == [
        "ansible://prep-b",
        "ansible://prep-a",
        "ansible://prep-c",
        "ansible://vigia",
    ]
    assert targets[0].extra_args == ("--ansible-inventory", str(HOSTS))
    with pytest.raises(DifusorError, match="no host in 'nowhere'"):
        runner.inventory_targets(HOSTS, "nowhere", VAULT_PASSWORD)
    assert runner.tool_env(VAULT_PASSWORD)["ANSIBLE_VAULT_PASSWORD_FILE"] == str(VAULT_PASSWORD)


def test_unsafe_markers_of_older_ansible_are_unwrapped() -> None:
    data = {
        "_meta": {
            "hostvars": {"h": {"a": {"__ansible_unsafe": "x"}, "b": [{"__ansible_unsafe": 1}]}}
        },
        "difusores": {"hosts": ["h"]},
    }
    assert Inventory(data).hostvars("h") == {"a": "x", "b": [1]}
    assert inventory.is_vaulted({"__ansible_vault": "$ANSIBLE_VAULT;1.1;AES256\n..."})


def test_the_checkout_is_found_from_inside_it_or_from_this_package(tmp_path: Path) -> None:
    assert find_checkout() == ROOT  # the package's own checkout
    assert find_checkout(ROOT / "roles" / "ssh") == ROOT
    (tmp_path / "ansible.cfg").write_text("[defaults]\n")
    (tmp_path / "playbooks" / "deep").mkdir(parents=True)
    assert find_checkout(tmp_path / "playbooks" / "deep") == tmp_path
    with pytest.raises(DifusorError, match="not in a difusor checkout"):
        find_checkout(tmp_path.parent)
    env = inventory.ansible_env()
    assert env["ANSIBLE_CONFIG"] == str(ROOT / "ansible.cfg")
    assert Path(inventory.ansible_program("ansible-inventory")).name == "ansible-inventory"


def test_the_group_name_is_written_once_on_the_controller_side() -> None:
    literal = '"difusores"'
    holders = [
        path.relative_to(ROOT).as_posix()
        for path in sorted((ROOT / "src" / "difusor").rglob("*.py"))
        if literal in path.read_text(encoding="utf-8")
    ]
    assert holders == ["src/difusor/inventory.py"]
