"""The controller's reader of an Ansible inventory, and the finder of the difusor checkout.

Every command that needs an inventory (`difusor diagram`, `drill`, `audit`) reads it here, once:
`ansible-inventory --list` of this virtualenv, with the checkout's ansible.cfg, an optional Vault
password file and a timeout; an inventory that does not parse, or needs a Vault password that
was not given, is an error that says so. What it gives:

- groups: `Inventory.group_hosts(group)` is the group's own hosts, then those of each child
  group, recursively, in inventory order, each host once; `all` is every host. `hosts(pattern)`
  takes comma-separated group or host names (a plain `--limit`);
- `hostvars(host)`: the host's variables as ansible-inventory merges them (group_vars, host_vars,
  the host's own), plain values;
- `variables(host)`: those over every role's defaults (roles/*/defaults/main.yml), as a play
  would see them before its tasks run; `resolve()` renders the simple templates among them.

`GROUP` is the group of the difusor servers (the playbooks' `hosts:`), written only here on the
controller side. `find_checkout()` is the one way to find the checkout (ansible.cfg, playbooks/,
roles/, compliance/, tests/compliance/) that the commands run playbooks and the suite from.
Only the standard library (and PyYAML, for the role defaults) is imported.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from difusor.errors import DifusorError

GROUP = "difusores"
TIMEOUT_S = 120
SIMPLE_TEMPLATE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
# This module's own checkout when it runs from one (editable install, PYTHONPATH=src).
_PACKAGE_CHECKOUT = Path(__file__).resolve().parents[2]


# --- The checkout ----------------------------------------------------------------------------


def is_checkout(path: Path) -> bool:
    return (path / "ansible.cfg").is_file() and (path / "playbooks").is_dir()


def find_checkout(start: Path | None = None) -> Path:
    """The difusor checkout: the directory with ansible.cfg and playbooks/.

    With `start` (e.g. --project-dir, or a path inside a checkout): that directory or the first
    parent that is one. Without: the checkout this package runs from (so that the code, the
    playbooks, the roles and the compliance suite are always of one checkout), else the current
    directory or a parent of it (a package installed elsewhere, run from a checkout).
    """
    if start is not None:
        here = start.resolve()
        for candidate in (here, *here.parents):
            if is_checkout(candidate):
                return candidate
        raise DifusorError(
            f"{start} is not in a difusor checkout (a directory with ansible.cfg and playbooks/)"
        )
    return _default_checkout(Path.cwd().resolve())


@functools.cache
def _default_checkout(cwd: Path) -> Path:
    for candidate in (_PACKAGE_CHECKOUT, cwd, *cwd.parents):
        if is_checkout(candidate):
            return candidate
    raise DifusorError(
        "cannot find the difusor checkout (a directory with ansible.cfg and playbooks/): run "
        "from the checkout, or pass --project-dir where the command has it"
    )


# --- Running Ansible on the controller -------------------------------------------------------


def ansible_program(name: str) -> str:
    """An Ansible command (ansible-inventory, ansible-playbook) of this virtualenv, else PATH's."""
    beside = Path(sys.executable).with_name(name)
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if not found:
        raise DifusorError(f"{name} not found: install the pinned tools (make setup)")
    return found


def ansible_env(checkout: Path | None = None) -> dict[str, str]:
    """The environment for Ansible commands: this virtualenv's tools first on PATH, and the
    checkout's ansible.cfg (its roles_path, library and filter plugins), as every command and
    test of the project runs Ansible. Outside a checkout Ansible looks for its own."""
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    with contextlib.suppress(DifusorError):
        env["ANSIBLE_CONFIG"] = str((checkout or find_checkout()) / "ansible.cfg")
    return env


# --- Reading ---------------------------------------------------------------------------------


