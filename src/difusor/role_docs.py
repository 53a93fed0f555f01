"""Role READMEs generated from meta/argument_specs.yml, the source of truth for role variables."""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from difusor.errors import DifusorError
from difusor.output import say

ANSIBLE_CODE = re.compile(r"\bC\(([^()]*)\)")
SPEC = Path("meta/argument_specs.yml")
FOOTER = (
    "This file is generated from `meta/argument_specs.yml` by `difusor docs roles`; "
    "do not edit it by hand: edit the spec and run the command again."
)


def load_spec(role_dir: Path) -> dict:
    """The `main` entry point of the role's argument spec."""
    path = role_dir / SPEC
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DifusorError(f"{path}: not found") from None
    except yaml.YAMLError as exc:
        raise DifusorError(f"{path}: not valid YAML: {exc}") from None
    specs = data.get("argument_specs") if isinstance(data, dict) else None
    main = specs.get("main") if isinstance(specs, dict) else None
    if not isinstance(main, dict):
        raise DifusorError(f"{path}: no 'main' entry point under argument_specs")
    return main


def _inline(value: Any) -> str:
    """A value as compact one-line YAML: true, [a, b], {k: v}."""
    text = yaml.safe_dump(
        value, default_flow_style=True, sort_keys=False, allow_unicode=True, width=10**6
    )
    return text.removesuffix("\n").removesuffix("\n...").strip()


def _paragraphs(description: str | list[str] | None) -> list[str]:
    return [description] if isinstance(description, str) else [str(p) for p in description or []]


def _text(description: str | list[str] | None) -> str:
    """Paragraphs joined on one line, whitespace collapsed (a table cell holds one line), with
    Ansible's C(code) markup as Markdown code."""
    text = " ".join(" ".join(paragraph.split()) for paragraph in _paragraphs(description))
    return ANSIBLE_CODE.sub(r"`\1`", text)


def _cell(text: str) -> str:
    return text.replace("|", r"\|")


def _type(option: dict) -> str:
    kind = option.get("type", "str")
    if "elements" in option:
        kind = f"{kind} of {option['elements']}"
    if "choices" in option:
        choices = "one of: " + ", ".join(_inline(choice) for choice in option["choices"])
        kind = f"{kind}, each {choices}" if "elements" in option else choices
    if option.get("required") and "default" not in option:
        kind += " (required)"
    return kind


def _rows(options: dict, prefix: str = "") -> Iterator[str]:
    for name, option in options.items():
        option = option or {}
        default = f"`{_inline(option['default'])}`" if "default" in option else ""
        cells = [f"`{prefix}{name}`", _type(option), default, _text(option.get("description"))]
        yield "| " + " | ".join(_cell(cell) for cell in cells) + " |"
        if option.get("options"):
            inner = "[]." if option.get("type") == "list" else "."
            yield from _rows(option["options"], f"{prefix}{name}{inner}")


def render_role_readme(role_dir: Path) -> str:
    spec = load_spec(role_dir)
    lines = [f"# Role {role_dir.name}", ""]
    for paragraph in [spec.get("short_description"), *_paragraphs(spec.get("description"))]:
        if paragraph:
            lines += [_text(paragraph), ""]
    lines += ["## Variables", ""]
    if spec.get("options"):
        lines += ["| Variable | Type | Default | Description |", "| --- | --- | --- | --- |"]
        lines += [*_rows(spec["options"]), ""]
    else:
        lines += ["This role has no variables.", ""]
    lines.append(FOOTER)
    return "\n".join(lines) + "\n"


def write_role_readmes(roles_dir: Path, check: bool) -> list[Path]:
    """The READMEs that were missing or out of date; written unless `check`."""
    if not roles_dir.is_dir():
        raise DifusorError(f"{roles_dir}: no such roles directory")
    stale = []
    for role_dir in sorted(path for path in roles_dir.iterdir() if (path / SPEC).is_file()):
        readme = role_dir / "README.md"
        text = render_role_readme(role_dir)
        if not readme.is_file() or readme.read_text(encoding="utf-8") != text:
            stale.append(readme)
            if not check:
                readme.write_text(text, encoding="utf-8")
    return stale


# --- CLI -------------------------------------------------------------------------------------


def cmd_docs(args: argparse.Namespace) -> int:
    readmes = write_role_readmes(args.roles_dir, check=args.check)
    command = "difusor docs roles" + (
        "" if args.roles_dir == Path("roles") else f" --roles-dir {args.roles_dir}"
    )
    for readme in readmes:
        if args.check:
            state = "out of date" if readme.exists() else "missing"
            say(f"{readme} is {state}; run `{command}` and commit the result")
        else:
            say(f"wrote {readme}")
    if not readmes:
        say(f"the role READMEs in {args.roles_dir} are up to date")
    return 1 if args.check and readmes else 0


def register(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """`difusor docs roles`."""
    parser = commands.add_parser(
        "docs", help="generate the role READMEs from meta/argument_specs.yml"
    )
    parser.add_argument("what", choices=["roles"])
    parser.add_argument(
        "--roles-dir", type=Path, default=Path("roles"), help="(default: %(default)s)"
    )
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if a README is stale"
    )
    parser.set_defaults(func=cmd_docs)
    return parser
