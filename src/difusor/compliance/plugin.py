"""pytest plugin of the compliance suite: requirement markers, evidence, a JSON results file.

Loaded by tests/compliance/conftest.py (and by `difusor audit` with -p). Every test carries
`@pytest.mark.requirement("II.A.b", ...)` with IDs of the catalog (an unknown or missing ID is a
usage error at collection); tests record what they ran and measured through the `evidence`
fixture; `--results FILE` writes outcome + evidence of every test as JSON, the input of the
audit report.
"""

from __future__ import annotations

import json
import os
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from difusor.compliance import catalog as catalog_mod
from difusor.compliance.checks import MANUAL, NOT_APPLICABLE, Check

MANUAL_PREFIX = "MANUAL: "
EXCERPT_CHARS = 1200
STATE_KEY = pytest.StashKey["SuiteState"]()
_CURRENT: SuiteState | None = None  # collect reports carry no config


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    text = text.rstrip()
    if len(text) <= limit:
        return text
    return text[: limit - 40].rstrip() + f"\n[... {len(text) - limit + 40} characters more]"


def quiet_stderr(result: Any) -> str:
    """stderr of a command without SSH's host-key chatter."""
    return "".join(
        line
        for line in (result.stderr or "").splitlines(keepends=True)
        if not line.startswith("Warning: Permanently added")
    )


_ROOT: dict[str, bool] = {}


def is_root(host: Any) -> bool:
    name = getattr(host.backend, "hostname", "?")
    if name not in _ROOT:
        _ROOT[name] = host.run("id -u").stdout.strip() == "0"
    return _ROOT[name]


class Evidence:
    """What one test ran and measured; the report shows it beside the verdict."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []
        self.summary = ""
        self.message: dict[str, Any] | None = None  # the summary as a translatable message

    def run(self, host: Any, command: str, *, sudo: bool = False) -> Any:
        """Run a command on a host (testinfra) and keep command, exit code and an excerpt.

        sudo: the command needs root; it goes through sudo unless the connection is root.
        """
        if sudo and not is_root(host):
            with host.sudo():
                result = host.run(command)
        else:
            result = host.run(command)
        stderr = "".join(
            line
            for line in (result.stderr or "").splitlines(keepends=True)
            if not line.startswith("Warning: Permanently added")
        )
        output = (result.stdout or "") + stderr
        self.items.append(
            {
                "host": getattr(host.backend, "hostname", "?"),
                "command": command,
                "rc": result.rc,
                "output": excerpt(output),
            }
        )
        return result

    def measured(self, **values: Any) -> None:
        self.items.append({"measured": values})

    def note(self, text: str) -> None:
        self.items.append({"note": text})

    def verdict(self, check: Check) -> Check:
        """Record a check; fail the test on FAIL; MANUAL (undecidable) and N/A are skips."""
        self.summary = check.summary
        self.message = check.message
        self.items.append({"measured": check.measured})
        if check.status == MANUAL:
            pytest.skip(MANUAL_PREFIX + check.summary)
        if check.status == NOT_APPLICABLE:
            pytest.skip(check.summary)
        assert check.ok, check.summary
        return check


class SuiteState:
    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.started = datetime.now(timezone.utc)
        self.tests: list[dict[str, Any]] = []
        self.identity: dict[str, Any] = {}
        self.host_error = ""
        self.collection_errors: list[str] = []
        self.total = 0
        self.done = 0

    def progress(self) -> None:
        path = self.config.getoption("progress_file")
        if path:
            with open(path, "a", encoding="utf-8") as out:
                out.write(f"{self.done} {self.total}\n")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("difusor", "difusor compliance suite")
    group.addoption("--results", help="write outcome and evidence of every test to this JSON file")
    group.addoption(
        "--catalog",
        default=str(catalog_mod.default_catalog()),
        help="requirement catalog (default: compliance/oplever-2024.yml)",
    )
    group.addoption("--progress-file", help="append 'done total' lines as tests finish")
    group.addoption(
        "--trusted-vantage",
        help="host (testinfra URL or inventory name) that probes from a trusted source",
    )
    group.addoption(
        "--untrusted-vantage",
        help="host (testinfra URL or inventory name) that probes from an untrusted source",
    )
    group.addoption(
        "--portal-url", help="the portal's public URL (II.C.d), e.g. https://prep.example.mx/"
    )
    group.addoption(
        "--portal-ca-file",
        help="CA file on the vantage host that curl verifies the portal's certificate with "
        "(curl --cacert; e.g. a test ACME server's root), instead of its trust store",
    )
    group.addoption(
        "--target-address",
        help="address the vantage points reach the target at (default: inventory or host)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "requirement(*ids): requirement IDs of the catalog that this test covers"
    )
    config.addinivalue_line(
        "markers",
        "environment: checks what the machine, its provider or the Internet give (hardware, OS "
        "release, public IP, NTP reachability, certificate), not the roles; "
        "-m 'not environment' keeps what provisioning is responsible for",
    )
    config.addinivalue_line(
        "markers",
        "parts(*parts): the parts of a cluster the test applies to (difusor.compliance.cluster: "
        "receiver, web_node, balancer, none for a single server); N/A on the others",
    )
    config.stash[STATE_KEY] = SuiteState(config)
    global _CURRENT
    _CURRENT = config.stash[STATE_KEY]


def load_catalog(config: pytest.Config) -> catalog_mod.Catalog:
    cached = getattr(config, "_difusor_catalog", None)
    if cached is None:
        cached = catalog_mod.load(config.getoption("catalog"))
        config._difusor_catalog = cached  # type: ignore[attr-defined]
    return cached


def requirement_ids(item: pytest.Item) -> list[str]:
    return [str(ident) for mark in item.iter_markers("requirement") for ident in mark.args]


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    known = load_catalog(config)
    problems = []
    for item in items:
        ids = requirement_ids(item)
        if not ids:
            problems.append(f"{item.nodeid}: no @pytest.mark.requirement(...)")
        problems += [
            f"{item.nodeid}: requirement {ident!r} is not in the catalog {known.path.name}"
            for ident in ids
            if ident not in known
        ]
    if problems:
        raise pytest.UsageError("compliance tests:\n  " + "\n  ".join(problems))
    config.stash[STATE_KEY].total = len(items)


def pytest_collectreport(report: pytest.CollectReport) -> None:
    if report.failed and _CURRENT is not None:
        _CURRENT.collection_errors.append(f"{report.nodeid}: {report.longreprtext[-2000:]}")


@pytest.fixture
def evidence() -> Evidence:
    return Evidence()


EVIDENCE_KEY = pytest.StashKey[Evidence]()


def skip_in_setup(item: pytest.Item, evidence: Evidence, check: Check) -> None:
    """Record a verdict (N/A, MANUAL) from a fixture, before the test's own fixtures exist: the
    report shows its message like a test's."""
    item.stash[EVIDENCE_KEY] = evidence
    evidence.verdict(check)


