"""Threshold logic of the compliance checks: pure functions over command outputs.

Each check takes what a command printed (os-release, meminfo, chronyc tracking, sshd -T, ufw
status, ss ...) and the catalog's parameters, and returns a `Check`: a status (pass, fail,
manual when no machine can decide, na when the check does not apply now), a one-line summary,
and the measured values that are the evidence. The testinfra suite (tests/compliance) runs the
commands; the unit tests feed fixture texts. Nothing here touches a host.

Rules chosen for the traps of the call:
- RAM "16 GB": MemTotal (KiB, after the kernel's and firmware's reservations) must be at least
  16 x 10^9 bytes. Memory is sold in binary units: a "16 GB" machine has 16 GiB = 17.18 x 10^9
  bytes installed, and Linux reports some 15.3-15.7 GiB (16.0-16.9 x 10^9 bytes) in MemTotal.
  The decimal threshold leaves 1.1 GiB for reservations (more than any real 16 GiB machine
  loses) and still rejects a 15 GiB VM (about 14.6 GiB MemTotal = 15.7 x 10^9 bytes).
- Disk "100 Gb": decimal, 100 x 10^9 bytes of the filesystem that holds the site.
- SSD: rotational=0 passes; rotational=1 on bare metal fails; rotational=1 in a VM cannot be
  decided (hypervisors often report virtual disks as rotational on SSD storage): manual.
- Cores: logical CPUs online (a VM's vCPUs); frequency: the maximum from cpufreq, else lscpu's
  "CPU max MHz", else the nominal frequency in the CPU model name ("@ 2.20GHz").
"""

from __future__ import annotations

import ipaddress
import json
import re
import shlex
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from difusor.compliance.messages import check_text
from difusor.stats.logs import TimeParser, parse_line

PASS, FAIL, MANUAL, NOT_APPLICABLE = "pass", "fail", "manual", "na"


def msg(key: str, **values: Any) -> dict[str, Any]:
    """A sentence of messages.CHECK_TEXTS with its values: rendered in the report's language."""
    return {"key": key, "values": values}


@dataclass
class Check:
    status: str
    summary: Any  # a msg(...) (or plain text); the English text after init
    measured: dict[str, Any] = field(default_factory=dict)
    message: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        if isinstance(self.summary, dict):
            self.message = self.summary
            self.summary = check_text(self.summary["key"], self.summary["values"], "en")

    @property
    def ok(self) -> bool:
        return self.status == PASS


def _verdict(ok: bool, summary: Any, measured: dict[str, Any]) -> Check:
    return Check(PASS if ok else FAIL, summary, measured)


# --- operating system ----------------------------------------------------------------------


def parse_os_release(text: str) -> dict[str, str]:
    """KEY=value pairs of /etc/os-release (shell quoting removed)."""
    values = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, raw = line.partition("=")
        try:
            parts = shlex.split(raw)
        except ValueError:
            parts = [raw.strip("\"'")]
        values[key] = parts[0] if parts else ""
    return values


def check_os(os_release: dict[str, str], params: dict[str, Any]) -> Check:
    """Ubuntu, an LTS release (II.B.a); the recommended one is noted."""
    os_id = os_release.get("ID", "").lower()
    version = os_release.get("VERSION_ID", "")
    pretty = os_release.get("PRETTY_NAME", f"{os_id} {version}")
    measured = {"ID": os_id, "VERSION_ID": version, "PRETTY_NAME": pretty}
    allowed_ids = [str(item).lower() for item in params.get("os_ids", ["ubuntu"])]
    lts = [str(item) for item in params.get("lts_versions", [])]
    recommended = str(params.get("recommended_version", ""))
    if os_id not in allowed_ids:
        return Check(
            FAIL, msg("os_not_allowed", pretty=pretty, ids="/".join(allowed_ids)), measured
        )
    is_lts = version in lts and "LTS" in os_release.get("VERSION", "LTS")
    if not is_lts:
        return Check(FAIL, msg("os_not_lts", pretty=pretty, lts=", ".join(lts)), measured)
    if version == recommended:
        return Check(PASS, msg("os_recommended", pretty=pretty), measured)
    return Check(PASS, msg("os_supported", pretty=pretty, recommended=recommended), measured)


