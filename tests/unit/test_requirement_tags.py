"""Requirement IDs in the roles and playbooks are the catalog's, and `--tags req_<ID>` runs them.

Walks every role's tasks and handlers (roles/*/tasks/*.yml, roles/*/handlers/*.yml) and every
playbook (playbooks/*.yml), following blocks and static imports the way Ansible inherits tags:
- every `req_<ID>` tag and every ID that starts a task name (`II.C.c | ...`) is a catalog ID;
- a task named with an ID carries that ID's tag, its own or inherited from an enclosing block, an
  `import_tasks` or the play (an `include_tasks` passes on only the tags of its `apply`);
- what the molecule audit expects the roles to provide (PROVIDED_BY_THE_ROLES in
  molecule/default/tests/test_suite_audit.py) is exactly the set of IDs that role tasks are tagged
  with and that the roles can provide: checked on the host (kind automated or optional), and
  proved by at least one compliance test that is not marked `environment` (what the machine or
  its provider gives, not the roles);
- the IDs that role specs (meta/argument_specs.yml) cite are catalog IDs.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from difusor.compliance import catalog

ROOT = Path(__file__).resolve().parents[2]
SUITE = ROOT / "tests" / "compliance"
AUDIT_TEST = ROOT / "molecule" / "default" / "tests" / "test_suite_audit.py"

# An ID in the call's numbering: a section numeral and at least one sub-part (I.E.a, V.ii.4).
ID = r"(?:VII|VI|IV|V|III|II|I)(?:\.[A-Za-z0-9]+)+"
NAMED = re.compile(rf"^\s*({ID}(?:\s*,\s*{ID})*)\s*\|")
CITED = re.compile(rf"(?<![\w.]){ID}(?![\w])")
TAG_PREFIX = "req_"
BLOCK_KEYS = ("block", "rescue", "always")
IMPORT_TASKS = ("import_tasks", "ansible.builtin.import_tasks")
INCLUDE_TASKS = ("include_tasks", "ansible.builtin.include_tasks")
PLAY_SECTIONS = ("pre_tasks", "tasks", "post_tasks", "handlers")


@dataclass(frozen=True)
class Task:
    where: str  # file, and the import chain that reached it
    name: str
    own_tags: frozenset[str]
    tags: frozenset[str]  # own and inherited
    is_handler: bool = False

    @property
    def named_ids(self) -> list[str]:
        match = NAMED.match(self.name)
        return re.findall(ID, match.group(1)) if match else []


def tag_list(value: Any) -> frozenset[str]:
    """`tags:` as Ansible reads it: a list, or one string of comma-separated tags."""
    if value is None:
        return frozenset()
    if isinstance(value, str):
        return frozenset(part.strip() for part in value.split(",") if part.strip())
    return frozenset(str(item) for item in value)


def shown(path: Path) -> str:
    """A path relative to the checkout (as is when outside it, as in the walker's own tests)."""
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def read_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8")) or []


def walk_tasks(
    tasks: list[dict[str, Any]],
    path: Path,
    inherited: frozenset[str],
    chain: tuple[str, ...],
    handler: bool = False,
) -> Iterator[Task]:
    """Every task of a task list, blocks and static imports followed, with its effective tags."""
    for task in tasks or []:
        if not isinstance(task, dict):
            continue
        own = tag_list(task.get("tags"))
        tags = inherited | own
        where = " <- ".join((*chain, shown(path)))
        name = str(task.get("name", ""))
        yield Task(where, name, own, tags, handler)
        blocks = [task[key] for key in BLOCK_KEYS if isinstance(task.get(key), list)]
        for body in blocks:
            yield from walk_tasks(body, path, tags, chain, handler)
        for key in IMPORT_TASKS:
            if key in task:
                target = path.parent / str(task[key])
                yield from walk_tasks(read_yaml(target), target, tags, (*chain, where), handler)
        for key in INCLUDE_TASKS:
            if key in task:
                spec = task[key]
                file_name = spec if isinstance(spec, str) else spec.get("file")
                applied = tag_list((task.get("apply") or {}).get("tags"))
                target = path.parent / str(file_name)
                yield from walk_tasks(
                    read_yaml(target), target, inherited | applied, (*chain, where), handler
                )


def imported_files(tasks: list[dict[str, Any]], path: Path) -> set[Path]:
    """The task files that a task list imports or includes (directly or inside blocks)."""
    found: set[Path] = set()
    for task in tasks or []:
        if not isinstance(task, dict):
            continue
        for key in BLOCK_KEYS:
            if isinstance(task.get(key), list):
                found |= imported_files(task[key], path)
        for key in (*IMPORT_TASKS, *INCLUDE_TASKS):
            if key in task:
                spec = task[key]
                file_name = spec if isinstance(spec, str) else spec.get("file")
                found.add((path.parent / str(file_name)).resolve())
    return found


def role_tasks(root: Path = ROOT) -> Iterator[Task]:
    """The tasks and handlers of every role, from each file that no other file imports (main.yml,
    and the `tasks_from` entry points such as roles/difusor/tasks/paths.yml)."""
    for role in sorted((root / "roles").iterdir()):
        for kind in ("tasks", "handlers"):
            files = sorted((role / kind).glob("*.yml"))
            imported: set[Path] = set()
            for path in files:
                imported |= imported_files(read_yaml(path), path)
            handlers = kind == "handlers"
            for path in files:
                if path.resolve() not in imported:
                    yield from walk_tasks(read_yaml(path), path, frozenset(), (), handlers)


def playbook_tasks(root: Path = ROOT) -> Iterator[Task]:
    """The tasks of every play of playbooks/*.yml, with the play's tags inherited."""
    for path in sorted((root / "playbooks").glob("*.yml")):
        for play in read_yaml(path):
            if not isinstance(play, dict):
                continue
            play_tags = tag_list(play.get("tags"))
            where = f"{shown(path)} (play {play.get('name', '?')})"
            for role in play.get("roles") or []:
                tags = tag_list(role.get("tags")) if isinstance(role, dict) else frozenset()
                yield Task(where, f"role {role}", tags, play_tags | tags)
            for section in PLAY_SECTIONS:
                yield from walk_tasks(
                    play.get(section) or [], path, play_tags, (where,), section == "handlers"
                )


def all_tasks() -> list[Task]:
    return [*role_tasks(), *playbook_tasks()]


def req_ids(tags: frozenset[str]) -> set[str]:
    return {tag[len(TAG_PREFIX) :] for tag in tags if tag.startswith(TAG_PREFIX)}


def provided_by_the_roles() -> set[str]:
    """PROVIDED_BY_THE_ROLES of the molecule audit test, read from its source."""
    tree = ast.parse(AUDIT_TEST.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "PROVIDED_BY_THE_ROLES"
            for target in node.targets
        ):
            return set(ast.literal_eval(node.value))
    raise AssertionError(f"no PROVIDED_BY_THE_ROLES in {AUDIT_TEST}")


def suite_tests() -> list[tuple[list[str], bool]]:
    """(requirement IDs, marked environment) of every test of the compliance suite."""
    found = []
    for module in sorted(SUITE.glob("test_*.py")):
        for node in ast.parse(module.read_text(encoding="utf-8")).body:
            if not (isinstance(node, ast.FunctionDef) and node.name.startswith("test_")):
                continue
            ids: list[str] = []
            environment = False
            for deco in node.decorator_list:
                text = ast.unparse(deco.func if isinstance(deco, ast.Call) else deco)
                if text.endswith("mark.requirement") and isinstance(deco, ast.Call):
                    ids += [arg.value for arg in deco.args if isinstance(arg, ast.Constant)]
                environment = environment or text.endswith("mark.environment")
            found.append((ids, environment))
    return found


def spec_strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from spec_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from spec_strings(item)


@pytest.fixture(scope="module")
def known() -> catalog.Catalog:
    return catalog.load()


@pytest.fixture(scope="module")
def tasks() -> list[Task]:
    return all_tasks()


def test_the_walk_sees_roles_imports_handlers_and_playbooks(tasks: list[Task]) -> None:
    wheres = {task.where.split(" <- ")[-1].split(" (")[0] for task in tasks}
    assert "roles/prep_web/tasks/container.yml" in wheres  # imported by main.yml
    assert "roles/difusor/tasks/paths.yml" in wheres  # a tasks_from entry point
    assert "roles/ssh/handlers/main.yml" in wheres
    assert "playbooks/collect.yml" in wheres
    assert len([task for task in tasks if task.named_ids]) > 100


def test_every_req_tag_is_a_catalog_id(tasks: list[Task], known: catalog.Catalog) -> None:
    unknown = sorted(
        f"{task.where}: {task.name!r} tags req_{ident}"
        for task in tasks
        for ident in req_ids(task.own_tags)
        if ident not in known
    )
    assert not unknown, "req_ tags that are not catalog IDs:\n" + "\n".join(unknown)


def test_every_id_that_starts_a_task_name_is_a_catalog_id(
    tasks: list[Task], known: catalog.Catalog
) -> None:
    unknown = sorted(
        f"{task.where}: {task.name!r}"
        for task in tasks
        for ident in task.named_ids
        if ident not in known
    )
    assert not unknown, "task names that start with an ID not in the catalog:\n" + "\n".join(
        unknown
    )


def test_a_task_named_with_an_id_carries_its_tag(tasks: list[Task]) -> None:
    """So that `--tags req_<ID>` runs every task that says it serves <ID>."""
    untagged = sorted(
        f"{task.where}: {task.name!r} lacks req_{ident} (has {sorted(task.tags) or 'no tags'})"
        for task in tasks
        if not task.is_handler  # handlers run when notified, whatever the tags
        for ident in task.named_ids
        if f"{TAG_PREFIX}{ident}" not in task.tags
    )
    assert not untagged, "tasks named with an ID but not tagged with it:\n" + "\n".join(untagged)


def test_what_the_audit_expects_the_roles_to_provide_is_what_they_are_tagged_with(
    known: catalog.Catalog,
) -> None:
    tagged = {ident for task in role_tasks() for ident in req_ids(task.tags)}
    only_environment = {
        ident
        for ident in tagged
        if all(environment for ids, environment in suite_tests() if ident in ids)
    }
    providable = {
        ident
        for ident in tagged - only_environment
        if ident in known and known.get(ident).kind in ("automated", "optional")
    }
    expected = provided_by_the_roles()
    assert not expected - providable, (
        f"{AUDIT_TEST.name} expects the roles to provide {sorted(expected - providable)}, "
        "but no role task is tagged with them (or only environment tests prove them)"
    )
    assert not providable - expected, (
        f"role tasks are tagged with {sorted(providable - expected)}, checked on the host, "
        f"but {AUDIT_TEST.name} does not expect them to pass"
    )


def test_role_specs_cite_catalog_ids(known: catalog.Catalog) -> None:
    unknown = []
    for spec in sorted(ROOT.glob("roles/*/meta/argument_specs.yml")):
        for text in spec_strings(read_yaml(spec)):
            unknown += [
                f"{spec.relative_to(ROOT)}: {ident} in {text[:60]!r}"
                for ident in CITED.findall(text)
                if ident not in known
            ]
    assert not unknown, "role specs cite IDs that are not in the catalog:\n" + "\n".join(unknown)


# --- the walker itself, on a made-up role --------------------------------------------------


def make_tasks(tmp_path: Path, files: dict[str, Any]) -> list[Task]:
    for name, content in files.items():
        (tmp_path / name).write_text(yaml.safe_dump(content), encoding="utf-8")
    main = tmp_path / "main.yml"
    return list(walk_tasks(read_yaml(main), main, frozenset(), ()))


def test_tags_come_from_blocks_and_imports_not_from_includes(tmp_path: Path) -> None:
    found = make_tasks(
        tmp_path,
        {
            "main.yml": [
                {
                    "name": "VI.a | Guard",
                    "ansible.builtin.import_tasks": "guard.yml",
                    "tags": ["req_VI.a"],
                },
                {
                    "name": "I.H | Dynamic",
                    "ansible.builtin.include_tasks": "dynamic.yml",
                    "tags": ["req_I.H"],
                },
                {
                    "name": "A block",
                    "tags": "web, req_II.C.c",
                    "block": [{"name": "II.C.c | Inside", "ansible.builtin.debug": None}],
                },
            ],
            "guard.yml": [{"name": "VI.a | Imported", "ansible.builtin.debug": None}],
            "dynamic.yml": [{"name": "I.H | Included", "ansible.builtin.debug": None}],
        },
    )
    tags = {task.name: task.tags for task in found}
    assert "req_VI.a" in tags["VI.a | Imported"]
    assert "req_II.C.c" in tags["II.C.c | Inside"]
    assert "req_I.H" not in tags["I.H | Included"]  # Ansible: include tags stay on the include
    assert found[0].named_ids == ["VI.a"]
    assert Task("x", "I.E.a, I.E.b | Log", frozenset(), frozenset()).named_ids == [
        "I.E.a",
        "I.E.b",
    ]
    assert Task("x", "Check the web settings", frozenset(), frozenset()).named_ids == []
    assert Task("x", "I.E | Install logrotate", frozenset(), frozenset()).named_ids == ["I.E"]


def test_cited_ids_in_prose() -> None:
    text = "call I.H, II.C.c-e, V.ii.4 (I.E.a-d); see VII and e.g. the log"
    assert CITED.findall(text) == ["I.H", "II.C.c", "V.ii.4", "I.E.a"]
    assert CITED.findall("keeps the logs (call I.E, VII)") == ["I.E"]