def host_name(item: pytest.Item) -> str:
    host = item.funcargs.get("host") if hasattr(item, "funcargs") else None
    return getattr(getattr(host, "backend", None), "hostname", "") if host else ""


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    report = yield
    state: SuiteState = item.config.stash[STATE_KEY]
    if report.when == "call" or (report.when == "setup" and not report.passed):
        evidence_obj = item.funcargs.get("evidence") if hasattr(item, "funcargs") else None
        evidence_obj = evidence_obj or item.stash.get(EVIDENCE_KEY, None)
        outcome, status, summary = report.outcome, "", ""
        if report.skipped:
            reason = (
                report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
            )
            reason = reason.removeprefix("Skipped: ")
            status = "manual" if reason.startswith(MANUAL_PREFIX) else "na"
            summary = reason.removeprefix(MANUAL_PREFIX)
        elif report.failed:
            status = "fail" if report.when == "call" else "error"
            summary = (evidence_obj.summary if evidence_obj and evidence_obj.summary else "") or (
                report.longreprtext.strip().splitlines() or ["failed"]
            )[-1]
        else:
            status = "pass"
            summary = evidence_obj.summary if evidence_obj else ""
        state.tests.append(
            {
                "nodeid": item.nodeid,
                "name": item.name,
                "doc": " ".join((getattr(item.obj, "__doc__", "") or "").split()),
                "host": host_name(item),
                "requirements": requirement_ids(item),
                "outcome": outcome,
                "status": status,
                "summary": summary,
                "message": evidence_obj.message
                if evidence_obj and evidence_obj.summary and summary == evidence_obj.summary
                else None,
                "evidence": evidence_obj.items if evidence_obj else [],
                "error": excerpt(report.longreprtext, 3000) if report.failed else "",
                "duration_s": round(report.duration, 3),
            }
        )
        state.done += 1
        state.progress()
    return report


def set_host_error(config: pytest.Config, message: str) -> None:
    config.stash[STATE_KEY].host_error = message


def set_identity(config: pytest.Config, identity: dict[str, Any]) -> None:
    config.stash[STATE_KEY].identity = identity


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    path = config.getoption("results")
    if not path:
        return
    state: SuiteState = config.stash[STATE_KEY]
    data = {
        "hosts_option": config.getoption("hosts", None),
        "catalog": str(config.getoption("catalog")),
        "started_utc": state.started.isoformat(timespec="seconds"),
        "finished_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "pytest_exit": int(exitstatus),
        "host_error": state.host_error,
        "identity": state.identity,
        "collection_errors": state.collection_errors,
        "tests": state.tests,
    }
    target = Path(path)
    partial = target.with_name(target.name + f".{os.getpid()}.{time.time_ns()}.partial")
    partial.write_text(
        json.dumps(data, ensure_ascii=False, indent=1, default=str), encoding="utf-8"
    )
    os.replace(partial, target)
