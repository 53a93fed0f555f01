from pathlib import Path

import pytest

from difusor.cli import main
from difusor.errors import DifusorError
from difusor.role_docs import load_spec, render_role_readme, write_role_readmes

ROLES = Path(__file__).parents[2] / "roles"

SPEC = """\
argument_specs:
  main:
    short_description: Demo role
    description:
      - First paragraph.
      - Second paragraph,
        folded over two lines.
    options:
      demo_enabled:
        type: bool
        default: true
        description: Turn C(demo) on.
      demo_packages:
        type: list
        elements: str
        default: [curl, less]
        description: Packages to install.
      demo_mode:
        type: str
        choices: [fast, safe]
        default: safe
        description: How to run.
      demo_token:
        type: str
        required: true
        description: [Secret token., Never logged.]
      demo_server:
        type: dict
        default: {host: example.org, port: 443}
        description: Where to connect.
        options:
          host:
            type: str
            required: true
            description: Host name.
          port:
            type: int
            default: 443
            description: Port, either 443 | 8443.
"""


def make_role(roles_dir: Path, name: str = "demo", spec: str = SPEC) -> Path:
    meta = roles_dir / name / "meta"
    meta.mkdir(parents=True)
    (meta / "argument_specs.yml").write_text(spec)
    return roles_dir / name


def test_readme_has_title_descriptions_and_exact_rows(tmp_path):
    lines = render_role_readme(make_role(tmp_path)).splitlines()
    assert lines[:6] == [
        "# Role demo",
        "",
        "Demo role",
        "",
        "First paragraph.",
        "",
    ]
    assert "Second paragraph, folded over two lines." in lines
    header = lines.index("| Variable | Type | Default | Description |")
    assert lines[header + 1 : header + 9] == [
        "| --- | --- | --- | --- |",
        "| `demo_enabled` | bool | `true` | Turn `demo` on. |",
        "| `demo_packages` | list of str | `[curl, less]` | Packages to install. |",
        "| `demo_mode` | one of: fast, safe | `safe` | How to run. |",
        "| `demo_token` | str (required) |  | Secret token. Never logged. |",
        "| `demo_server` | dict | `{host: example.org, port: 443}` | Where to connect. |",
        "| `demo_server.host` | str (required) |  | Host name. |",
        r"| `demo_server.port` | int | `443` | Port, either 443 \| 8443. |",
    ]
    assert lines[header + 9 :] == [
        "",
        "This file is generated from `meta/argument_specs.yml` by `difusor docs roles`; "
        "do not edit it by hand: edit the spec and run the command again.",
    ]


def test_check_reports_stale_readmes_and_writes_nothing(tmp_path):
    role = make_role(tmp_path)
    make_role(tmp_path, "other")
    (tmp_path / "no_spec").mkdir()
    (role / "README.md").write_text("# hand-written\n")
    assert write_role_readmes(tmp_path, check=True) == [
        role / "README.md",
        tmp_path / "other/README.md",
    ]
    assert (role / "README.md").read_text() == "# hand-written\n"
    assert not (tmp_path / "other/README.md").exists()

    assert write_role_readmes(tmp_path, check=False) == [
        role / "README.md",
        tmp_path / "other/README.md",
    ]
    assert (role / "README.md").read_text() == render_role_readme(role)
    assert not (tmp_path / "no_spec/README.md").exists()
    assert write_role_readmes(tmp_path, check=True) == []


def test_cli_check_names_stale_readme_and_exits_1(tmp_path, capsys):
    make_role(tmp_path)
    assert main(["docs", "roles", "--roles-dir", str(tmp_path), "--check"]) == 1
    err = capsys.readouterr().err
    assert f"{tmp_path / 'demo/README.md'} is missing" in err
    assert "difusor docs roles" in err
    assert main(["docs", "roles", "--roles-dir", str(tmp_path)]) == 0
    assert main(["docs", "roles", "--roles-dir", str(tmp_path), "--check"]) == 0


def test_missing_main_entry_point_names_the_file(tmp_path):
    role = make_role(tmp_path, spec="argument_specs:\n  other: {}\n")
    with pytest.raises(DifusorError, match="no 'main' entry point") as exc:
        load_spec(role)
    assert str(role / "meta/argument_specs.yml") in str(exc.value)


def test_missing_spec_names_the_file(tmp_path):
    with pytest.raises(DifusorError, match=r"argument_specs\.yml: not found"):
        load_spec(tmp_path)


def test_real_role_readmes_are_up_to_date():
    assert any(ROLES.glob("*/meta/argument_specs.yml"))
    stale = write_role_readmes(ROLES, check=True)
    assert not stale, f"stale role READMEs {stale}: run `difusor docs roles`"
