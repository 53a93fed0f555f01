"""Small read-only scripts that the compliance suite runs on a host with its python3.

They print JSON; the pure checks (difusor.compliance.checks) decide. Only the standard library
of the host's python3 is used (brotli when the host has it, as the publisher does).
"""

from __future__ import annotations

import re
import shlex

# SHA-256 of every file under a tree, and of the decompressed content of NAME.gz / NAME.br.
TREE_DIGESTS = r"""
import gzip, hashlib, json, os, sys
root = sys.argv[1]
try:
    import brotli
except ImportError:
    brotli = None
digests, decompressed, undecodable = {}, {}, []
for base, dirs, files in os.walk(root):
    dirs.sort()
    for name in sorted(files):
        path = os.path.join(base, name)
        rel = os.path.relpath(path, root)
        with open(path, "rb") as handle:
            data = handle.read()
        digests[rel] = hashlib.sha256(data).hexdigest()
        try:
            if name.endswith(".gz"):
                decompressed[rel] = hashlib.sha256(gzip.decompress(data)).hexdigest()
            elif name.endswith(".br") and brotli is not None:
                decompressed[rel] = hashlib.sha256(brotli.decompress(data)).hexdigest()
        except Exception:
            undecodable.append(rel)
print(json.dumps({"digests": digests, "decompressed": decompressed, "undecodable": undecodable}))
"""

# SHA-256 of files fetched over HTTPS from this host (certificate not verified: same host).
# Paced (argv[2]: seconds between requests) below the site's own per-client request rate: a
# real site has hundreds of files, and the audit must neither be refused (429) nor feed fail2ban.
FETCH_DIGESTS = r"""
import hashlib, json, ssl, sys, time, urllib.error, urllib.request
base, interval, paths = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
context = ssl._create_unverified_context()
out = {}
for path in paths:
    for attempt in range(3):
        try:
            with urllib.request.urlopen(base + path, context=context, timeout=10) as response:
                out[path] = hashlib.sha256(response.read()).hexdigest()
            break
        except urllib.error.HTTPError as exc:
            out[path] = "error: HTTP %d" % exc.code
            if exc.code != 429:
                break
            time.sleep(1 + attempt)
        except Exception as exc:
            out[path] = "error: " + str(exc)
            break
    time.sleep(interval)
print(json.dumps(out))
"""


def request_interval(nginx_config: str, default_rate: float = 10.0) -> float:
    """Seconds between an audit's requests: 80 % of the slowest per-client rate the site's
    nginx allows (`limit_req_zone ... rate=Nr/s`), or `default_rate` if none is found."""
    rates = [float(rate) for rate in re.findall(r"\brate=(\d+(?:\.\d+)?)r/s", nginx_config)]
    return 1 / (0.8 * min(rates)) if rates and min(rates) > 0 else 1 / default_rate


def python_command(script: str, *args: str) -> str:
    """A shell command that runs a script with the host's python3."""
    quoted = " ".join(shlex.quote(arg) for arg in args)
    return f"python3 -c {shlex.quote(script)} {quoted}".rstrip()


def tcp_probe_command(address: str, port: int, timeout_s: int = 3) -> str:
    """Exit 0 when a TCP connection opens: nc where installed, else bash's /dev/tcp."""
    target = f"{shlex.quote(address)} {int(port)}"
    return (
        f"if command -v nc >/dev/null 2>&1; then nc -z -w {int(timeout_s)} {target}; "
        f"else timeout {int(timeout_s)} bash -c "
        f"{shlex.quote(f'exec 3<>/dev/tcp/{address}/{int(port)}')}; fi"
    )


def portal_fetch_command(url: str, name: str, address: str, ca_file: str | None = None) -> str:
    """GET the portal's URL at the target's address (curl --resolve, port 443) and print the
    HTTP code and the certificate verification result; the certificate is verified with the
    vantage host's trust store, or with the CA file on that host (a test ACME server's root)."""
    cacert = f"--cacert {shlex.quote(ca_file)} " if ca_file else ""
    return (
        f"curl -sS -o /dev/null --max-time 10 {cacert}"
        f"--resolve {shlex.quote(f'{name}:443:{address}')} "
        f"-w '%{{http_code}} verify=%{{ssl_verify_result}}' {shlex.quote(url)}"
    )
