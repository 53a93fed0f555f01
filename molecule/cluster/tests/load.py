"""Readers through the balancer (runs on the scenario's client): WORKERS keep-alive HTTPS
connections at RATE requests/s in all, each response one JSON line in OUT (start and end time,
status, the cut in the page's data-corte, or the error), until the file STOP exists.

Like a browser, a request on a reused keep-alive connection that the server had closed (nothing
received) is sent again once on a new connection; any other error is a failed response."""

import http.client
import json
import os
import re
import ssl
import sys
import threading
import time

HOST, WORKERS, RATE, OUT, STOP = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), *sys.argv[4:6]
CUT = re.compile(rb'data-corte="(\d{8}_\d{4})"')
STALE = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)
CONTEXT = ssl._create_unverified_context()  # the balancer's certificate is self-signed here
lock = threading.Lock()


def fetch(connection):
    connection.request("GET", "/index.html")
    response = connection.getresponse()
    return response.status, response.read()


def worker(number):
    connection, reused = None, False
    while not os.path.exists(STOP):
        began = time.time()
        record = {"t0": began, "worker": number}
        for attempt in (1, 2):
            try:
                if connection is None:
                    connection = http.client.HTTPSConnection(HOST, 443, context=CONTEXT, timeout=30)
                    reused = False
                status, body = fetch(connection)
                reused = True
                match = CUT.search(body)
                record.update(status=status, cut=match.group(1).decode() if match else None)
                record.pop("error", None)
                break
            except Exception as exc:  # every failure is recorded
                if connection is not None:
                    connection.close()
                retry = attempt == 1 and reused and isinstance(exc, STALE)
                connection = None
                record["error"] = repr(exc)[:200]
                if not retry:
                    break
        record["t1"] = time.time()
        with lock, open(OUT, "a") as log:
            log.write(json.dumps(record) + "\n")
        time.sleep(max(0.0, WORKERS / RATE - (time.time() - began)))


threads = [threading.Thread(target=worker, args=(n,)) for n in range(WORKERS)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