# --- hardware ------------------------------------------------------------------------------


def parse_meminfo(text: str) -> dict[str, int]:
    """Values of /proc/meminfo in KiB (the file says kB but means KiB)."""
    values = {}
    for line in text.splitlines():
        match = re.match(r"(\w+(?:\(\w+\))?):\s+(\d+)", line)
        if match:
            values[match.group(1)] = int(match.group(2))
    return values


def check_ram(memtotal_kib: int, params: dict[str, Any]) -> Check:
    """MemTotal >= min_ram_gb x 10^9 bytes (II.A.b; see the module doc for why)."""
    minimum = float(params["min_ram_gb"]) * 10**9
    total = memtotal_kib * 1024
    measured = {
        "MemTotal_kB": memtotal_kib,
        "MemTotal_GB": round(total / 10**9, 2),
        "MemTotal_GiB": round(total / 2**30, 2),
        "threshold_bytes": int(minimum),
    }
    summary = msg(
        "ram",
        gb=total / 10**9,
        gib=total / 2**30,
        min=params["min_ram_gb"],
        min_gib=minimum / 2**30,
    )
    return _verdict(total >= minimum, summary, measured)


def parse_lscpu(text: str) -> dict[str, str]:
    values = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            values[key.strip()] = value.strip()
    return values


def max_ghz(cpufreq_khz: str = "", lscpu: str = "", cpuinfo: str = "") -> tuple[float | None, str]:
    """The CPU's maximum frequency in GHz and where it was read; (None, why) when unknown."""
    values = [int(item) for item in cpufreq_khz.split() if item.isdigit()]
    if values:
        return max(values) / 10**6, "cpufreq cpuinfo_max_freq"
    fields = parse_lscpu(lscpu)
    for key in ("CPU max MHz", "CPU MHz"):
        try:
            mhz = float(fields[key].replace(",", "."))
        except (KeyError, ValueError):
            continue
        if mhz > 0:
            return mhz / 1000, f"lscpu {key}"
    match = re.search(r"model name\s*:.*@\s*([\d.]+)\s*GHz", cpuinfo)
    if match:
        return float(match.group(1)), "nominal frequency in the CPU model name"
    return None, "no cpufreq, no lscpu frequency, no frequency in the model name"


def check_cpu(cores: int, ghz: float | None, source: str, params: dict[str, Any]) -> Check:
    """At least min_cores logical CPUs of at least min_ghz (II.A.a)."""
    min_cores, min_ghz = int(params["min_cores"]), float(params["min_ghz"])
    measured = {"cpus": cores, "max_ghz": ghz, "frequency_source": source}
    if cores < min_cores:
        if ghz:
            return Check(FAIL, msg("cpu_few", cores=cores, ghz=ghz, min_cores=min_cores), measured)
        return Check(FAIL, msg("cpu_few_unknown", cores=cores, min_cores=min_cores), measured)
    if ghz is None:
        return Check(MANUAL, msg("cpu_unknown", cores=cores, source=source), measured)
    return _verdict(
        ghz >= min_ghz,
        msg("cpu", cores=cores, ghz=ghz, source=source, min_cores=min_cores, min_ghz=min_ghz),
        measured,
    )


def check_disk(size_bytes: int, rotational: str | None, virt: str, params: dict[str, Any]) -> Check:
    """Filesystem size >= min_disk_gb x 10^9 and solid state (II.A.c; VM caveat)."""
    minimum = float(params["min_disk_gb"]) * 10**9
    measured = {
        "size_bytes": size_bytes,
        "size_GB": round(size_bytes / 10**9, 1),
        "rotational": rotational,
        "virtualization": virt or "none",
    }
    size = {"gb": size_bytes / 10**9, "min": params["min_disk_gb"]}
    if size_bytes < minimum:
        return Check(FAIL, msg("disk_small", **size), measured)
    if rotational == "0":
        return Check(PASS, msg("disk_ssd", **size), measured)
    virtual = bool(virt) and virt != "none"
    if rotational is None:
        return Check(MANUAL, msg("disk_unknown", virt=virt or "-", **size), measured)
    if virtual:
        return Check(MANUAL, msg("disk_vm_rotational", virt=virt, **size), measured)
    return Check(FAIL, msg("disk_hdd", **size), measured)


