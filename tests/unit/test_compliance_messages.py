"""The one message table: every sentence in both languages, with the same placeholders."""

import re
import string
from pathlib import Path

from difusor.compliance import checks
from difusor.compliance.messages import CHECK_TEXTS, MESSAGES, check_text
from difusor.compliance.report import model

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [*ROOT.glob("src/difusor/compliance/*.py"), *ROOT.glob("tests/compliance/*.py")]


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_both_languages_everywhere():
    for table in (MESSAGES, CHECK_TEXTS):
        for key, entry in table.items():
            assert set(entry) == {"es", "en"}, key
            assert placeholders(entry["es"]) == placeholders(entry["en"]), key


def test_every_message_used_in_the_code_exists():
    used = set()
    for source in SOURCES:
        used |= set(re.findall(r'\bmsg\(\s*"(\w+)"', source.read_text()))
    assert len(used) > 40
    assert used <= set(CHECK_TEXTS), used - set(CHECK_TEXTS)


def test_check_sentences_in_spanish_and_english():
    check = checks.check_ram(16318412, {"min_ram_gb": 16})
    assert check.summary.startswith("MemTotal 16.71 GB (15.56 GiB); required >= 16 GB")
    values = check.message["values"]
    spanish = check_text(check.message["key"], values, "es")
    assert spanish == "MemTotal 16.71 GB (15.56 GiB); se requiere >= 16 GB = 14.90 GiB"
    parts = checks.check_firewall(
        checks.parse_ufw_status("Status: inactive\n"),
        {"public_tcp_ports": [80], "trusted_tcp_ports": [22]},
    )
    text = check_text(parts.message["key"], parts.message["values"], "es")
    assert text.startswith("ufw no está activo; la política de entrada por omisión es ?")


def test_report_summaries_follow_the_language():
    check = checks.check_sudo("", "prep")
    test = {"summary": check.summary, "message": check.message, "status": "fail"}
    (es,) = model.localized([test], "es")
    (en,) = model.localized([test], "en")
    assert es["summary"] == "prep no tiene una regla que conceda ALL como root"
    assert check_text("fail2ban", {"state": "active", "jail": True}, "es").endswith("jaula sshd sí")
    assert en["summary"] == "prep has no rule granting ALL as root"
    assert model.localized([{"summary": "plain", "message": None}], "es")[0]["summary"] == "plain"
