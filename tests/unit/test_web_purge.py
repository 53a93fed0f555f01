"""The CDN purge after a switch: settings checked, requests sent and retried, outcomes journaled."""

import http.server
import sys
import threading
import typing

import pytest

from difusor.errors import DifusorError
from difusor.package import read_journal
from difusor.web import cli, purge


class Recorder(http.server.BaseHTTPRequestHandler):
    seen: typing.ClassVar[list] = []
    status = 200

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode()
        type(self).seen.append((self.command, self.path, dict(self.headers), body))
        self.send_response(type(self).status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_BAN = do_PURGE = do_POST = _answer

    def log_message(self, *args):
        pass


@pytest.fixture
def cdn():
    Recorder.seen, Recorder.status = [], 200
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def settings_file(tmp_path, text):
    path = tmp_path / "cdn-purge.yml"
    path.write_text(text)
    return path


def test_requests_are_sent_with_the_live_cut_filled_in(tmp_path, cdn):
    path = settings_file(
        tmp_path,
        f"requests:\n  - method: BAN\n    url: {cdn}/\n    headers: {{X-Cut: '{{cut}}'}}\n"
        f'  - method: POST\n    url: {cdn}/purge\n    body: \'{{"cut": "{{cut}}"}}\'\n',
    )
    outcomes = purge.purge(purge.load_purge_settings(path), "20240602_2100", pause_s=0)
    assert [outcome.ok for outcome in outcomes] == [True, True]
    (method, _, headers, _), (post, where, _, body) = Recorder.seen
    assert (method, headers["X-Cut"]) == ("BAN", "20240602_2100")
    assert (post, where, body) == ("POST", "/purge", '{"cut": "20240602_2100"}')


def test_a_refusing_cdn_is_retried_then_reported(tmp_path, cdn):
    Recorder.status = 403
    path = settings_file(tmp_path, f"attempts: 2\nrequests: [{{method: PURGE, url: {cdn}/}}]\n")
    [outcome] = purge.purge(purge.load_purge_settings(path), "20240602_2100", pause_s=0)
    assert not outcome.ok and outcome.attempts == 2 and "403" in outcome.detail
    assert len(Recorder.seen) == 2


def test_an_unreachable_cdn_fails_within_the_timeout(tmp_path):
    path = settings_file(
        tmp_path,
        "attempts: 1\ntimeout_s: 2\nrequests: [{method: BAN, url: 'http://127.0.0.1:9/'}]\n",
    )
    [outcome] = purge.purge(purge.load_purge_settings(path), "-", pause_s=0)
    assert not outcome.ok and outcome.detail


def test_a_command_gets_the_cut(tmp_path):
    marker = tmp_path / "purged"
    path = settings_file(
        tmp_path,
        f'command: [{sys.executable}, -c, "import os,pathlib; '
        f"pathlib.Path('{marker}').write_text(os.environ['DIFUSOR_CUT'])\"]\n",
    )
    [outcome] = purge.purge(purge.load_purge_settings(path), "20240602_2115", pause_s=0)
    assert outcome.ok and marker.read_text() == "20240602_2115"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("requests: [{method: TRACE, url: 'http://cdn/'}]", "method TRACE"),
        ("requests: [{method: BAN, url: 'ftp://cdn/'}]", "http:// or https://"),
        ("requests: [{url: 'http://cdn/', header: {}}]", "unknown keys header"),
        ("attempts: 0", "attempts"),
        ("command: purge-cdn", "list of strings"),
        ("retries: 3", "unknown CDN purge settings"),
    ],
)
def test_bad_settings_say_what_to_fix(tmp_path, text, message):
    with pytest.raises(DifusorError, match=message):
        purge.load_purge_settings(settings_file(tmp_path, text))


def test_no_settings_file_means_nothing_to_purge(tmp_path):
    assert not purge.load_purge_settings(tmp_path / "absent.yml").enabled


def test_the_command_line_journals_each_outcome(tmp_path, cdn, capsys):
    site = tmp_path / "site"
    site.mkdir()
    Recorder.status = 500
    path = settings_file(
        tmp_path,
        f"attempts: 1\nrequests: [{{method: BAN, url: {cdn}/}}, {{method: PURGE, url: {cdn}/x}}]\n",
    )
    parser = cli.argparse.ArgumentParser()
    cli.register(parser.add_subparsers())
    args = parser.parse_args(
        [
            "web",
            "purge",
            "--purge-settings",
            str(path),
            "--site-root",
            str(site),
            "--web-root",
            str(tmp_path),
            "--facts",
            str(tmp_path / "none.json"),
        ]
    )
    assert cli.cmd_purge(args) == 1
    events = [entry["event"] for entry in read_journal(site)]
    assert events == ["cdn_purge_failed", "cdn_purge_failed"]
    assert "FAILED" in capsys.readouterr().out