# --- time ----------------------------------------------------------------------------------


def check_tz_offset(printed: str, params: dict[str, Any]) -> Check:
    """`TZ=<zone> date -d '<probe>' +%z` must print the expected offset (-0600 in June 2024)."""
    offset = printed.strip()
    expected = str(params["tz_expected_offset"])
    summary = msg(
        "tz_ok" if offset == expected else "tz_bad",
        zone=params["timezone"],
        probe=params["tz_probe_utc"],
        offset=offset or "-",
        expected=expected,
    )
    return _verdict(offset == expected, summary, {"offset": offset, "expected": expected})


def parse_chrony_tracking(text: str) -> dict[str, str]:
    return {
        key.strip(): value.strip()
        for key, _, value in (line.partition(":") for line in text.splitlines())
        if value
    }


def check_chrony(tracking: str, params: dict[str, Any]) -> Check:
    """chronyc tracking: a selected source, stratum > 0, leap status normal, small offset."""
    fields = parse_chrony_tracking(tracking)
    reference = fields.get("Reference ID", "")
    leap = fields.get("Leap status", "")
    stratum = int(fields.get("Stratum", "0") or 0)
    match = re.match(r"([\d.]+) seconds (fast|slow)", fields.get("System time", ""))
    offset_ms = float(match.group(1)) * 1000 if match else None
    measured = {
        "reference": reference,
        "stratum": stratum,
        "leap_status": leap,
        "offset_ms": offset_ms,
    }
    synced = not reference.startswith("00000000") and stratum > 0 and leap == "Normal"
    if not synced:
        return Check(FAIL, msg("chrony_unsynced", reference=reference or "?", leap=leap), measured)
    limit = float(params.get("max_offset_ms", 100))
    if offset_ms is None or offset_ms > limit:
        summary = msg("chrony_offset", reference=reference, offset=offset_ms, limit=limit)
        return Check(FAIL, summary, measured)
    summary = msg("chrony_ok", reference=reference, stratum=stratum, offset=offset_ms)
    return Check(PASS, summary, measured)


# --- ssh and privileges --------------------------------------------------------------------


def parse_sshd_t(text: str) -> dict[str, list[str]]:
    """`sshd -T` output: keyword -> values (keywords may repeat, e.g. port, listenaddress)."""
    config: dict[str, list[str]] = {}
    for line in text.splitlines():
        key, _, value = line.strip().partition(" ")
        if key:
            config.setdefault(key.lower(), []).append(value.strip())
    return config


def check_sshd(config: dict[str, list[str]], params: dict[str, Any]) -> Check:
    """SSH on the port with at least one of key, certificate or password (II.B.c)."""
    first = {key: values[0] for key, values in config.items()}
    ports = [int(port) for port in config.get("port", []) if port.isdigit()]
    methods = []
    if first.get("pubkeyauthentication") == "yes":
        methods.append("key")
        if first.get("trustedusercakeys", "none") != "none":
            methods.append("certificate")
    if first.get("passwordauthentication") == "yes" or any(
        "passwordauthentication yes" in value for value in config.get("match", [])
    ):
        methods.append("password")
    measured = {
        "ports": ports,
        "methods": methods,
        "permitrootlogin": first.get("permitrootlogin"),
        "passwordauthentication": first.get("passwordauthentication"),
        "kbdinteractiveauthentication": first.get("kbdinteractiveauthentication"),
        "trustedusercakeys": first.get("trustedusercakeys"),
    }
    port = int(params.get("port", 22))
    ok = port in ports and bool(methods)
    summary = msg("sshd", ports=ports or "?", methods=", ".join(methods) or "-")
    return _verdict(ok, summary, measured)


