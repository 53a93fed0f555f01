from difusor.mirror import DebianMirror, deb822_sources, parse_source_uris, pick_mirror

DEB822 = """\
Types: deb
# http://snapshot.example/archive/debian/20250520T000000Z
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main

Types: deb
URIs: http://mirror.example/debian-security
Suites: bookworm-security
"""

ONE_LINE = """\
# a comment
deb [arch=amd64 signed-by=/usr/share/keyrings/k.gpg] http://one.example/debian/ bookworm main
deb http://one.example/debian-security bookworm-security main
deb-src http://one.example/debian bookworm main
"""


def test_deb822_uris_are_read():
    assert parse_source_uris(DEB822) == [
        "http://mirror.example/debian",
        "http://mirror.example/debian-security",
    ]


def test_one_line_uris_skip_options_and_sources():
    assert parse_source_uris(ONE_LINE) == [
        "http://one.example/debian/",
        "http://one.example/debian-security",
    ]


def test_archive_and_security_are_told_apart():
    mirror = pick_mirror(parse_source_uris(ONE_LINE))
    assert mirror == DebianMirror("http://one.example/debian", "http://one.example/debian-security")


def test_security_defaults_beside_the_archive():
    mirror = pick_mirror(["http://m.example/debian"])
    assert mirror == DebianMirror("http://m.example/debian", "http://m.example/debian-security")


def test_no_debian_mirror_on_an_ubuntu_machine():
    assert pick_mirror(["http://archive.ubuntu.example/ubuntu"]) is None


def test_image_sources_cover_updates_and_security():
    text = deb822_sources(DebianMirror("http://m/debian", "http://m/debian-security"), "trixie")
    assert "Suites: trixie trixie-updates\n" in text
    assert "URIs: http://m/debian-security\nSuites: trixie-security\n" in text


def test_ubuntu_mirror_is_the_one_debootstrap_uses_for_the_arch(tmp_path, monkeypatch):
    from difusor import mirror

    script = tmp_path / "gutsy"
    script.write_text(
        "case $ARCH in\n  amd64|i386) default_mirror http://archive.example/ubuntu ;;\n"
        "  *) default_mirror http://ports.example/ubuntu-ports ;;\nesac\n"
        "mirror_style release\nkeyring /usr/share/keyrings/ubuntu-archive-keyring.gpg\n"
        "doing_variant minbase && true\nwork_out_debs () { error 1 X y; }\n"
    )
    monkeypatch.setattr(mirror, "DEBOOTSTRAP_SCRIPTS", tmp_path)
    monkeypatch.delenv("DIFUSOR_UBUNTU_MIRROR", raising=False)
    # A suite without a script of its own (noble on an older debootstrap) uses the Ubuntu one.
    assert mirror.debootstrap_script("noble") == script
    assert mirror.ubuntu_mirror("noble") == "http://archive.example/ubuntu"
    assert mirror.ubuntu_mirror("noble", arch="arm64") == "http://ports.example/ubuntu-ports"
    monkeypatch.setenv("DIFUSOR_UBUNTU_MIRROR", "http://mine.example/ubuntu/")
    assert mirror.ubuntu_mirror("noble") == "http://mine.example/ubuntu"


def test_ubuntu_sources_enable_universe_updates_and_security():
    from difusor.mirror import ubuntu_sources

    text = ubuntu_sources("http://archive.example/ubuntu", "jammy")
    assert "Suites: jammy jammy-updates jammy-security\n" in text
    assert "Components: main universe\n" in text
    assert "Signed-By: /usr/share/keyrings/ubuntu-archive-keyring.gpg" in text
