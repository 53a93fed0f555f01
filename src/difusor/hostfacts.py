"""The facts of one difusor host: where its pipeline lives, who runs it, what the call's dates are
there. Role `difusor` writes them once, from the role variables, to FACTS_PATH (JSON); the
publisher, the watchdog and notice mode read them on the host, the drill and the audit read the
same file over SSH (the audit shows it as evidence).

A host without the file (not provisioned by these roles, or the controller itself) has the
defaults below, which are the role defaults (a unit test holds the two equal).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from difusor import call
from difusor.errors import DifusorError
from difusor.package import presets
from difusor.package.layout import Settings, load_settings

FACTS_PATH = Path("/etc/difusor/facts.json")
DEFAULT_PREP_ROOT = Path("/srv/prep")
JOURNAL_NAME = "journal.jsonl"  # in the site root
# The host's part in a cluster (docs/cluster.md): the receiving node, a web node, a balancer, or
# "none" for a single-server difusor.
CLUSTER_PARTS = ("receiver", "web_node", "balancer", "none")


@dataclass(frozen=True)
class HostFacts:
    """What role `difusor` wrote to FACTS_PATH (its variables, named without `difusor_`)."""

    prep_root: Path = DEFAULT_PREP_ROOT
    incoming_dir: Path = DEFAULT_PREP_ROOT / "incoming"
    site_root: Path = DEFAULT_PREP_ROOT / "site"
    web_root: Path = DEFAULT_PREP_ROOT / "web"
    lib_dir: Path = Path("/opt/difusor/lib")
    web_log_dir: Path = Path("/var/log/difusor/web")
    package_settings: Path = Path("/etc/difusor/package.yml")
    web_settings: Path = Path("/etc/difusor/web.yml")
    # The portal's certificate chain, server certificate first (role prep_web installs it).
    tls_certificate: Path = Path("/etc/difusor/tls/fullchain.pem")
    # Node exporter's textfile collector directory: `difusor metrics write` writes there.
    metrics_dir: Path = Path("/var/lib/prometheus/node-exporter")
    web_container: str = "prep-web"
    publisher_user: str = "prep-publisher"
    operator_user: str = "prep"
    package_preset: str = presets.AUTO  # the package format (package/presets.py)
    cluster_part: str = "none"  # CLUSTER_PARTS
    # The publication window (VI.a), 'YYYY-MM-DD HH:MM' in Tiempo del Centro.
    publish_from: str = call.local_text(call.PUBLISH_FROM)
    keep_until: str = call.local_text(call.KEEP_UNTIL)
    # Where the facts came from: the file's path, or "" for the defaults.
    source: str = ""

    @property
    def journal(self) -> Path:
        return self.site_root / JOURNAL_NAME

    @classmethod
    def from_mapping(cls, data: dict[str, Any], source: str = "") -> HostFacts:
        """Facts from the file's mapping. Keys this version does not know are ignored (the audit
        may read a host provisioned by another version); a known key of the wrong type is an
        error naming it."""
        values: dict[str, Any] = {"source": source}
        for field in dataclasses.fields(cls):
            if field.name == "source" or field.name not in data:
                continue
            value = data[field.name]
            if not isinstance(value, str) or not value:
                raise DifusorError(
                    f"{source or 'host facts'}: {field.name} must be a non-empty string"
                )
            if field.type in ("Path", Path):
                if not value.startswith("/"):
                    raise DifusorError(
                        f"{source or 'host facts'}: {field.name} must be an absolute path"
                    )
                values[field.name] = Path(value)
            else:
                values[field.name] = value
        if values.get("cluster_part", "none") not in CLUSTER_PARTS:
            raise DifusorError(
                f"{source or 'host facts'}: cluster_part must be one of {', '.join(CLUSTER_PARTS)}"
            )
        return cls(**values)

    @classmethod
    def from_json(cls, text: str, source: str) -> HostFacts:
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise DifusorError(f"{source}: not JSON: {exc}") from None
        if not isinstance(data, dict):
            raise DifusorError(f"{source}: expected a JSON object of host facts")
        return cls.from_mapping(data, source)

    def as_dict(self) -> dict[str, str]:
        """The facts as written in the file (strings), with the journal's path."""
        shown = {
            field.name: str(getattr(self, field.name))
            for field in dataclasses.fields(self)
            if field.name != "source"
        }
        return {**shown, "journal": str(self.journal)}


def load(path: Path = FACTS_PATH) -> HostFacts:
    """The host's facts; the defaults when the file does not exist."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return HostFacts()
    except OSError as exc:
        raise DifusorError(f"cannot read the host facts {path}: {exc}") from exc
    return HostFacts.from_json(text, str(path))


def package_settings(facts: HostFacts, path: Path | None = None) -> Settings:
    """The package settings in force on the host: the file `path` (by default the facts' own,
    when it exists) over the facts' package preset and publication window."""
    base = {
        "preset": facts.package_preset,
        "publish_from": facts.publish_from,
        "keep_until": facts.keep_until,
    }
    path = path or facts.package_settings
    if path.exists():
        return load_settings(path, base=base)
    return Settings.from_mapping(base)


# How the drill, the demo and the audit read the facts of a remote host: this command's output
# goes to `from_command_output`.
READ_COMMAND = f"cat {FACTS_PATH} 2>/dev/null || test ! -e {FACTS_PATH}"


def from_command_output(returncode: int, stdout: str, host: str) -> HostFacts:
    """The facts of `host` from READ_COMMAND's result: the defaults when it has no facts file."""
    source = f"{host}:{FACTS_PATH}"
    if returncode != 0:
        raise DifusorError(
            f"cannot read {source} (exit {returncode}): run it as root, or with sudo"
        )
    if not stdout.strip():
        return HostFacts()
    return HostFacts.from_json(stdout, source)
