"""scripts/verify_failures.py: a failed molecule verify ends with the names of its failed tests."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]
SCRIPT = ROOT / "scripts" / "verify_failures.py"


def test_failed_and_erroring_tests_are_listed_passing_ones_not(tmp_path: Path):
    (tmp_path / "test_sample.py").write_text(
        "import pytest\n"
        "@pytest.fixture\n"
        "def broken():\n"
        "    raise RuntimeError('fixture down')\n"
        "def test_fails():\n"
        "    assert 1 == 2, 'the live cut is not shown'\n"
        "def test_errors(broken):\n"
        "    pass\n"
        "def test_passes():\n"
        "    pass\n"
    )
    junit = tmp_path / "out" / "verify.xml"
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={junit}"],
        cwd=tmp_path,
        capture_output=True,
        check=False,
    )
    out = subprocess.run(
        [sys.executable, str(SCRIPT), str(junit)], capture_output=True, text=True, check=True
    ).stdout
    assert "verify failures (2)" in out
    assert "FAILURE test_sample::test_fails: AssertionError: the live cut is not shown" in out
    assert "ERROR test_sample::test_errors" in out and "fixture down" in out
    assert "test_passes" not in out


def test_no_report_means_the_scenario_failed_before_verify(tmp_path: Path):
    result = subprocess.run(
        [sys.executable, str(SCRIPT), str(tmp_path / "missing.xml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0 and "failed before verify" in result.stdout