def unwrap(value: Any) -> Any:
    """A plain value: older ansible-inventory marks strings as {"__ansible_unsafe": ...}."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {key: unwrap(item) for key, item in value.items()}
    if isinstance(value, list):
        return [unwrap(item) for item in value]
    return value


def is_vaulted(value: Any) -> bool:
    """A value encrypted inline with Ansible Vault (ansible-inventory never decrypts those)."""
    return isinstance(value, dict) and "__ansible_vault" in value


class Inventory:
    """`ansible-inventory --list` output, with the roles' defaults under the host variables."""

    def __init__(
        self,
        data: dict[str, Any],
        defaults: dict[str, Any] | None = None,
        source: Path | None = None,
    ) -> None:
        self.data = data
        self.defaults = dict(defaults or {})
        self.source = source

    def __repr__(self) -> str:
        return f"Inventory({self.source or '<data>'}, {len(self.all_hosts())} hosts)"

    def _hostvars(self) -> dict[str, Any]:
        return (self.data.get("_meta") or {}).get("hostvars") or {}

    def groups(self) -> list[str]:
        return [name for name in self.data if name != "_meta"]

    def group_hosts(self, group: str) -> list[str]:
        """The group's own hosts, then each child group's (recursively), in inventory order,
        each host once; [] for a group the inventory does not have. `all` is every host."""
        seen: list[str] = []
        visited: set[str] = set()

        def visit(name: str) -> None:
            if name in visited:
                return
            visited.add(name)
            entry = self.data.get(name) or {}
            seen.extend(host for host in entry.get("hosts", []) if host not in seen)
            for child in entry.get("children", []):
                visit(child)

        visit(group)
        if group == "all":  # a host only in _meta (no group at all) is still a host
            seen.extend(host for host in self._hostvars() if host not in seen)
        return seen

    def all_hosts(self) -> list[str]:
        return self.group_hosts("all")

    def hosts(self, pattern: str) -> list[str]:
        """The hosts that comma-separated group or host names name, in the order of the names
        (a group's in inventory order), each once. Names the inventory lacks give nothing."""
        known = set(self.all_hosts())
        found: list[str] = []
        for name in (part.strip() for part in pattern.split(",")):
            if not name:
                continue
            members = self.group_hosts(name) if name in self.data else []
            if not members and name in known:
                members = [name]
            found.extend(host for host in members if host not in found)
        return found

    def hostvars(self, host: str) -> dict[str, Any]:
        """The host's variables as ansible-inventory merges them, plain values."""
        return unwrap(self._hostvars().get(host) or {})

    def variables(self, host: str) -> dict[str, Any]:
        """Every role's defaults, overridden by the host's variables, and inventory_hostname."""
        return {**self.defaults, **self.hostvars(host), "inventory_hostname": host}

    def value(self, host: str, name: str, fallback: Any = None) -> Any:
        """One variable of the host (role default, else `fallback`), simple templates rendered."""
        variables = self.variables(host)
        return resolve(variables.get(name, fallback), variables)


