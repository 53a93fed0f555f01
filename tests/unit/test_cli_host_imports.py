"""`difusor.cli` also runs on the difusor hosts (publisher, watchdog, notice mode) with the system
python3 and PyYAML only: building its parser must import nothing else from outside the stdlib."""

import subprocess
import sys

PROBE = """
import sys
for optional in ("brotli", "orjson"):  # accelerators the hosts may lack: their import fails
    sys.modules[optional] = None
import difusor.cli
difusor.cli.build_parser()
third_party = sorted(
    name.split(".")[0]
    for name in sys.modules
    if name.split(".")[0] not in sys.stdlib_module_names
    and not name.startswith("_") and name not in ("cython_runtime", "brotli", "orjson")
)
print(" ".join(sorted(set(third_party))))
"""


def test_building_the_parser_imports_only_stdlib_yaml_and_difusor():
    result = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True
    )
    assert set(result.stdout.split()) <= {"difusor", "yaml", "_yaml"}, result.stdout
