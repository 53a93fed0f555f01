import pytest

from difusor import __version__
from difusor.cli import main


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert __version__ in capsys.readouterr().out


@pytest.mark.parametrize("argv", [[], ["nonsense"], ["sandbox", "sideways"]])
def test_usage_errors_exit_2(argv):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2


def test_bad_platforms_give_a_clear_error_and_exit_1(capsys, monkeypatch):
    monkeypatch.setattr("difusor.engine.ensure_engine", lambda say: None)
    assert main(["sandbox", "up", "--platforms", "[{name: a}]"]) == 1
    assert "entry 0 needs a 'name' and an 'image'" in capsys.readouterr().err
