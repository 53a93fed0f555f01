"""The Ansible module library/difusor_package.py, run by ansible on this machine."""

import json
import os
import subprocess
import sys
from pathlib import Path

from package_kit import CUT, LATER

from difusor.package import generate, live_cut_id

ROOT = Path(__file__).parents[2]
ANSIBLE = Path(sys.executable).parent / "ansible"


def module(args: dict, *, check: bool = False) -> dict:
    env = {
        **os.environ,
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1",
        "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.json",
        "ANSIBLE_CALLBACKS_ENABLED": "ansible.builtin.json",  # no profile_tasks lines
    }
    command = [str(ANSIBLE), "localhost", "-c", "local", "-i", "localhost,"]
    command += ["-e", f"ansible_python_interpreter={sys.executable}"]
    command += ["-m", "difusor_package", "-a", json.dumps(args)] + (["--check"] if check else [])
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=env, check=False)
    return json.loads(done.stdout)["plays"][0]["tasks"][0]["hosts"]["localhost"]


def test_publish_is_idempotent_and_check_mode_writes_nothing(tmp_path):
    site = tmp_path / "site"
    first = generate(CUT, tmp_path / "in", rows=5)
    later = generate(LATER, tmp_path / "in", rows=5)
    assert module({"archive": str(first), "root": str(site), "drill": True})["changed"]
    assert live_cut_id(site) == first.name[:13]
    assert not module({"archive": str(first), "root": str(site)})["changed"]
    would = module({"archive": str(later), "root": str(site)}, check=True)
    assert would["changed"] and live_cut_id(site) == first.name[:13]


def test_a_rejected_package_fails_with_its_rule(tmp_path):
    archive = generate(CUT, tmp_path / "in", rows=5)
    archive.write_bytes(archive.read_bytes()[:-8])
    result = module({"archive": str(archive), "root": str(tmp_path / "site")})
    assert result.get("failed") and result["rule"] == "sidecar-mismatch"


def test_rollback_makes_the_previous_cut_live(tmp_path):
    site = tmp_path / "site"
    for cut in (CUT, LATER):
        archive = str(generate(cut, tmp_path / "in", rows=5))
        module({"archive": archive, "root": str(site), "drill": True})
    assert live_cut_id(site).endswith(f"{LATER:%H%M}")
    result = module({"state": "rolled_back", "root": str(site)})
    assert result["changed"] and live_cut_id(site).endswith(f"{CUT:%H%M}")
