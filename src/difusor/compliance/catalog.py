"""The requirement catalog of one call: load, validate against compliance/schema.json, look up.

A catalog is data (compliance/<call>.yml); another call is another file, not new code.
Validation errors name the entry (index and id) and the field, so that the editor knows
what to fix.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from difusor.errors import DifusorError
from difusor.inventory import find_checkout

DEFAULT_NAME = "oplever-2024.yml"
KINDS = ("automated", "probe", "manual", "optional")


@dataclass(frozen=True)
class Requirement:
    id: str
    kind: str
    mandatory: bool
    title_en: str
    title_es: str
    text_es: str
    params: dict[str, Any] = field(default_factory=dict)
    evidence: str = ""
    evidence_en: str = ""

    def title(self, lang: str) -> str:
        return self.title_en if lang == "en" else self.title_es

    def evidence_text(self, lang: str) -> str:
        """What an auditor must see, in the report's language (Spanish when not translated)."""
        return self.evidence_en if lang == "en" and self.evidence_en else self.evidence


@dataclass(frozen=True)
class Catalog:
    id: str
    version: str
    title_es: str
    title_en: str
    timezone: str
    source: str  # the call's text, relative to the catalog file ("" when not given)
    source_sha256: str
    requirements: tuple[Requirement, ...]
    path: Path
    sha256: str

    def __contains__(self, requirement_id: object) -> bool:
        return any(req.id == requirement_id for req in self.requirements)

    def get(self, requirement_id: str) -> Requirement:
        for req in self.requirements:
            if req.id == requirement_id:
                return req
        raise KeyError(requirement_id)

    def ids(self) -> list[str]:
        return [req.id for req in self.requirements]

    def params(self, requirement_id: str) -> dict[str, Any]:
        return dict(self.get(requirement_id).params)

    def title(self, lang: str) -> str:
        return self.title_en if lang == "en" else self.title_es

    @property
    def source_path(self) -> Path | None:
        """The call's text that the entries quote, beside the catalog; None when not given."""
        return self.path.parent / self.source if self.source else None


def _where(data: Any, path: list[Any]) -> str:
    """'entry 3 (II.A.b), field title_en' for an error at requirements/3/title_en."""
    if len(path) >= 2 and path[0] == "requirements" and isinstance(path[1], int):
        index = path[1]
        entry = data["requirements"][index]
        ident = entry.get("id", "<no id>") if isinstance(entry, dict) else "<not a mapping>"
        where = f"entry {index} ({ident})"
        rest = "/".join(str(part) for part in path[2:])
        return f"{where}, field {rest}" if rest else where
    return "/".join(str(part) for part in path) or "top level"


def catalog_dir() -> Path:
    """The checkout's compliance/: the catalogs and their schema."""
    return find_checkout() / "compliance"


def default_catalog() -> Path:
    return catalog_dir() / DEFAULT_NAME


def schema_path() -> Path:
    return catalog_dir() / "schema.json"


def validate(data: Any, schema_file: Path | None = None) -> list[str]:
    """Every problem of a catalog document, each naming the entry and field; [] when valid."""
    import jsonschema  # lazy: not needed on the servers

    schema = json.loads((schema_file or schema_path()).read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    problems = []
    for error in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.path))):
        path = list(error.path)
        field_name = None
        if error.validator == "required":
            missing = [name for name in error.validator_value if name not in error.instance]
            field_name = ", ".join(missing)
            message = f"missing required field {field_name}"
        elif error.validator == "additionalProperties":
            message = f"unknown field: {error.message}"
        elif error.validator == "pattern" and path[-1:] == ["id"]:
            message = f"unknown requirement id {error.instance!r}: not in the call's numbering"
        else:
            message = error.message
        problems.append(f"{_where(data, path)}: {message}")
    if not problems:
        seen: dict[str, int] = {}
        for index, entry in enumerate(data["requirements"]):
            ident = entry["id"]
            if ident in seen:
                problems.append(
                    f"entry {index} ({ident}), field id: duplicate of entry {seen[ident]}"
                )
            seen.setdefault(entry["id"], index)
    return problems


def load(path: Path | str | None = None) -> Catalog:
    """A validated catalog (default: the checkout's default_catalog()); DifusorError listing
    every problem otherwise."""
    path = Path(path) if path is not None else default_catalog()
    try:
        raw = path.read_bytes()
        data = yaml.safe_load(raw)
    except (OSError, yaml.YAMLError) as exc:
        raise DifusorError(f"cannot read the catalog {path}: {exc}") from exc
    problems = validate(data)
    if problems:
        raise DifusorError(f"invalid catalog {path}:\n  " + "\n  ".join(problems))
    head = data["catalog"]
    return Catalog(
        id=head["id"],
        version=str(head["version"]),
        title_es=head["title_es"],
        title_en=head["title_en"],
        timezone=head["timezone"],
        source=head.get("source", ""),
        source_sha256=head.get("source_sha256", ""),
        requirements=tuple(
            Requirement(
                id=entry["id"],
                kind=entry["kind"],
                mandatory=entry["mandatory"],
                title_en=entry["title_en"],
                title_es=entry["title_es"],
                text_es=" ".join(entry["text_es"].split()),
                params=dict(entry.get("params", {})),
                evidence=" ".join(entry.get("evidence", "").split()),
                evidence_en=" ".join(entry.get("evidence_en", "").split()),
            )
            for entry in data["requirements"]
        ),
        path=path,
        sha256=hashlib.sha256(raw).hexdigest(),
    )
