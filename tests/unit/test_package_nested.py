"""Inner archives (INE and cómputos packages hold one zip per election): opened and checked
with the outer archive's rules, limits counted across levels, a depth limit, the cut agreeing."""

import dataclasses
import io
import tarfile
import zipfile

import pytest
from package_kit import CUT, LATER, SETTINGS, base_files, make_zip, tar_member

from difusor.package import PackageRejected, verify
from difusor.package.extract import Checker
from difusor.package.generate import results_csv
from difusor.package.layout import cut_id

OUTER = f"{cut_id(CUT)}_PREP.zip"  # INE's outer name: preset ine under auto
INNER = f"{cut_id(CUT)}_PREP_PRES.zip"


def zip_of(members) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in members:
            archive.writestr(info, data)
    return buffer.getvalue()


def ine_csv(cut=CUT) -> bytes:
    """A results CSV with INE's header block (lines 1-5)."""
    return results_csv(cut, 3, dataclasses.replace(SETTINGS, preset="ine"))[0]


def inner_zip(extra=(), csv=None) -> bytes:
    catalog = ("PRES_CANDIDATURAS_2024.csv", b"ID_ENTIDAD,PARTIDO_CI,CANDIDATURA\n")
    return zip_of([("PRES_2024.csv", csv or ine_csv()), catalog, *extra])


def ine_package(tmp_path, inner: bytes, name: str = INNER):
    files = {k: v for k, v in base_files().items() if k != "GUB_2024.csv"}
    return make_zip(tmp_path, [(name, inner)], name=OUTER, base=files)


def rejected(archive, settings=SETTINGS) -> PackageRejected:
    with pytest.raises(PackageRejected) as info:
        verify(archive, settings)
    return info.value


def test_an_ine_package_verifies_with_its_inner_csv(tmp_path):
    result = verify(ine_package(tmp_path, inner_zip()), SETTINGS)
    assert result.preset == "ine"
    assert result.inner_archives == (INNER,)
    assert result.results_csv == (f"{INNER}!/PRES_2024.csv",)


@pytest.mark.parametrize(
    ("member", "rule"),
    [
        ("../../etc/passwd", "path-traversal"),
        ("/etc/cron.d/x", "absolute-path"),
        ("a\\b.csv", "bad-member-name"),
    ],
)
def test_hostile_names_inside_an_inner_archive(tmp_path, member, rule):
    error = rejected(ine_package(tmp_path, inner_zip([(member, b"x")])))
    assert error.rule == rule
    assert error.member == f"{INNER}!/{member}"


def test_a_link_inside_an_inner_archive(tmp_path):
    link = zipfile.ZipInfo("enlace")
    link.external_attr = 0o120777 << 16
    error = rejected(ine_package(tmp_path, inner_zip([(link, b"/etc/shadow")])))
    assert (error.rule, error.member) == ("link", f"{INNER}!/enlace")


def test_a_link_inside_an_inner_tar(tmp_path):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        info, data = tar_member("PRES_2024.csv", ine_csv())
        archive.addfile(info, io.BytesIO(data))
        info, _ = tar_member("x", kind=tarfile.SYMTYPE, link="/etc/shadow")
        archive.addfile(info)
    name = f"{cut_id(CUT)}_PREP_PRES.tar.gz"
    error = rejected(ine_package(tmp_path, buffer.getvalue(), name=name))
    assert (error.rule, error.member) == ("link", f"{name}!/x")


def test_a_bomb_inside_an_inner_archive_stops_at_the_limit(tmp_path):
    bomb = inner_zip([("bomba.bin", bytes(2_000_000))])
    assert len(bomb) < 10_000
    settings = dataclasses.replace(SETTINGS, max_total_bytes=1_000_000)
    error = rejected(ine_package(tmp_path, bomb), settings)
    assert error.rule == "too-large"
    assert error.member.startswith(f"{INNER}!/")


def test_limits_count_across_levels(tmp_path):
    """Each level alone is under the file-count limit; together they are over it."""
    many = inner_zip([(f"f{index}.txt", b"x") for index in range(6)])
    archive = ine_package(tmp_path, many)
    assert verify(archive, dataclasses.replace(SETTINGS, max_files=20)).preset == "ine"
    error = rejected(archive, dataclasses.replace(SETTINGS, max_files=10))
    assert error.rule == "too-many-files"
    outer_bytes = sum(len(data) for name, data in base_files().items() if name != "GUB_2024.csv")
    sizes = dataclasses.replace(SETTINGS, max_total_bytes=outer_bytes + len(many) + 100)
    assert rejected(archive, sizes).rule == "too-large"


