"""Results packages ("paquetes de difusión"): verify, publish atomically, roll back, generate.

Modules, one job each: `layout` (format facts and settings), `presets` (the named formats of
2024), `archive` (decoding zip/tar.gz), `extract` (safe extraction policy, inner archives
included), `verify` (every rule), `hints` (which preset a rejection calls for), `inspect`,
`precompress`, `releases` (the releases/ tree and the `current` symlink), `journal` (JSON-lines
events), `publish`, `ingest` (arrivals in an incoming directory), `generate` and `synthetic`
(the 2024 layouts).
"""

from difusor.package.errors import RULES, PackageRejected, PublishFailed
from difusor.package.generate import generate
from difusor.package.ingest import Outcome, ingest
from difusor.package.journal import read_journal
from difusor.package.layout import Settings, load_settings
from difusor.package.publish import Published, publish
from difusor.package.releases import Release, list_releases, live_cut_id, rollback
from difusor.package.verify import Verified, verify

__all__ = [
    "RULES",
    "Outcome",
    "PackageRejected",
    "PublishFailed",
    "Published",
    "Release",
    "Settings",
    "Verified",
    "generate",
    "ingest",
    "list_releases",
    "live_cut_id",
    "load_settings",
    "publish",
    "read_journal",
    "rollback",
    "verify",
]
