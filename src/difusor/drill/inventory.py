"""How the drill reaches each difusor host: the inventory's variables (difusor.inventory) read
into DrillHost."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from difusor.errors import DifusorError
from difusor.inventory import GROUP, Inventory, is_vaulted, resolve
from difusor.transfer import DEFAULT_MODULE, DEFAULT_USER

PASSWORD_VAR = "rsync_receiver_password"
# A cluster's groups (docs/cluster.md), inside group difusores.
RECEIVERS, WEB_NODES, BALANCERS = "prep_receivers", "prep_web_nodes", "prep_balancers"


@dataclass(frozen=True)
class DrillHost:
    name: str
    address: str  # ansible_host (or the name)
    user: str
    port: int
    key: str | None  # ansible_ssh_private_key_file
    ssh_args: str  # ansible_ssh_common_args
    password: str  # the rsync daemon password (module paquetes, user ople)
    module: str = DEFAULT_MODULE  # rsync_receiver_module
    rsync_user: str = DEFAULT_USER  # rsync_receiver_auth_user
    become: bool = False  # ansible_become: commands go through `sudo -n` (root cannot log in)
    # Where the site is read (https://<web_address>/): the host itself, or for a cluster's
    # receiving node its first balancer's address (what the readers get from the web nodes).
    web_address: str = ""

    @property
    def site_address(self) -> str:
        return self.web_address or self.address


def host_from_vars(
    name: str, variables: dict[str, Any], password: str | None = None, *, push: bool = True
) -> DrillHost:
    """A DrillHost from one host's variables (role defaults under the inventory's); `password`
    (given by the user) wins over the inventory's rsync_receiver_password. Without `push`
    (SSH only, e.g. `difusor status`) no rsync password is needed."""

    def get(key: str, fallback: Any = None) -> Any:
        return resolve(variables.get(key, fallback), variables)

    secret = (password if password else get(PASSWORD_VAR)) if push else ""
    if is_vaulted(secret):
        raise DifusorError(
            f"{name}: {PASSWORD_VAR} is encrypted inline with Ansible Vault; give the password "
            "with RSYNC_PASSWORD or --password-file (or keep it in a Vault-encrypted vars file "
            "and give --vault-password-file)"
        )
    if push and (not secret or not isinstance(secret, str)):
        raise DifusorError(
            f"{name}: no rsync password: set {PASSWORD_VAR} in the inventory (the sandbox's is in "
            "inventory/sandbox/group_vars/difusores.yml), or give RSYNC_PASSWORD or --password-file"
        )
    if push and "{{" in secret:
        raise DifusorError(
            f"{name}: {PASSWORD_VAR} is a template ({secret!r}) that cannot be resolved here "
            "(a Vault-encrypted vars file needs --vault-password-file); or give the password "
            "with RSYNC_PASSWORD or --password-file"
        )
    port = get("ansible_port") or get("ansible_ssh_port") or 22
    return DrillHost(
        name=name,
        address=str(get("ansible_host") or name),
        user=str(get("ansible_user") or "root"),
        port=int(port),
        key=get("ansible_ssh_private_key_file") or None,
        ssh_args=str(get("ansible_ssh_common_args") or ""),
        password=secret,
        module=str(get("rsync_receiver_module") or DEFAULT_MODULE),
        rsync_user=str(get("rsync_receiver_auth_user") or DEFAULT_USER),
        become=str(get("ansible_become", False)).lower() in ("true", "yes", "1"),
    )


def select_hosts(
    inv: Inventory, limit: str | None, password: str | None = None, *, push: bool = True
) -> list[DrillHost]:
    """The hosts of group difusores (or those --limit names among them) with what the drill
    needs (without `push`: what SSH needs).

    On a cluster the drill (`push`) runs on the receiving nodes, the only hosts packages are
    pushed to, and reads the site through the first balancer; `difusor status` (no `push`) shows
    the receiving node and the web nodes (a balancer has no site root to show)."""
    names = inv.group_hosts(GROUP)
    if limit:
        chosen = inv.hosts(limit)
        outside = [name for name in chosen if name not in names] or ([] if chosen else [limit])
        if outside:
            shown = ", ".join(names) or "none"
            raise DifusorError(
                f"--limit {', '.join(outside)}: not a host of group {GROUP} (hosts: {shown})"
            )
        names = chosen
    if not names:
        raise DifusorError(f"the inventory has no host in group {GROUP}")
    balancers = inv.group_hosts(BALANCERS)
    skipped = set(balancers) | (set(inv.group_hosts(WEB_NODES)) if push else set())
    kept = [name for name in names if name not in skipped]
    if not kept:
        what = "a cluster's web nodes and balancers take" if push else "a cluster's balancers have"
        instead = "the receiving node" if push else "the receiving node or the web nodes"
        raise DifusorError(
            f"{', '.join(names)}: {what} no "
            f"{'packages' if push else 'site root'}: name {instead} ({RECEIVERS}) instead"
        )
    hosts = [host_from_vars(name, inv.variables(name), password, push=push) for name in kept]
    receivers = set(inv.group_hosts(RECEIVERS))
    if push and balancers and receivers:
        portal = host_from_vars(balancers[0], inv.variables(balancers[0]), push=False).address
        hosts = [replace(h, web_address=portal) if h.name in receivers else h for h in hosts]
    return hosts