def check_sudo(listing: str, user: str) -> Check:
    """`sudo -l -U user` grants ALL commands as root (II.B.e)."""
    rules = [line.strip() for line in listing.splitlines() if line.strip().startswith("(")]
    grants = [
        rule
        for rule in rules
        if re.match(r"\((ALL|root)(\s*:\s*ALL)?\)\s*(NOPASSWD:\s*|PASSWD:\s*)?ALL$", rule)
    ]
    measured = {"user": user, "rules": rules, "nopasswd": any("NOPASSWD" in r for r in grants)}
    if grants:
        return Check(PASS, msg("sudo_ok", user=user, rule=grants[0]), measured)
    return Check(FAIL, msg("sudo_no", user=user), measured)


# --- firewall and sockets ------------------------------------------------------------------


@dataclass(frozen=True)
class UfwRule:
    ports: tuple[int, ...]
    proto: str
    action: str
    direction: str
    source: str
    v6: bool


@dataclass
class UfwStatus:
    active: bool
    default_incoming: str
    rules: list[UfwRule]


def _ports(spec: str) -> tuple[int, ...]:
    ports: list[int] = []
    for part in spec.split(","):
        if ":" in part:
            low, high = part.split(":", 1)
            ports.extend(range(int(low), int(high) + 1))
        elif part.isdigit():
            ports.append(int(part))
    return tuple(ports)


_UFW_RULE = re.compile(
    r"^(?P<to>\S+(?: \(v6\))?)\s+(?P<action>ALLOW|DENY|REJECT|LIMIT)(?: (?P<dir>IN|OUT|FWD))?\s+"
    r"(?P<src>\S+(?: \(v6\))?)"
)


def parse_ufw_status(text: str) -> UfwStatus:
    """`ufw status verbose`: active, default incoming policy, rules (port rules only)."""
    active = bool(re.search(r"^Status: active", text, re.M))
    match = re.search(r"^Default: (\w+) \(incoming\)", text, re.M)
    rules = []
    for line in text.splitlines():
        found = _UFW_RULE.match(line.split("#")[0].rstrip())
        if not found:
            continue
        to = found.group("to").replace(" (v6)", "")
        port_spec, _, proto = to.partition("/")
        if not port_spec[:1].isdigit():
            continue
        rules.append(
            UfwRule(
                ports=_ports(port_spec),
                proto=proto or "any",
                action=found.group("action"),
                direction=found.group("dir") or "IN",
                source=found.group("src").replace(" (v6)", ""),
                v6="(v6)" in line,
            )
        )
    return UfwStatus(active, match.group(1) if match else "", rules)


def allowed_tcp_sources(status: UfwStatus) -> dict[int, set[str]]:
    """Port -> sources allowed in (TCP); 'Anywhere' for any source."""
    allowed: dict[int, set[str]] = {}
    for rule in status.rules:
        if (
            rule.direction == "IN"
            and rule.action in ("ALLOW", "LIMIT")
            and rule.proto in ("tcp", "any")
        ):
            for port in rule.ports:
                allowed.setdefault(port, set()).add(rule.source)
    return allowed


