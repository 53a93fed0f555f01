"""Why a results package is refused: one exception type, and the rules as data."""

from __future__ import annotations

import contextlib

from difusor.errors import DifusorError

# Rule id -> what it protects against. Every rejection names one of these.
RULES: dict[str, str] = {
    "unreadable": "the archive or its sidecar cannot be read",
    "not-a-file": "the arrival is a symbolic link, FIFO, device or directory, not a regular file",
    "bad-name": "the archive name does not follow the pattern that carries the cut time",
    "sidecar-missing": "the SHA-256 sidecar (ARCHIVE.sha256) is not beside the archive",
    "sidecar-invalid": "the sidecar is not in sha256sum format or names another file",
    "sidecar-mismatch": "the archive's SHA-256 differs from its sidecar",
    "truncated": "the archive ends early (incomplete transfer)",
    "corrupt": "the archive cannot be decoded, or a member fails its checksum",
    "unsupported": "encrypted members or a compression method other than stored/deflate",
    "overlapping-entries": "zip entries share or overlap their data (a zip-bomb technique)",
    "bad-member-name": "a member name is empty, too long, or holds control characters or '\\'",
    "too-deep": "a member nested deeper than the directory depth limit",
    "too-nested": "archives inside archives nested deeper than the limit (max_nesting)",
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
    "precompressed-sibling": "the package ships NAME.gz or NAME.br beside NAME (the difusor "
    "writes its own, so that every client gets the same bytes)",
    "no-index": "the package has no index.html at its top (the site would show the waiting page)",
    "future-cut": "the cut lies further ahead of the server's clock than the tolerance",
    "synthetic": "a synthetic (test) package outside drill mode",
    "replayed-cut": "the cut is not newer than the one being served",
    "duplicate-cut": "another package of the same cut is already live (one package per cut)",
}

# Rules of a rejection that is not the package's verdict (journaled, never raised as such).
PIPELINE_RULES: dict[str, str] = {
    "io-error": "publishing failed for a reason outside the package (permissions, disk)",
    "internal-error": "the publisher failed on this arrival (a bug): filed, the next one goes on",
}

# Caps on what one arrival may put into a message or the journal.
NAME_CAP = 160  # characters of a file or member name
MESSAGE_CAP = 1000  # characters of a whole message


class PackageRejected(DifusorError):
    """A package that must not be published; says which file and which rule."""

    def __init__(
        self, rule: str, file: str | bytes, detail: str, member: str | bytes | None = None
    ) -> None:
        if rule not in RULES:
            raise ValueError(f"unknown rule {rule!r}")
        self.rule = rule
        self.file = file = shown(file)
        self.detail = detail = one_line(detail, MESSAGE_CAP)
        self.member = member = None if member is None else shown(member)
        where = f"{file}: member '{member}'" if member is not None else file
        super().__init__(one_line(f"{where}: rejected by rule {rule}: {detail}", MESSAGE_CAP))


class PublishFailed(DifusorError):
    """Publishing stopped for a reason outside the package (disk full, permissions...).
    `transient`: the machine's fault may pass (disk full, quota): the arrival is kept for the
    next pass instead of being filed as rejected."""

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


def one_line(text: str, cap: int | None = None) -> str:
    """The text with control characters, lone surrogates (undecodable bytes of a name) and other
    unprintable characters escaped, so that a message stays one readable line; with `cap`, cut
    to about that many characters (saying how many more there were)."""
    if cap is not None and len(text) > cap:
        text = text[:cap] + f"... ({len(text) - cap} more characters)"
    return "".join(
        char if char.isprintable() else char.encode("unicode_escape", "backslashreplace").decode()
        for char in text
    )


def shown(name: str | bytes, cap: int = NAME_CAP) -> str:
    """A name from outside (a file or member name, maybe not UTF-8) as it may be printed and
    journaled: undecodable bytes as \\xNN, control characters escaped, at most `cap` characters."""
    more = max(0, len(name) - 4 * cap)
    if isinstance(name, bytes):
        name = name[: 4 * cap].decode("utf-8", "backslashreplace")
    else:
        name = name[: 4 * cap]
        # A surrogate that no undecodable byte gives stays, and is escaped below.
        with contextlib.suppress(UnicodeEncodeError):
            name = name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    text = one_line(name)
    more += max(0, len(text) - cap)
    return text[:cap] + f"... ({more} more)" if more else text
