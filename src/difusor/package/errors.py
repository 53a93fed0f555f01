"""Why a results package is refused: one exception type, and the rules as data."""

from __future__ import annotations

from difusor.errors import DifusorError

# Rule id -> what it protects against. Every rejection names one of these.
RULES: dict[str, str] = {
    "unreadable": "the archive or its sidecar cannot be read",
    "bad-name": "the archive name does not follow the pattern that carries the cut time",
    "sidecar-missing": "the SHA-256 sidecar (ARCHIVE.sha256) is not beside the archive",
    "sidecar-invalid": "the sidecar is not in sha256sum format or names another file",
    "sidecar-mismatch": "the archive's SHA-256 differs from its sidecar",
    "truncated": "the archive ends early (incomplete transfer)",
    "corrupt": "the archive cannot be decoded, or a member fails its checksum",
    "unsupported": "encrypted members or a compression method other than stored/deflate",
    "overlapping-entries": "zip entries share or overlap their data (a zip-bomb technique)",
    "bad-member-name": "a member name is empty, too long, or holds control characters or '\\'",
    "bad-name-encoding": "a member name is not valid UTF-8",
    "absolute-path": "a member name is an absolute path",
    "path-traversal": "a member name has a '..' component",
    "link": "a symbolic or hard link (links are never accepted, inside the tree or not)",
    "device": "a device, FIFO or socket member",
    "bad-type": "a member of a type other than file or directory",
    "duplicate": "two members with the same path, or a path below a file",
    "too-many-files": "more members than the file-count limit",
    "too-large": "declared or actual uncompressed size over the limit, or beyond the declared size",
    "manifest-invalid": "the per-file manifest is not in sha256sum format",
    "manifest-mismatch": "a file is changed, missing from the archive, or not in the manifest",
    "bad-metadata": "the metadata file is not JSON or has no readable cut time",
    "bad-csv": "a results CSV lacks the header block (election, cut time, headers)",
    "no-results-csv": "no results CSV in the package",
    "cut-mismatch": "archive name, CSV line 2 and metadata disagree on the cut time",
    "replayed-cut": "the cut is not newer than the one being served",
}


class PackageRejected(DifusorError):
    """A package that must not be published; says which file and which rule."""

    def __init__(self, rule: str, file: str, detail: str, member: str | None = None) -> None:
        if rule not in RULES:
            raise ValueError(f"unknown rule {rule!r}")
        self.rule = rule
        self.file = file
        self.detail = detail
        self.member = member
        where = f"{file}: member {member!r}" if member is not None else file
        super().__init__(one_line(f"{where}: rejected by rule {rule}: {detail}"))


class PublishFailed(DifusorError):
    """Publishing stopped for a reason outside the package (disk full, permissions...)."""


def one_line(text: str) -> str:
    """The text with control characters escaped, so that a message stays on one line."""
    return "".join(
        char if char.isprintable() else char.encode("unicode_escape", "backslashreplace").decode()
        for char in text
    )
