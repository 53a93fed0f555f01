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

PASS, FAIL, MANUAL, NOT_APPLICABLE = "pass", "fail", "manual", "na"


@dataclass
class Check:
    status: str
    summary: str
    measured: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == PASS


def _verdict(ok: bool, summary: str, measured: dict[str, Any]) -> Check:
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
        return Check(FAIL, f"{pretty}: not {'/'.join(allowed_ids)}", measured)
    is_lts = version in lts and "LTS" in os_release.get("VERSION", "LTS")
    if not is_lts:
        return Check(FAIL, f"{pretty}: not a stable LTS release ({', '.join(lts)})", measured)
    note = "recommended" if version == recommended else f"supported; {recommended} recommended"
    return Check(PASS, f"{pretty} ({note})", measured)


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
    summary = (
        f"MemTotal {total / 10**9:.2f} GB ({total / 2**30:.2f} GiB); "
        f"required >= {params['min_ram_gb']} GB = {minimum / 2**30:.2f} GiB"
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
        freq = f"{ghz:.2f} GHz" if ghz else "frequency unknown"
        return Check(FAIL, f"{cores} CPUs ({freq}); required >= {min_cores}", measured)
    if ghz is None:
        return Check(MANUAL, f"{cores} CPUs; frequency unknown ({source})", measured)
    return _verdict(
        ghz >= min_ghz,
        f"{cores} CPUs at {ghz:.2f} GHz max ({source}); required {min_cores} x {min_ghz} GHz",
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
    size_text = f"{size_bytes / 10**9:.1f} GB (decimal); required >= {params['min_disk_gb']} GB"
    if size_bytes < minimum:
        return Check(FAIL, size_text, measured)
    if rotational == "0":
        return Check(PASS, f"{size_text}; solid state (rotational=0)", measured)
    virtual = bool(virt) and virt != "none"
    if rotational is None:
        return Check(MANUAL, f"{size_text}; disk type unknown ({virt or 'no device'})", measured)
    if virtual:
        return Check(
            MANUAL,
            f"{size_text}; rotational=1 in a {virt} guest: the hypervisor may hide an SSD, "
            "the provider's specification decides",
            measured,
        )
    return Check(FAIL, f"{size_text}; rotational disk (rotational=1) on bare metal", measured)


# --- time ----------------------------------------------------------------------------------


def check_tz_offset(printed: str, params: dict[str, Any]) -> Check:
    """`TZ=<zone> date -d '<probe>' +%z` must print the expected offset (-0600 in June 2024)."""
    offset = printed.strip()
    expected = str(params["tz_expected_offset"])
    summary = (
        f"{params['timezone']} at {params['tz_probe_utc']}: {offset or '(nothing)'}, "
        f"expected {expected}"
        + ("" if offset == expected else " (tzdata older than 2022: daylight saving still on)")
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
        return Check(FAIL, f"not synchronized (Reference ID {reference or '?'}, {leap})", measured)
    limit = float(params.get("max_offset_ms", 100))
    if offset_ms is None or offset_ms > limit:
        return Check(
            FAIL, f"synchronized to {reference} but offset {offset_ms} ms > {limit}", measured
        )
    return Check(
        PASS, f"synchronized to {reference}, stratum {stratum}, offset {offset_ms:.3f} ms", measured
    )


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
    summary = f"sshd on port(s) {ports or '?'}; methods: {', '.join(methods) or 'none'}"
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
        return Check(PASS, f"{user} may run any command as root: {grants[0]}", measured)
    return Check(FAIL, f"{user} has no rule granting ALL as root", measured)


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
        problems.append("ufw is not active")
    if status.default_incoming not in ("deny", "reject"):
        problems.append(f"default incoming policy is {status.default_incoming or 'unknown'}")
    for port in public:
        if "Anywhere" not in allowed.get(port, set()):
            problems.append(f"{port}/tcp not open to any source")
    for port in trusted:
        sources = allowed.get(port, set())
        if "Anywhere" in sources:
            problems.append(f"{port}/tcp open to any source (trusted sources only)")
        elif not sources:
            problems.append(f"{port}/tcp allowed from no source")
    extra = sorted(
        port
        for port, sources in allowed.items()
        if "Anywhere" in sources and port not in public and port not in trusted
    )
    if extra:
        problems.append(f"other ports open to any source: {extra}")
    measured["problems"] = problems
    if problems:
        return Check(FAIL, "; ".join(problems), measured)
    trusted_text = ", ".join(f"{port} from {'/'.join(sorted(allowed[port]))}" for port in trusted)
    return Check(PASS, f"deny by default; {public} from anywhere; {trusted_text}", measured)


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
    """Listening sockets against the firewall: what is reachable must be what the call allows."""
    public = {int(port) for port in params["public_tcp_ports"]}
    trusted = {int(port) for port in params["trusted_tcp_ports"]}
    exposed_ports = sorted({port for address, port in listening if not _loopback(address)})
    allowed = allowed_tcp_sources(status) if status.active else {}
    reachable = [port for port in exposed_ports if port in allowed or not status.active]
    blocked = [port for port in exposed_ports if port not in reachable]
    unexpected = [port for port in reachable if port not in public | trusted]
    not_listening = sorted(port for port in public | trusted if port not in exposed_ports)
    measured = {
        "listening": exposed_ports,
        "reachable_through_firewall": reachable,
        "listening_but_blocked": blocked,
        "allowed_but_not_listening": not_listening,
        "unexpected": unexpected,
    }
    summary = (
        f"listening {exposed_ports}; reachable {reachable}; blocked by the firewall {blocked}"
        + (f"; nothing listens on {not_listening}" if not_listening else "")
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
        return Check(PASS, f"public address(es): {', '.join(public)}", measured)
    return Check(
        FAIL,
        f"no public address on any interface ({', '.join(addresses) or 'none'}); behind a 1:1 "
        "NAT, show the provider's assignment and waive",
        measured,
    )


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
        return Check(FAIL, f"no usable {manifest_name} in the live cut", measured)
    problems = [
        f"{what}: {', '.join(items[:5])}" + (" ..." if len(items) > 5 else "")
        for what, items in (
            ("changed", changed),
            ("missing", missing),
            ("not in the manifest", foreign),
        )
        if items
    ]
    if problems:
        return Check(FAIL, "; ".join(problems), measured)
    return Check(
        PASS,
        f"{len(listed)} files equal to {manifest_name}; {len(siblings)} precompressed copies "
        "decompress to the listed content",
        measured,
    )


def page_shows_cut(html: str, cut: datetime, formats: list[str]) -> Check:
    """The page shows the live cut's date and time in one of the formats (I.H)."""
    shown = [cut.strftime(fmt) for fmt in formats]
    found = [text for text in shown if text in html]
    measured = {"expected_any_of": shown, "found": found}
    if found:
        return Check(PASS, f"the page shows the cut: {found[0]}", measured)
    return Check(FAIL, f"the page shows none of {shown}", measured)


def check_publish_age(
    age_min: float | None, now: datetime, params: dict[str, Any], window: tuple[datetime, datetime]
) -> Check:
    """Minutes since the last publication, checked only inside the publication window (VI.a)."""
    limit = float(params["max_publish_age_min"])
    inside = window[0] <= now <= window[1]
    measured = {"minutes_since_last_publication": age_min, "limit_min": limit, "in_window": inside}
    if not inside:
        return Check(
            NOT_APPLICABLE,
            f"outside the publication window ({window[0].isoformat()} - {window[1].isoformat()}): "
            f"last publication {'never' if age_min is None else f'{age_min:.0f} min ago'}",
            measured,
        )
    if age_min is None:
        return Check(FAIL, "no publication recorded in the journal", measured)
    return _verdict(
        age_min <= limit,
        f"last publication {age_min:.1f} min ago; limit {limit:.0f} min "
        f"(updates every {params['update_period_min']} min)",
        measured,
    )


def parse_access_log_line(line: str) -> dict[str, str] | None:
    """One line of an access log in combined format (or JSON): client, time, path, agent."""
    line = line.strip()
    if line.startswith("{"):
        try:
            data = json.loads(line)
        except ValueError:
            return None
        if not isinstance(data, dict):
            return None

        def first(*keys: str) -> str:
            return next((str(data[key]) for key in keys if data.get(key) not in (None, "")), "")

        # nginx variable names (role prep_web's JSON format) or short ones
        return {
            "remote_addr": first("remote_addr", "client"),
            "time": first("time_iso8601", "time"),
            "request": first("request_uri", "request", "path"),
            "user_agent": first("http_user_agent", "user_agent"),
        }
    match = re.match(
        r'(?P<remote_addr>\S+) \S+ \S+ \[(?P<time>[^\]]+)\] "(?P<request>[^"]*)" \d{3} \S+'
        r'(?: "[^"]*" "(?P<user_agent>[^"]*)")?',
        line,
    )
    return {k: v or "" for k, v in match.groupdict().items()} if match else None


def check_access_log(lines: list[str]) -> Check:
    """Access log lines carry client, time, page and agent: visitors, pages, list, time on site."""
    parsed = [entry for entry in (parse_access_log_line(line) for line in lines) if entry]
    complete = [e for e in parsed if e["remote_addr"] and e["time"] and e["request"]]
    measured = {"lines_read": len(lines), "parsed": len(parsed), "complete": len(complete)}
    if not lines:
        return Check(FAIL, "no access log lines found", measured)
    if not complete:
        return Check(FAIL, "access log lines lack client, time or request", measured)
    return Check(
        PASS,
        f"{len(complete)}/{len(lines)} sampled lines carry client, time and page "
        "(visitors, pages, list of pages, time on site derive from them)",
        measured,
    )
