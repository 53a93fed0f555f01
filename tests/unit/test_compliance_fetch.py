"""The audit fetches a site's files paced below the site's own per-client rate (a real PREP site
has hundreds of files; a refused request must not read as a manipulated file)."""

import http.server
import json
import subprocess
import sys
import threading
import time

from difusor.compliance.remote import FETCH_DIGESTS, request_interval


def test_the_pace_follows_the_slowest_rate_of_the_config():
    config = "limit_req_zone $a zone=x:20m rate=20r/s;\nlimit_req_zone $b zone=y:1m rate=5r/s;"
    assert request_interval(config) == 1 / 4
    assert request_interval("no limits here") == 1 / 10


class Limited(http.server.BaseHTTPRequestHandler):
    """Answers 429 to every other request, like nginx's limit_req past its burst."""

    count = 0

    def do_GET(self):
        type(self).count += 1
        if type(self).count % 2:
            self.send_response(429)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = self.path.encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_a_refused_request_is_tried_again(tmp_path):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Limited)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    started = time.monotonic()
    out = subprocess.run(
        [sys.executable, "-c", FETCH_DIGESTS, base, "0.05", "a.json", "b.json"],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout
    server.shutdown()
    digests = json.loads(out)
    assert all(not value.startswith("error") for value in digests.values()), digests
    assert time.monotonic() - started >= 0.1  # paced
