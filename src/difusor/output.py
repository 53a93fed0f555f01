"""What the `difusor` commands tell the person running them (on standard error)."""

from __future__ import annotations

import sys


def say(message: str) -> None:
    print(f"difusor: {message}", file=sys.stderr, flush=True)
