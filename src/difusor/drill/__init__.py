"""`difusor drill`: the continuity drill of call III.c.ii against a provisioned difusor host.

Modules: cuts (the drill's cut times), inventory (how to reach each host), remote (commands on
the host over SSH), web (what the public sees over HTTPS), evaluate (PASS/FAIL of each step from
what was observed), steps (the scripted sequence), report (the step table, es/en, and JSON),
cli (`register`: the `drill` subcommand of `difusor`).
"""

from difusor.drill.cli import register

__all__ = ["register"]