def check_firewall(status: UfwStatus, params: dict[str, Any]) -> Check:
    """Active, deny by default, public ports from anywhere, trusted ports never from anywhere."""
    public = [int(port) for port in params["public_tcp_ports"]]
    trusted = [int(port) for port in params["trusted_tcp_ports"]]
    allowed = allowed_tcp_sources(status)
    measured: dict[str, Any] = {
        "active": status.active,
        "default_incoming": status.default_incoming,
        "allowed": {str(port): sorted(sources) for port, sources in sorted(allowed.items())},
    }
    problems = []
    if not status.active:
        problems.append(msg("fw_inactive"))
    if status.default_incoming not in ("deny", "reject"):
        problems.append(msg("fw_default", policy=status.default_incoming or "?"))
    for port in public:
        if "Anywhere" not in allowed.get(port, set()):
            problems.append(msg("fw_public_closed", port=port))
    for port in trusted:
        sources = allowed.get(port, set())
        if "Anywhere" in sources:
            problems.append(msg("fw_trusted_open", port=port))
        elif not sources:
            problems.append(msg("fw_trusted_none", port=port))
    extra = sorted(
        port
        for port, sources in allowed.items()
        if "Anywhere" in sources and port not in public and port not in trusted
    )
    if extra:
        problems.append(msg("fw_other_open", ports=extra))
    if problems:
        check = Check(FAIL, msg("join", parts=problems), measured)
        measured["problems"] = check.summary.split("; ")
        return check
    measured["problems"] = []
    trusted_text = [
        msg("fw_from", port=port, sources="/".join(sorted(allowed[port]))) for port in trusted
    ]
    return Check(PASS, msg("fw_ok", public=public, trusted=trusted_text), measured)


def parse_ss_listening(text: str) -> list[tuple[str, int]]:
    """(address, port) of `ss -tlnH` lines."""
    sockets = []
    for line in text.splitlines():
        columns = line.split()
        if len(columns) < 4:
            continue
        local = columns[3] if columns[0] == "LISTEN" else columns[2]
        address, _, port = local.rpartition(":")
        if port.isdigit():
            sockets.append((address.strip("[]").split("%")[0], int(port)))
    return sockets


def _loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return address == "localhost"


def check_exposure(
    listening: list[tuple[str, int]], status: UfwStatus, params: dict[str, Any]
) -> Check:
    """Listening sockets against the firewall: what is reachable must be what the call allows.
    A port of the difusor's own beyond the call's lists (the metrics of role monitoring) passes
    only when the firewall lets in no one but the sources it lets reach SSH and rsync."""
    public = {int(port) for port in params["public_tcp_ports"]}
    trusted = {int(port) for port in params["trusted_tcp_ports"]}
    exposed_ports = sorted({port for address, port in listening if not _loopback(address)})
    allowed = allowed_tcp_sources(status) if status.active else {}
    reachable = [port for port in exposed_ports if port in allowed or not status.active]
    blocked = [port for port in exposed_ports if port not in reachable]
    trusted_sources = set().union(*(allowed.get(port, set()) for port in trusted)) - {"Anywhere"}
    others = [port for port in reachable if port not in public | trusted]
    trusted_only = [
        port for port in others if allowed.get(port) and allowed[port] <= trusted_sources
    ]
    unexpected = [port for port in others if port not in trusted_only]
    not_listening = sorted(port for port in public | trusted if port not in exposed_ports)
    measured = {
        "listening": exposed_ports,
        "reachable_through_firewall": reachable,
        "listening_but_blocked": blocked,
        "allowed_but_not_listening": not_listening,
        "trusted_sources_only": trusted_only,
        "unexpected": unexpected,
    }
    summary = msg(
        "exposure_idle" if not_listening else "exposure",
        listening=exposed_ports,
        reachable=reachable,
        blocked=blocked,
        idle=not_listening,
    )
    return _verdict(not unexpected, summary, measured)


# --- addresses -----------------------------------------------------------------------------


def parse_ip_addresses(ip_json: str) -> list[str]:
    """Addresses of `ip -j addr` (global scope)."""
    addresses = []
    for interface in json.loads(ip_json or "[]"):
        for info in interface.get("addr_info", []):
            if info.get("scope") == "global":
                addresses.append(info["local"])
    return addresses


def check_public_ip(addresses: list[str]) -> Check:
    public = [a for a in addresses if ipaddress.ip_address(a).is_global]
    measured = {"addresses": addresses, "public": public}
    if public:
        return Check(PASS, msg("public_ip_ok", public=", ".join(public)), measured)
    return Check(FAIL, msg("public_ip_no", addresses=", ".join(addresses) or "-"), measured)


