"""Addresses fail2ban holds banned, per jail, from its database (read-only).

fail2ban's database (its `dbfile`, by default DEFAULT_DB) is root's, mode 0600: the publisher's
account cannot read it, and then there is no figure (None), never an error. fail2ban 0.11+
keeps the latest ban of each address in table `bips`; older versions only `bans`.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

DEFAULT_DB = Path("/var/lib/fail2ban/fail2ban.sqlite3")  # fail2ban's own default dbfile


def banned(db: Path, now: float) -> dict[str, int] | None:
    """{jail: addresses banned at `now`}, or None when the database cannot be read."""
    try:
        with open(db, "rb"):  # sqlite would report a missing or unreadable file late
            pass
        connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=2)
    except (OSError, sqlite3.Error):
        return None
    try:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
        table = "bips" if "bips" in tables else "bans"
        jails = [row[0] for row in connection.execute("SELECT name FROM jails WHERE enabled = 1")]
        rows = connection.execute(
            f"SELECT jail, COUNT(DISTINCT ip) FROM {table} "  # a fixed table name
            "WHERE bantime < 0 OR timeofban + bantime > ? GROUP BY jail",
            (now,),
        ).fetchall()
    except sqlite3.Error:
        return None
    finally:
        connection.close()
    counts = dict.fromkeys(jails, 0)
    counts.update({str(jail): int(count) for jail, count in rows})
    return counts
