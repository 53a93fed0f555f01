"""difusor images facts: what each target brings, parsed from captured probe output (the
fixtures are the output of the probe in the built images; the archive host names replaced)."""

from __future__ import annotations

from pathlib import Path

import pytest

from difusor import images, target_facts
from difusor.cli import main
from difusor.target_facts import PackageFact

FIXTURES = Path(__file__).parent / "fixtures" / "target_facts"


def probe(name: str) -> str:
    return (FIXTURES / f"{name}.txt").read_text(encoding="utf-8")


def test_the_targets_are_the_systemd_hosts_built_from_an_archive():
    names = [recipe.name for recipe in target_facts.target_recipes(images.load_recipes())]
    assert names == ["debian12", "debian13", "ubuntu2204", "ubuntu2404"]


def test_ubuntu_2204_installed_versions_and_apt_candidates_with_their_suite():
    os_name, facts = target_facts.parse_probe(probe("ubuntu2204"))
    assert os_name == "Ubuntu 22.04.5 LTS"
    assert list(facts) == list(target_facts.PACKAGES)
    assert facts["python3"] == PackageFact("python3", "3.10.6-1~22.04.1", True)
    assert facts["openssh-server"] == PackageFact("openssh-server", "1:8.9p1-3ubuntu0.18", True)
    assert facts["systemd"].version.startswith("249.")
    # Docker 29 comes from jammy-updates (jammy itself has 20.10): the candidate, not the first.
    assert facts["docker.io"] == PackageFact(
        "docker.io", "29.1.3-0ubuntu3~22.04.2", False, "jammy-updates/universe"
    )
    assert facts["fail2ban"] == PackageFact("fail2ban", "0.11.2-6", False, "jammy/universe")
    # ufw is known to dpkg ("un": not installed): the candidate is what counts.
    assert facts["ufw"].installed is False
    assert facts["ufw"].version == "0.36.1-4ubuntu0.1"


def test_debian_12():
    os_name, facts = target_facts.parse_probe(probe("debian12"))
    assert os_name == "Debian GNU/Linux 12 (bookworm)"
    assert facts["python3"].version == "3.11.2-1+b1" and facts["python3"].installed
    assert facts["docker.io"].version.startswith("20.10.")
    assert facts["chrony"].origin == "bookworm/main"


def test_a_package_neither_installed_nor_in_the_lists():
    text = (
        "os: Example 1\n== dpkg\nfoo\trc \t1.0\nbar\tii \t2.0\n== apt\n"
        "foo:\n  Installed: (none)\n  Candidate: (none)\n  Version table:\n"
        "bar:\n  Installed: 2.0\n  Candidate: 2.0\n"
    )
    _, facts = target_facts.parse_probe(text, ["foo", "bar", "baz"])
    assert facts["foo"] == PackageFact("foo", None, False)  # config files left: not installed
    assert facts["bar"] == PackageFact("bar", "2.0", True)
    assert facts["baz"] == PackageFact("baz", None, False)  # apt-cache printed nothing for it
    assert target_facts.cell(facts["baz"]) == "no está en el archivo"


def test_the_page_has_one_column_per_target_and_names_its_images():
    facts = []
    for name in ("ubuntu2204", "debian12"):
        os_name, packages = target_facts.parse_probe(probe(name))
        facts.append(
            target_facts.ImageFacts(
                name, f"difusor/{name}:latest", os_name, f"sha256:{name}", "d1g", "2026-12-01",
                packages,
            )
        )  # fmt: skip
    page = target_facts.render_markdown(facts)
    lines = page.splitlines()
    assert lines[0].startswith("<!-- Generado por `difusor images facts --output docs/targets.md`")
    header = next(line for line in lines if line.startswith("| Paquete |"))
    assert header == (
        "| Paquete | Ubuntu 22.04.5 LTS (`ubuntu2204`) | Debian GNU/Linux 12 (bookworm) "
        "(`debian12`) |"
    )
    docker_row = next(line for line in lines if line.startswith("| docker.io |"))
    assert "`29.1.3-0ubuntu3~22.04.2` (apt, jammy-updates/universe)" in docker_row
    assert "| python3 | `3.10.6-1~22.04.1` | `3.11.2-1+b1` |" in lines
    assert "| `difusor/ubuntu2204:latest` | 2026-12-01 | `d1g` | `sha256:ubuntu2204` |" in lines
    assert max(len(line) for line in lines[1:] if not line.startswith("|")) <= 100


def test_the_probe_runs_the_image_without_network_or_systemd():
    command = target_facts.probe_command("difusor/ubuntu2204:latest", ["rsync"])
    assert command[:7] == ["docker", "run", "--rm", "--network", "none", "--entrypoint", "/bin/sh"]
    assert command[-2:] == ["probe", "rsync"]


def test_facts_without_build_skip_what_is_not_built_and_exit_1(monkeypatch, tmp_path, capsys):
    recipes = images.load_recipes()
    monkeypatch.setattr("difusor.engine.ensure_engine", lambda say: None)
    monkeypatch.setattr(
        images,
        "built_digest",
        lambda tag: images.digest(recipes["ubuntu2204"], recipes) if "2204" in tag else None,
    )
    read = []

    def fake_read(recipe):
        read.append(recipe.name)
        _, packages = target_facts.parse_probe(probe("ubuntu2204"))
        return target_facts.ImageFacts(recipe.name, recipe.tag, "Ubuntu 22.04.5 LTS", "", "", "",
                                       packages)  # fmt: skip

    monkeypatch.setattr(target_facts, "read_facts", fake_read)
    out = tmp_path / "targets.md"
    assert main(["images", "facts", "--no-build", "--output", str(out)]) == 1
    assert read == ["ubuntu2204"]
    assert "skipped debian12" in capsys.readouterr().err
    assert "(`ubuntu2204`)" in out.read_text(encoding="utf-8")


def test_an_unknown_image_is_a_clear_error(monkeypatch):
    monkeypatch.setattr("difusor.engine.ensure_engine", lambda say: None)
    with pytest.raises(target_facts.DifusorError, match="unknown image nosuch"):
        target_facts.gather(["nosuch"], build=False)