# --- publication ---------------------------------------------------------------------------


def compare_manifest(
    manifest_text: str,
    digests: dict[str, str],
    decompressed: dict[str, str],
    suffixes: tuple[str, ...] = (".gz", ".br"),
    manifest_name: str = "MANIFEST.sha256",
) -> Check:
    """The served tree equals the package manifest (VI.b).

    `digests`: SHA-256 of every file in the release; `decompressed`: SHA-256 of the content of
    each precompressed sibling (NAME.gz, NAME.br) that could be decompressed. Rule: every listed
    file is present with its digest; an unlisted file is allowed only when it is a precompressed
    sibling (suffix in `suffixes`) of a listed file and decompresses to exactly that file.
    """
    listed: dict[str, str] = {}
    for line in manifest_text.splitlines():
        match = re.fullmatch(r"([0-9a-fA-F]{64}) [ *](.+)", line.rstrip("\r"))
        if match:
            name = match.group(2)
            listed[name[2:] if name.startswith("./") else name] = match.group(1).lower()
    present = {path: digest for path, digest in digests.items() if path != manifest_name}
    changed = sorted(p for p in listed if p in present and present[p] != listed[p])
    missing = sorted(p for p in listed if p not in present)
    siblings, foreign = [], []
    for path in sorted(set(present) - set(listed)):
        base, suffix = next(
            ((path[: -len(s)], s) for s in suffixes if path.endswith(s)), (path, "")
        )
        if suffix and base in listed and decompressed.get(path) == listed[base]:
            siblings.append(path)
        else:
            foreign.append(path)
    measured = {
        "listed": len(listed),
        "verified": len(listed) - len(changed) - len(missing),
        "changed": changed,
        "missing": missing,
        "precompressed_verified": len(siblings),
        "not_in_manifest": foreign,
    }
    if not listed:
        return Check(FAIL, msg("manifest_none", name=manifest_name), measured)
    problems = [
        msg(key, paths=", ".join(items[:5]) + (" ..." if len(items) > 5 else ""))
        for key, items in (
            ("manifest_changed", changed),
            ("manifest_missing", missing),
            ("manifest_foreign", foreign),
        )
        if items
    ]
    if problems:
        return Check(FAIL, msg("join", parts=problems), measured)
    summary = msg("manifest_ok", count=len(listed), name=manifest_name, siblings=len(siblings))
    return Check(PASS, summary, measured)


def page_shows_cut(html: str, cut: datetime, formats: list[str]) -> Check:
    """The page shows the live cut's date and time in one of the formats (I.H)."""
    shown = [cut.strftime(fmt) for fmt in formats]
    found = [text for text in shown if text in html]
    measured = {"expected_any_of": shown, "found": found}
    if found:
        return Check(PASS, msg("page_cut_ok", shown=found[0]), measured)
    return Check(FAIL, msg("page_cut_no", expected=shown), measured)


def check_publish_age(
    age_min: float | None, now: datetime, params: dict[str, Any], window: tuple[datetime, datetime]
) -> Check:
    """Minutes since the last publication, checked only inside the publication window (VI.a)."""
    limit = float(params["max_publish_age_min"])
    inside = window[0] <= now <= window[1]
    measured = {"minutes_since_last_publication": age_min, "limit_min": limit, "in_window": inside}
    if not inside:
        last = msg("age_never") if age_min is None else msg("age_minutes", minutes=age_min)
        summary = msg(
            "age_outside", start=window[0].isoformat(), end=window[1].isoformat(), last=last
        )
        return Check(NOT_APPLICABLE, summary, measured)
    if age_min is None:
        return Check(FAIL, msg("age_none"), measured)
    summary = msg("age", minutes=age_min, limit=limit, period=params["update_period_min"])
    return _verdict(age_min <= limit, summary, measured)


