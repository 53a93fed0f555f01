"""II.A: the server's resources (cores and frequency, RAM, solid-state storage) and II.C.a."""

import pytest

from difusor.compliance import checks


@pytest.mark.environment
@pytest.mark.requirement("II.A.a")
def test_cpu_cores_and_frequency(host, evidence, params):
    """8 logical CPUs online, each of 2.0 GHz or more (maximum frequency)."""
    cores = int(evidence.run(host, "nproc --all").stdout.strip() or 0)
    freqs = evidence.run(
        host, "cat /sys/devices/system/cpu/cpu*/cpufreq/cpuinfo_max_freq 2>/dev/null || true"
    ).stdout
    lscpu = evidence.run(host, "LC_ALL=C lscpu 2>/dev/null || true").stdout
    cpuinfo = evidence.run(host, "grep -m1 'model name' /proc/cpuinfo || true").stdout
    ghz, source = checks.max_ghz(freqs, lscpu, cpuinfo)
    evidence.verdict(checks.check_cpu(cores, ghz, source, params("II.A.a")))


@pytest.mark.environment
@pytest.mark.requirement("II.A.b")
def test_ram(host, evidence, params):
    """MemTotal of at least 16 x 10^9 bytes (a 16 GiB machine shows about 15.5 GiB)."""
    meminfo = evidence.run(host, "grep -E '^(MemTotal|MemAvailable):' /proc/meminfo").stdout
    total = checks.parse_meminfo(meminfo).get("MemTotal", 0)
    evidence.verdict(checks.check_ram(total, params("II.A.b")))


@pytest.mark.environment
@pytest.mark.requirement("II.A.c")
def test_solid_state_storage(host, evidence, params, facts):
    """The filesystem of the site holds 100 GB (decimal) on a solid-state disk."""
    settings = params("II.A.c")
    path = facts.prep_root if host.file(str(facts.prep_root)).exists else "/"
    size = evidence.run(host, f"df -B1 --output=size {path} | tail -n 1").stdout.strip()
    source = evidence.run(host, f"findmnt -no SOURCE -T {path}").stdout.strip()
    virt = evidence.run(host, "systemd-detect-virt 2>/dev/null || true").stdout.strip()
    rotational = None
    if source.startswith("/dev/"):
        disk = evidence.run(host, f"lsblk -ndo PKNAME {source} 2>/dev/null").stdout.strip()
        disk = disk or source.removeprefix("/dev/")
        result = evidence.run(host, f"cat /sys/block/{disk}/queue/rotational")
        rotational = result.stdout.strip() if result.rc == 0 else None
    else:
        evidence.note(f"{path} is on {source or '?'} (no block device: container or network fs)")
    evidence.verdict(checks.check_disk(int(size or 0), rotational, virt, settings))


@pytest.mark.environment
@pytest.mark.requirement("II.C.a")
def test_link_speed(host, evidence, params):
    """The interface of the default route: its link speed, evidence for the bandwidth check."""
    route = evidence.run(host, "ip -o -4 route show default").stdout.split()
    interface = route[route.index("dev") + 1] if "dev" in route else ""
    speed = evidence.run(host, f"cat /sys/class/net/{interface}/speed 2>/dev/null || true")
    duplex = evidence.run(host, f"cat /sys/class/net/{interface}/duplex 2>/dev/null || true")
    mbps = speed.stdout.strip()
    evidence.verdict(
        checks.Check(
            checks.MANUAL,
            checks.msg(
                "link",
                interface=interface or "?",
                mbps=mbps or "?",
                duplex=duplex.stdout.strip() or "?",
                required=params("II.C.a")["link_mbps"],
            ),
            {"interface": interface, "link_mbps": mbps, "duplex": duplex.stdout.strip()},
        )
    )
