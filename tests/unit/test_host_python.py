"""The host side runs on every target's Python (3.10 to 3.13): the vermin check of `make lint`
refuses what is newer than 3.10, and the list of host-side tests stays true."""

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]
SCRIPT = ROOT / "scripts" / "host_python.py"

spec = importlib.util.spec_from_file_location("host_python", SCRIPT)
host_python = importlib.util.module_from_spec(spec)
spec.loader.exec_module(host_python)


def lint(*paths: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), "lint", *paths],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def test_vermin_refuses_datetime_utc(tmp_path):
    module = tmp_path / "uses_utc.py"
    module.write_text("from datetime import UTC, datetime\n\nprint(datetime.now(UTC))\n")
    result = lint(str(module))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "'datetime.UTC' member requires !2, 3.11" in result.stdout
    assert str(module) in result.stdout


def test_vermin_refuses_other_3_11_apis(tmp_path):
    module = tmp_path / "newer.py"
    module.write_text("import tomllib\nfrom typing import Self\nfrom enum import StrEnum\n")
    result = lint(str(module))
    assert result.returncode == 1, result.stdout + result.stderr
    for name in ("tomllib", "typing.Self", "enum.StrEnum"):
        assert f"'{name}'" in result.stdout


def test_the_host_side_tree_passes():
    result = lint()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "--target=3.10-" in result.stdout
    for part in host_python.HOST_TREE:
        assert f" {part}" in result.stdout
    assert "difusor.compliance.remote.TREE_DIGESTS.py" in result.stdout  # the python3 -c scripts


def test_host_tests_exist_and_skip_what_hosts_lack():
    """Every listed file exists, and none needs what a server's python3 lacks."""
    assert host_python.HOST_TESTS
    for name in host_python.HOST_TESTS:
        text = (ROOT / name).read_text()
        assert not re.search(r"^\s*(from|import) (ansible|docker|jinja2|rich)\b", text, re.M), name


def test_host_test_pins_follow_the_dev_pins():
    def pins(path: Path) -> dict[str, str]:
        found = re.findall(r"^([A-Za-z0-9_.-]+)==([^\s;]+)", path.read_text(), re.M)
        return {name.lower(): version for name, version in found}

    dev = pins(ROOT / "requirements" / "dev.txt")
    host = pins(host_python.HOST_REQUIREMENTS)
    assert {"pytest", "pyyaml"} <= host.keys()
    assert {name: host[name] for name in host if name in dev} == {
        name: dev[name] for name in host if name in dev
    }


def test_interpreters_are_found_per_minor_version():
    found, missing = host_python.interpreters()
    assert sorted([*found, *missing]) == list(host_python.HOST_MINORS)
    for minor, (version, python) in found.items():
        assert version.startswith(f"3.{minor}.") and Path(python).exists()
