"""The `--format` option of the report commands: comma-separated output formats."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence


def format_option(known: Callable[[], Sequence[str]]) -> Callable[[str], list[str]]:
    """An argparse `type` that reads `html,pdf,...` against the formats `known()` returns
    (a function, so that a renderer's module is imported only when the option is used)."""

    def parse(text: str) -> list[str]:
        formats = list(known())
        chosen = [item.strip().lower() for item in text.split(",") if item.strip()]
        unknown = [item for item in chosen if item not in formats]
        if unknown or not chosen:
            raise argparse.ArgumentTypeError(
                f"unknown format {', '.join(unknown) or text!r}; choose among {', '.join(formats)}"
            )
        return list(dict.fromkeys(chosen))

    return parse
