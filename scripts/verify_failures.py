#!/usr/bin/env python3
"""Print the tests that failed in a molecule verify run (its pytest JUnit XML), one line each.

`make molecule` runs it after a scenario fails, so that the failures are the last lines of the
output (molecule prints its destroy step and recap after pytest's own summary).
Usage: verify_failures.py JUNIT_XML
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def failures(junit: Path) -> list[str]:
    """`test id: first line of the message` for each failed or erroring test case."""
    lines = []
    for case in ET.parse(junit).getroot().iter("testcase"):
        for outcome in ("failure", "error"):
            for found in case.findall(outcome):
                message = (found.get("message") or found.text or "").strip().splitlines()
                lines.append(
                    f"{outcome.upper()} {case.get('classname')}::{case.get('name')}: "
                    f"{message[0][:300] if message else ''}"
                )
    return lines


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    junit = Path(argv[1])
    if not junit.is_file():
        print(f"verify failures: no {junit} (the scenario failed before verify)")
        return 0
    found = failures(junit)
    print(f"verify failures ({len(found)}) from {junit}:")
    print("\n".join(found) or "  none recorded (see the verify output above)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
