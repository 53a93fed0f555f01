"""The suite's collection rules and `difusor audit` end to end on hosts that cannot be reached
(the real hosts are audited by the demo and molecule, not by unit tests)."""

import json
import subprocess
import sys

import pytest

from difusor.cli import main as difusor_main
from difusor.compliance.catalog import default_catalog


def collect(tmp_path, body):
    test_file = tmp_path / "test_suite_sample.py"
    test_file.write_text("import pytest\n\n" + body)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "difusor.compliance.plugin",
         "-p", "no:cacheprovider", "-o", "addopts=", "--rootdir", str(tmp_path), str(test_file)],
        capture_output=True, text=True, cwd=tmp_path, check=False,
    )  # fmt: skip


def test_unknown_requirement_id_is_a_collection_error(tmp_path):
    result = collect(
        tmp_path,
        '@pytest.mark.requirement("II.A.b")\ndef test_ok():\n    pass\n\n'
        '@pytest.mark.requirement("II.Q.q")\ndef test_bad():\n    pass\n\n'
        "def test_unmarked():\n    pass\n",
    )
    assert result.returncode == 4, result.stdout + result.stderr
    assert "test_bad: requirement 'II.Q.q' is not in the catalog" in result.stderr
    assert "test_unmarked: no @pytest.mark.requirement" in result.stderr


def test_known_ids_collect(tmp_path):
    result = collect(tmp_path, '@pytest.mark.requirement("VI.b")\ndef test_ok():\n    pass\n')
    assert result.returncode == 0, result.stdout + result.stderr


def test_unreachable_host_is_reported_not_crashed(tmp_path, capsys):
    out = tmp_path / "report"
    code = difusor_main(["audit", "--hosts", "ssh://nobody@127.0.0.1:1", "--format", "json,md",
                     "-o", str(out), "--no-progress"])  # fmt: skip
    assert code == 2  # nothing could be audited
    report = json.loads((out / "informe-auditoria.json").read_text())
    (host,) = report["hosts"]
    assert host["status"] == "error" and "unreachable" in host["error"]
    assert "NO SE PUDO AUDITAR" in (out / "informe-auditoria.md").read_text()
    assert report["content_sha256"] in capsys.readouterr().err


def test_waiver_for_unknown_id_is_an_error(tmp_path, capsys):
    waivers = tmp_path / "waivers.yml"
    waivers.write_text("- id: II.Q.q\n  justification: x\n  by: y\n")
    code = difusor_main(["audit", "--hosts", "local://", "--waivers", str(waivers),
                     "-o", str(tmp_path / "r")])  # fmt: skip
    assert code == 2
    assert "II.Q.q" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_invalid_catalog_is_an_error(tmp_path, capsys):
    bad = tmp_path / "call.yml"
    bad.write_text(default_catalog().read_text().replace(
        "    title_en: 16 GB of RAM\n", ""))  # fmt: skip
    code = difusor_main(
        ["audit", "--hosts", "local://", "--catalog", str(bad), "-o", str(tmp_path)]
    )
    assert code == 2
    assert "(II.A.b): missing required field title_en" in capsys.readouterr().err


def test_the_portal_ca_file_reaches_the_suite_and_its_certificate_probe(tmp_path, monkeypatch):
    """--portal-ca-file (a CA file on the vantage host, e.g. a test ACME server's root) goes from
    `difusor audit` to the suite, whose plugin knows the option, and into the probe's curl."""
    from difusor.compliance import runner
    from difusor.compliance.remote import portal_fetch_command

    seen = []

    def run_all(targets, options, *rest):
        seen.append(options)
        raise SystemExit(0)

    monkeypatch.setattr(runner, "run_all", run_all)
    ca = "/etc/ssl/pebble root.pem"
    with pytest.raises(SystemExit):
        difusor_main(["audit", "--hosts", "local://", "--portal-url", "https://prep.example.org/",
                      "--portal-ca-file", ca, "-o", str(tmp_path / "r")])  # fmt: skip
    (options,) = seen
    args = options.args()
    assert args[args.index("--portal-ca-file") + 1] == ca
    suite_help = subprocess.run(
        [sys.executable, "-m", "pytest", "--help", "-p", "difusor.compliance.plugin"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert "--portal-ca-file" in suite_help.stdout

    command = portal_fetch_command("https://prep.example.org/", "prep.example.org", "192.0.2.5", ca)
    assert "--cacert '/etc/ssl/pebble root.pem' " in command
    assert "--resolve prep.example.org:443:192.0.2.5 " in command
    assert "--cacert" not in portal_fetch_command("https://p.example.org/", "p.example.org", "::1")