def test_decoded_bytes_count_across_levels(tmp_path, monkeypatch):
    """The bytes actually decoded are one budget for the outer and the inner levels: each level
    decodes less than max_total_bytes, both together more. The declared sizes are hidden from
    the limit (every other check of a member stays), so only the decoded count can catch it:
    with honest headers the declared check fires first, and a zip member that inflates beyond
    its declared size is refused on its own."""
    many = inner_zip([("relleno.bin", bytes(60_000))])
    archive = ine_package(tmp_path, many)
    with zipfile.ZipFile(io.BytesIO(many)) as handle:
        inner_bytes = sum(info.file_size for info in handle.infolist())
    with zipfile.ZipFile(archive) as handle:
        outer_bytes = sum(info.file_size for info in handle.infolist())
    limit = inner_bytes + outer_bytes // 2
    assert outer_bytes < limit and inner_bytes < limit < outer_bytes + inner_bytes
    admit = Checker.admit
    monkeypatch.setattr(
        Checker, "admit", lambda self, entry: admit(self, dataclasses.replace(entry, size=0))
    )
    enough = dataclasses.replace(SETTINGS, max_total_bytes=outer_bytes + inner_bytes)
    assert verify(archive, enough).inner_archives == (INNER,)
    error = rejected(archive, dataclasses.replace(SETTINGS, max_total_bytes=limit))
    assert error.rule == "too-large" and "uncompressed data exceeds" in error.detail
    assert error.member.startswith(f"{INNER}!/")


def test_an_inner_archive_larger_than_its_limit(tmp_path):
    settings = dataclasses.replace(SETTINGS, max_inner_archive_bytes=100)
    error = rejected(ine_package(tmp_path, inner_zip()), settings)
    assert (error.rule, error.member) == ("too-large", INNER)


def test_the_cut_of_an_inner_archive_name_must_agree(tmp_path):
    stale = f"{cut_id(LATER)}_PREP_PRES.zip"
    error = rejected(ine_package(tmp_path, inner_zip(), name=stale))
    assert (error.rule, error.member) == ("cut-mismatch", stale)


def test_the_cut_of_a_csv_inside_an_inner_archive_must_agree(tmp_path):
    error = rejected(ine_package(tmp_path, inner_zip(csv=ine_csv(LATER))))
    assert (error.rule, error.member) == ("cut-mismatch", f"{INNER}!/PRES_2024.csv")


def test_an_inner_archive_name_without_a_cut(tmp_path):
    error = rejected(ine_package(tmp_path, inner_zip(), name="descarga.zip"))
    assert (error.rule, error.member) == ("bad-name", "descarga.zip")


def test_nesting_deeper_than_the_limit(tmp_path):
    deepest = inner_zip()
    middle = zip_of([(f"{cut_id(CUT)}_PREP_SEN.zip", deepest)])
    archive = ine_package(tmp_path, middle)
    assert verify(archive, SETTINGS).inner_archives == (
        INNER,
        f"{INNER}!/{cut_id(CUT)}_PREP_SEN.zip",
    )
    error = rejected(archive, dataclasses.replace(SETTINGS, max_nesting=1))
    assert (error.rule, error.member) == ("too-nested", f"{INNER}!/{cut_id(CUT)}_PREP_SEN.zip")
    assert rejected(archive, dataclasses.replace(SETTINGS, max_nesting=0)).member == INNER


def test_a_corrupt_inner_archive_is_named(tmp_path):
    error = rejected(ine_package(tmp_path, b"PK\x03\x04 not really a zip"))
    assert error.rule in ("corrupt", "truncated") and error.member == INNER


def test_inner_archives_are_served_as_shipped_and_not_extracted(tmp_path):
    inner = inner_zip()
    dest = tmp_path / "dest"
    dest.mkdir()
    verify(ine_package(tmp_path, inner), SETTINGS, dest=dest)
    assert (dest / INNER).read_bytes() == inner
    assert sorted(p.name for p in dest.rglob("*.csv")) == []