def role_defaults(roles_dir: Path) -> dict[str, Any]:
    """Every role's defaults/main.yml merged (role variables carry their role's prefix, so the
    names do not collide)."""
    import yaml

    merged: dict[str, Any] = {}
    for path in sorted(roles_dir.glob("*/defaults/main.yml")):
        merged.update(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    return merged


def inventory_command(inventories: Iterable[Path], vault_password_file: Path | None) -> list[str]:
    command = [ansible_program("ansible-inventory"), "--list"]
    for inventory in inventories:
        command += ["-i", str(inventory)]
    if vault_password_file is not None:
        command += ["--vault-password-file", str(vault_password_file)]
    return command


def failure_detail(stderr: str, returncode: int) -> str:
    """ansible-inventory's errors in one line: its [ERROR] lines and the first parse warning
    (which names the file and the line), with what to do about a Vault password."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    errors = [line.removeprefix("[ERROR]:").strip() for line in lines if line.startswith("[ERROR]")]
    warnings = [
        line.removeprefix("[WARNING]:").strip()
        for line in lines
        if line.startswith("[WARNING]") and "parse" in line
    ]
    origin = [line for line in lines if line.startswith("Origin:")][:1]
    detail = "; ".join(errors + warnings[:1] + origin) or " ".join(lines[-3:])
    detail = detail or f"ansible-inventory exited {returncode}"
    if "vault" in stderr.lower():
        detail += (
            " (the inventory has Vault-encrypted files: give --vault-password-file FILE, or set "
            "ANSIBLE_VAULT_PASSWORD_FILE)"
        )
    return detail


def read(
    inventory: Path,
    *,
    vault_password_file: Path | None = None,
    roles_dir: Path | None = None,
    timeout_s: float = TIMEOUT_S,
) -> Inventory:
    """Read an inventory (file or directory) with `ansible-inventory --list`, and the roles'
    defaults (roles_dir, default the checkout's roles/; none outside a checkout)."""
    inventory = Path(inventory)
    if not inventory.exists():
        raise DifusorError(f"inventory {inventory} does not exist")
    if vault_password_file is not None and not Path(vault_password_file).exists():
        raise DifusorError(f"the Vault password file {vault_password_file} does not exist")
    env = ansible_env()
    # An inventory that does not parse at all is an error, not an empty inventory.
    env["ANSIBLE_INVENTORY_UNPARSED_FAILED"] = "true"
    env["ANSIBLE_NOCOLOR"] = "1"
    command = inventory_command([inventory], vault_password_file)
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout_s, env=env, check=False
        )
    except subprocess.TimeoutExpired:
        raise DifusorError(
            f"ansible-inventory did not finish reading {inventory} within {timeout_s:.0f} s "
            "(a dynamic inventory that does not answer?)"
        ) from None
    except OSError as exc:
        raise DifusorError(f"cannot run ansible-inventory ({exc}): run `make setup`") from None
    if result.returncode != 0:
        detail = failure_detail(result.stderr, result.returncode)
        raise DifusorError(f"ansible-inventory could not read {inventory}: {detail}")
    try:
        data = json.loads(result.stdout)
    except ValueError as exc:
        raise DifusorError(f"ansible-inventory gave no JSON for {inventory}: {exc}") from None
    if roles_dir is None:
        try:
            roles_dir = find_checkout() / "roles"
        except DifusorError:
            roles_dir = None
    defaults = role_defaults(roles_dir) if roles_dir is not None and roles_dir.is_dir() else {}
    return Inventory(data, defaults, inventory)


# --- Templates -------------------------------------------------------------------------------


def resolve(value: Any, variables: dict[str, Any], depth: int = 0) -> Any:
    """Resolve `{{ name }}` templates from the variables, and whole-value expressions that plain
    Jinja2 can render; leave other templates (lookups, Ansible filters) as written."""
    if isinstance(value, list):
        return [resolve(item, variables, depth) for item in value]
    if not isinstance(value, str) or "{{" not in value or depth > 5:
        return value
    whole = SIMPLE_TEMPLATE.fullmatch(value.strip())
    if whole and whole.group(1) in variables:
        return resolve(variables[whole.group(1)], variables, depth + 1)
    if value.strip().startswith("{{") and value.strip().endswith("}}"):
        rendered = _render_expression(value, variables)
        if rendered is not None:
            return resolve(rendered, variables, depth + 1)

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in variables and isinstance(variables[name], (str, int)):
            return str(resolve(variables[name], variables, depth + 1))
        return match.group(0)

    return SIMPLE_TEMPLATE.sub(substitute, value)


def _render_expression(text: str, variables: dict[str, Any]) -> Any:
    """A whole-value Jinja expression rendered with plain Jinja2 (no Ansible filters or
    lookups); None when it cannot be."""
    try:
        from jinja2 import StrictUndefined, Undefined
        from jinja2.exceptions import TemplateError
        from jinja2.nativetypes import NativeEnvironment
    except ImportError:  # not on a difusor host; the controller has it with Ansible
        return None
    try:
        rendered = NativeEnvironment(undefined=StrictUndefined).from_string(text).render(variables)
    except (TemplateError, TypeError, ValueError):
        return None
    # A lone undefined name comes back as an Undefined object rather than an error.
    return None if isinstance(rendered, Undefined) else rendered
