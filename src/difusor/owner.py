"""Root writing the pipeline's files writes them as their owner.

The publisher's and the watchdog's units run as an unprivileged account that owns the site root
(role difusor's `difusor_publisher_user`). A command run as root that writes there (`package
publish`, `rollback`, `ingest`, `notice on|off`, `web watchdog`) first becomes that owner, for
good: a release, marker or state file that root made would be out of the units' reach (a release
they could not prune, a state file they could not replace).
"""

from __future__ import annotations

import os
import pwd
from pathlib import Path

from difusor.errors import DifusorError


def act_as_owner_of(path: Path) -> str | None:
    """As root, when `path` belongs to another account: switch to that account (its group and
    supplementary groups too) and return its name. Otherwise change nothing and return None."""
    if os.geteuid() != 0:
        return None
    try:
        uid = os.stat(path).st_uid
    except OSError:
        return None  # not there (yet): the command itself says so
    if uid == 0:
        return None
    try:
        account = pwd.getpwuid(uid)
    except KeyError:
        raise DifusorError(
            f"{path} belongs to uid {uid}, which has no account: give it to the publisher's "
            "account (playbooks/site.yml does) before writing there as root"
        ) from None
    os.initgroups(account.pw_name, account.pw_gid)
    os.setgid(account.pw_gid)
    os.setuid(account.pw_uid)
    return account.pw_name


def readable_by_now(path: Path, who: str | None) -> None:
    """After act_as_owner_of: a file the command reads must be readable by that account."""
    if who is not None and not os.access(path, os.R_OK):
        raise DifusorError(
            f"{path} is not readable by {who}, the owner of the site root, which this command "
            "writes as: put the package where that account can read it (e.g. /var/tmp)"
        )
