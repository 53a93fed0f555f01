import pytest

from difusor import engine
from difusor.errors import DifusorError


def test_a_user_without_docker_is_told_what_to_install(monkeypatch):
    monkeypatch.setattr(engine, "engine_answers", lambda: False)
    monkeypatch.setattr(engine, "is_root", lambda: False)
    started = []
    monkeypatch.setattr(engine.subprocess, "Popen", lambda *a, **k: started.append(a))
    with pytest.raises(DifusorError) as exc:
        engine.ensure_engine(lambda message: None)
    message = str(exc.value)
    assert "apt-get install -y docker.io" in message
    assert "usermod -aG docker" in message
    assert started == [], "nothing may be started without root"


def test_a_running_engine_is_left_alone(monkeypatch):
    monkeypatch.setattr(engine, "engine_answers", lambda: True)
    monkeypatch.setattr(engine, "ensure_commands", lambda *a: pytest.fail("installed something"))
    engine.ensure_engine(lambda message: pytest.fail(f"said {message!r}"))