def check_web_protection(nginx_config: str, fail2ban_status: str) -> Check:
    """DDoS/WAF basics of our own (II.C.e): request and connection limits per client in the
    effective nginx configuration (`nginx -T`) and fail2ban jails watching the web log."""
    limits = sorted(
        {
            match.group(1)
            for match in re.finditer(r"^\s*(limit_req|limit_conn)\s", nginx_config, re.MULTILINE)
        }
    )
    jail_list = re.search(r"Jail list:\s*(.*)", fail2ban_status)
    jails = [
        name.strip()
        for name in (jail_list.group(1).split(",") if jail_list else [])
        if name.strip().startswith("prep-web")
    ]
    measured = {"limits": limits, "web_jails": jails}
    shown = {"limits": ", ".join(limits) or "-", "jails": ", ".join(jails) or "-"}
    if len(limits) == 2 and jails:
        return Check(PASS, msg("protection_ok", **shown), measured)
    return Check(FAIL, msg("protection_no", **shown), measured)


def check_access_log(lines: list[str]) -> Check:
    """Access log lines carry client, time, page and agent: visitors, pages, list, time on site.

    Read by the parser of `difusor stats` (difusor.stats.logs.parse_line): a line that the
    statistics would count as malformed fails the check, so that the audit never passes a log
    whose visits the memoria cannot count."""
    parse_time = TimeParser()
    read = [line for line in lines if line.strip()]
    parsed = [parse_line(line, parse_time) for line in read]
    wellformed = [request for request in parsed if request is not None]
    complete = [request for request in wellformed if request.ip and request.uri]
    measured = {
        "lines_read": len(read),
        "parsed": len(wellformed),
        "malformed": len(read) - len(wellformed),
        "complete": len(complete),
    }
    if not read:
        return Check(FAIL, msg("log_none"), measured)
    if len(wellformed) < len(read):
        return Check(
            FAIL,
            msg("log_malformed", malformed=len(read) - len(wellformed), lines=len(read)),
            measured,
        )
    if not complete:
        return Check(FAIL, msg("log_incomplete"), measured)
    return Check(PASS, msg("log_ok", complete=len(complete), lines=len(read)), measured)


# --- the publisher at work (I.H, V.ii.2): what happens, not only what is configured ----------


@dataclass(frozen=True)
class Arrival:
    """A file in the incoming directory; its age counts from its last status change (ctime):
    rsync keeps the sender's modification time, and renames the file into place on arrival."""

    name: str
    size: int
    age_s: float

    @property
    def in_transfer(self) -> bool:
        """rsync writes under a temporary dot-name and renames the file when it is complete."""
        return self.name.startswith(".")


def arrivals_command(incoming: str) -> str:
    """The host's clock, then `<ctime> <size> <name>` for every file in the incoming directory."""
    quoted = shlex.quote(incoming)
    return (
        "echo now $(date +%s.%N); "
        f"find {quoted} -mindepth 1 -maxdepth 1 -type f -printf '%C@ %s %P\\n'"
    )


def parse_arrivals(text: str) -> list[Arrival]:
    """The output of arrivals_command: the files with their age by the host's own clock."""
    now = None
    listed: list[tuple[str, int, float]] = []
    for line in text.splitlines():
        if line.startswith("now "):
            try:
                now = float(line.split()[1])
            except (IndexError, ValueError):
                now = None
            continue
        changed, _, rest = line.partition(" ")
        size, _, name = rest.partition(" ")
        try:
            listed.append((name, int(size), float(changed)))
        except ValueError:
            continue
    if now is None:
        return []
    return [Arrival(name, size, max(0.0, now - changed)) for name, size, changed in listed]


def arrival_wait_limit_s(params: dict[str, Any]) -> float:
    """How long an arrival may wait to be published: the pass's settle time (the unit waits that
    long for a transfer still running) plus one safety pass of the timer (the path unit may have
    fired while a pass was busy)."""
    return float(params["arrival_settle_s"]) + float(params["safety_pass_s"])


def _names(items: list[str], limit: int = 6) -> str:
    more = f" ... (+{len(items) - limit})" if len(items) > limit else ""
    return ", ".join(items[:limit]) + more


