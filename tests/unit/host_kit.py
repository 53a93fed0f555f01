"""A difusor host's facts file in a temporary directory, its paths under it (standard library
only: the host-side tests use it)."""

from __future__ import annotations

import json
from pathlib import Path


def facts_file(tmp_path: Path, **changes: str) -> Path:
    facts = {
        "prep_root": str(tmp_path / "prep"),
        "incoming_dir": str(tmp_path / "prep/in"),
        "site_root": str(tmp_path / "prep/sitio"),
        "web_root": str(tmp_path / "prep/web"),
        "package_settings": str(tmp_path / "package.yml"),
        "web_settings": str(tmp_path / "web.yml"),
        **changes,
    }
    path = tmp_path / "facts.json"
    path.write_text(json.dumps(facts))
    return path
