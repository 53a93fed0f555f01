"""How the drill reaches each difusor host: `ansible-inventory --list` read into DrillHost."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from difusor.errors import DifusorError

GROUP = "difusores"
PASSWORD_VAR = "rsync_receiver_password"


@dataclass(frozen=True)
class DrillHost:
    name: str
    address: str  # ansible_host (or the name)
    user: str
    port: int
    key: str | None  # ansible_ssh_private_key_file
    ssh_args: str  # ansible_ssh_common_args
    password: str  # the rsync daemon password (module paquetes, user ople)


def unwrap(value: Any) -> Any:
    """ansible-inventory marks values as {"__ansible_unsafe": ...}; give the plain value."""
    if isinstance(value, dict) and set(value) == {"__ansible_unsafe"}:
        return value["__ansible_unsafe"]
    return value


def group_hosts(data: dict[str, Any], group: str) -> list[str]:
    """The hosts of a group and of its children, in inventory order."""
    seen: list[str] = []
    pending = [group]
    visited: set[str] = set()
    while pending:
        name = pending.pop(0)
        if name in visited:
            continue
        visited.add(name)
        node = data.get(name) or {}
        seen += [host for host in node.get("hosts", []) if host not in seen]
        pending += node.get("children", [])
    return seen


def host_from_vars(name: str, hostvars: dict[str, Any], password: str | None = None) -> DrillHost:
    """A DrillHost from one host's variables; `password` (given by the user) wins over the
    inventory's rsync_receiver_password."""
    variables = {key: unwrap(value) for key, value in hostvars.items()}
    secret = password if password else variables.get(PASSWORD_VAR)
    if isinstance(secret, dict) and "__ansible_vault" in secret:
        raise DifusorError(
            f"{name}: {PASSWORD_VAR} is encrypted with Ansible Vault; give the password with "
            "RSYNC_PASSWORD or --password-file"
        )
    if not secret or not isinstance(secret, str):
        raise DifusorError(
            f"{name}: no rsync password: set {PASSWORD_VAR} in the inventory (the sandbox's is in "
            "inventory/sandbox/group_vars/difusores.yml), or give RSYNC_PASSWORD or --password-file"
        )
    if "{{" in secret:
        raise DifusorError(
            f"{name}: {PASSWORD_VAR} is a template ({secret!r}); give the password with "
            "RSYNC_PASSWORD or --password-file"
        )
    port = variables.get("ansible_port") or variables.get("ansible_ssh_port") or 22
    return DrillHost(
        name=name,
        address=str(variables.get("ansible_host") or name),
        user=str(variables.get("ansible_user") or "root"),
        port=int(port),
        key=variables.get("ansible_ssh_private_key_file") or None,
        ssh_args=str(variables.get("ansible_ssh_common_args") or ""),
        password=secret,
    )


def select_hosts(
    data: dict[str, Any], limit: str | None, password: str | None = None
) -> list[DrillHost]:
    """The difusores hosts (or the one named by --limit) with what the drill needs."""
    names = group_hosts(data, GROUP)
    if limit:
        if limit not in names:
            shown = ", ".join(names) or "none"
            raise DifusorError(f"--limit {limit}: not a host of group {GROUP} (hosts: {shown})")
        names = [limit]
    if not names:
        raise DifusorError(f"the inventory has no host in group {GROUP}")
    hostvars = data.get("_meta", {}).get("hostvars", {})
    return [host_from_vars(name, hostvars.get(name, {}), password) for name in names]


def read_inventory(inventory: Path) -> dict[str, Any]:
    """`ansible-inventory --list` of this virtualenv (group and host variables merged)."""
    if not Path(inventory).exists():
        raise DifusorError(f"inventory {inventory} does not exist")
    tool = Path(sys.executable).with_name("ansible-inventory")
    command = [str(tool) if tool.exists() else "ansible-inventory", "--list", "-i", str(inventory)]
    env = {**os.environ, "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false"}
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=120, env=env, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DifusorError(f"cannot run ansible-inventory ({exc}): run `make setup`") from None
    if result.returncode != 0:
        detail = " ".join(result.stderr.strip().splitlines()[-3:])
        raise DifusorError(f"ansible-inventory could not read {inventory}: {detail}")
    return json.loads(result.stdout)