def check_arrivals(arrivals: list[Arrival] | None, incoming: str, params: dict[str, Any]) -> Check:
    """No complete file (archive or sidecar) waits in the incoming directory longer than a pass
    takes to publish it. None: the directory could not be listed (packages cannot land)."""
    limit = arrival_wait_limit_s(params)
    shown = {
        "incoming": incoming,
        "limit": limit,
        "settle": params["arrival_settle_s"],
        "period": params["safety_pass_s"],
    }
    if arrivals is None:
        return Check(FAIL, msg("arrivals_unlisted", incoming=incoming), {"incoming": incoming})
    landed = [a for a in arrivals if not a.in_transfer]
    waiting = sorted((a for a in landed if a.age_s > limit), key=lambda a: -a.age_s)
    measured = {
        "incoming": incoming,
        "limit_s": limit,
        "files": len(landed),
        "in_transfer": [a.name for a in arrivals if a.in_transfer],
        "waiting": [{"name": a.name, "bytes": a.size, "age_s": round(a.age_s)} for a in waiting],
    }
    if waiting:
        names = _names([f"{a.name} ({a.age_s:.0f} s)" for a in waiting])
        summary = msg("arrivals_waiting", count=len(waiting), names=names, **shown)
        return Check(FAIL, summary, measured)
    return Check(PASS, msg("arrivals_ok", count=len(landed), **shown), measured)


UNIT_PROPERTIES = "Id,LoadState,ActiveState,SubState,Result,ExecMainStatus,StateChangeTimestamp"


def parse_systemctl_show(text: str) -> dict[str, dict[str, str]]:
    """`systemctl show -p Id,... UNIT...`: the properties of each unit (blocks split by blank
    lines), by unit name."""
    units: dict[str, dict[str, str]] = {}
    for block in re.split(r"\n\s*\n", text.strip()):
        values = dict(line.partition("=")[::2] for line in block.splitlines() if "=" in line)
        if values.get("Id"):
            units[values["Id"]] = values
    return units


# Lines systemd itself writes to a unit's journal (what remains is the program's own output).
_SYSTEMD_LINE = re.compile(
    r"^(\S+\.(service|timer|path): |(Starting|Started|Stopping|Stopped|Finished|Failed to start) )"
)


def last_error_line(journal_tail: str) -> str:
    """The last line the program itself wrote (a traceback ends with the exception)."""
    lines = [line.strip() for line in journal_tail.splitlines() if line.strip()]
    own = [line for line in lines if not _SYSTEMD_LINE.match(line)]
    return (own or lines or ["-"])[-1]


def check_units(
    units: list[str], states: dict[str, dict[str, str]], journal_tails: dict[str, str]
) -> Check:
    """The publisher's and the watchdog's services are installed and not in failed state (a
    failed oneshot service stays failed until a run succeeds: every pass has been failing)."""
    measured: dict[str, Any] = {
        unit: {
            key: states.get(unit, {}).get(key, "")
            for key in ("LoadState", "ActiveState", "SubState", "Result", "ExecMainStatus")
        }
        for unit in units
    }
    problems = []
    for unit in units:
        state = states.get(unit, {})
        if state.get("LoadState") != "loaded":
            problems.append(msg("unit_missing", unit=unit, load=state.get("LoadState") or "?"))
        elif state.get("ActiveState") == "failed":
            tail = journal_tails.get(unit, "")
            measured[unit]["last_line"] = last_error_line(tail)  # the whole tail: the evidence
            problems.append(
                msg(
                    "unit_failed",
                    unit=unit,
                    result=state.get("Result") or "?",
                    status=state.get("ExecMainStatus") or "?",
                    since=state.get("StateChangeTimestamp") or "?",
                    line=last_error_line(tail),
                )
            )
    if problems:
        return Check(FAIL, msg("join", parts=problems), measured)
    listed = ", ".join(f"{unit} {states[unit].get('ActiveState', '?')}" for unit in units)
    return Check(PASS, msg("units_ok", states=listed), measured)
