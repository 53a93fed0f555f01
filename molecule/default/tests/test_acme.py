"""II.C.d with a certificate by ACME: every target got its certificate from the scenario's ACME
server (pebble on the first trusted client, prepare.yml) through the webroot its container
serves, the audit reports II.C.d PASS when told to trust pebble's root (--portal-ca-file), and a
renewal forced with certbot is served without a failed request."""

import json
import time

import pytest
from conftest import INVENTORY, put_file, run_audit, wait_for

PEBBLE_ROOT = "/usr/local/share/difusor-test/pebble-root.pem"  # prepare.yml, on every client
LOOP_SCRIPT = "/root/acme-loop.sh"
LOOP_LOG = "/root/acme-loop.log"
LOOP_STOP = "/root/acme-loop.stop"


@pytest.fixture(scope="module")
def name(target) -> str:
    """The portal's name (group_vars: prep_web_server_name), a network alias of the target."""
    return f"{target.backend.host}.difusor.test"


def served_certificate(client, name: str, address: str) -> dict[str, str]:
    """Subject, issuer and serial of the certificate the target serves for the name."""
    text = client.check_output(
        f"echo | openssl s_client -connect {address}:443 -servername {name} 2>/dev/null "
        "| openssl x509 -noout -subject -issuer -serial -nameopt RFC2253"
    )
    return dict(line.split("=", 1) for line in text.splitlines())


def fetch(name: str, address: str) -> str:
    """A curl command line that GETs the portal by its name, verifying with pebble's root."""
    return (
        f"curl -sS -o /dev/null --max-time 5 --cacert {PEBBLE_ROOT} "
        f"--resolve {name}:443:{address} -w '%{{http_code}} %{{ssl_verify_result}}' https://{name}/"
    )


def test_the_certificate_served_is_issued_by_the_acme_server(
    target, name, target_address, untrusted
):
    certificate = served_certificate(untrusted, name, target_address)
    assert certificate["subject"] == f"CN={name}", certificate
    assert certificate["issuer"].startswith("CN=Pebble Intermediate CA"), certificate
    assert untrusted.check_output(fetch(name, target_address)) == "200 0"
    # Renewals are left to the distribution's timer.
    assert target.check_output("systemctl is-enabled certbot.timer") == "enabled"
    assert target.check_output("systemctl is-active certbot.timer") == "active"


def test_the_audit_reports_the_portal_certificate_passed(target, name, target_address, tmp_path):
    """II.C.d's checks only (the certificate from the untrusted client, the redirect): the whole
    suite runs in test_suite_audit."""
    result = run_audit(
        tmp_path,
        "-i",
        INVENTORY,
        "--limit",
        target.backend.host,
        # The inventory reaches the target by container name (docker exec); the vantage points
        # connect to its address (curl --resolve takes an address).
        "--target-address",
        target_address,
        "--trusted-vantage",
        "trusted",
        "--untrusted-vantage",
        "untrusted",
        "--portal-url",
        f"https://{name}/",
        "--portal-ca-file",
        PEBBLE_ROOT,
        "--pytest-arg=-kportal_certificate or http_redirects_to_https",
        "--format",
        "json",
    )
    report = json.loads((tmp_path / "informe-auditoria.json").read_text())
    (host,) = report["hosts"]
    assert host["error"] in (None, ""), host["error"]
    (item,) = [item for item in host["requirements"] if item["id"] == "II.C.d"]
    assert item["verdict"] == "PASS", (item, result.stderr[-1500:])


def test_a_forced_renewal_is_served_without_a_failed_request(target, name, target_address, trusted):
    """The first trusted client (exempt from the rate limits and the bans) GETs the page on new
    connections in a loop while certbot renews the certificate on the target as certbot.timer
    would (with the environment of its unit); the deploy hook reloads nginx."""
    before = served_certificate(trusted, name, target_address)["serial"]
    put_file(
        trusted,
        LOOP_SCRIPT,
        f"rm -f {LOOP_LOG}\n"
        f"while [ ! -e {LOOP_STOP} ]; do\n"
        f"  out=$({fetch(name, target_address)} 2>&1)\n"
        f'  echo "$out rc=$?" >> {LOOP_LOG}\n'
        "done\n",
        "700",
    )
    trusted.check_output(f"rm -f {LOOP_STOP}")
    trusted.check_output(f"systemd-run --unit=scenario-acme-loop --collect /bin/sh {LOOP_SCRIPT}")
    try:
        assert wait_for(lambda: trusted.file(LOOP_LOG).exists, 10)
        environment = target.check_output("systemctl show certbot.service -p Environment --value")
        renewed = target.run(
            f"env {environment} certbot renew --force-renewal --no-random-sleep-on-renew "
            f"--cert-name {name}"
        )
        assert renewed.rc == 0, renewed.stdout + renewed.stderr
        assert "nginx in" in renewed.stdout + renewed.stderr  # the deploy hook reloaded it
        time.sleep(2)  # requests on the new certificate
    finally:
        trusted.run(f"touch {LOOP_STOP}")
        wait_for(lambda: trusted.run("systemctl is-active scenario-acme-loop").rc != 0, 15)
    lines = trusted.check_output(f"cat {LOOP_LOG}").splitlines()
    failed = [line for line in lines if line != "200 0 rc=0"]
    assert len(lines) >= 20 and not failed, (len(lines), failed[:5])
    after = served_certificate(trusted, name, target_address)["serial"]
    live = target.check_output(
        f"openssl x509 -in /etc/letsencrypt/live/{name}/cert.pem -noout -serial"
    )
    assert after != before and live == f"serial={after}", (before, after, live)
