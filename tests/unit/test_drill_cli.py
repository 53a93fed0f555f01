import argparse
from datetime import UTC, datetime

import pytest

from difusor import drill, inventory
from difusor.cli import main as difusor_main
from difusor.drill import cli


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="difusor")
    drill.register(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(["drill", *argv])


def test_options_and_defaults(tmp_path):
    args = parse("-i", str(tmp_path / "hosts.yml"))
    assert (args.lang, args.limit, args.json, args.timeout, args.force) == (
        "es",
        None,
        None,
        60.0,
        False,
    )
    assert args.func is cli.cmd_drill
    with pytest.raises(SystemExit):
        parse("-i", "x", "--lang", "fr")


class InWindow(datetime):
    @classmethod
    def now(cls, tz=None):
        return datetime(2024, 6, 3, 12, 0, tzinfo=UTC)


def test_refused_inside_the_publication_window(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(cli, "datetime", InWindow)
    assert difusor_main(["drill", "-i", str(tmp_path / "hosts.yml")]) == cli.EXIT_NOT_RUN
    assert "refusing to run the continuity drill" in capsys.readouterr().err


def test_forced_inside_the_window_goes_on_to_the_inventory(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(cli, "datetime", InWindow)
    assert difusor_main(["drill", "--force", "-i", str(tmp_path / "none.yml")]) == cli.EXIT_NOT_RUN
    err = capsys.readouterr().err
    assert "refusing" not in err and "none.yml does not exist" in err


def test_a_missing_password_is_exit_2_naming_the_variable(monkeypatch, tmp_path, capsys):
    data = {"_meta": {"hostvars": {"h": {}}}, "difusores": {"hosts": ["h"]}}
    monkeypatch.setattr(inventory, "read", lambda path, **options: inventory.Inventory(data))
    monkeypatch.delenv("RSYNC_PASSWORD", raising=False)
    assert difusor_main(["drill", "-i", str(tmp_path / "hosts.yml")]) == cli.EXIT_NOT_RUN
    assert "rsync_receiver_password" in capsys.readouterr().err
