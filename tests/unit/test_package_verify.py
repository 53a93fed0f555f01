"""One crafted archive per rejection rule, and generate -> verify round trips."""

import dataclasses
import gzip
import stat
import tarfile
import warnings
import zipfile

import pytest
from package_kit import (
    CUT,
    LATER,
    SETTINGS,
    base_files,
    make_tar,
    make_zip,
    patch_zip,
    repack,
    replace_bytes,
    reseal,
    tar_member,
)

from difusor.package import PackageRejected, generate, verify
from difusor.package.errors import RULES
from difusor.package.layout import archive_name


def rejected(archive, settings=SETTINGS) -> PackageRejected:
    with pytest.raises(PackageRejected) as caught:
        verify(archive, settings)
    error = caught.value
    assert archive.name in str(error) and error.rule in str(error)
    assert "\n" not in str(error)
    return error


def zip_info(name: str, mode: int = stat.S_IFREG | 0o644) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.external_attr = mode << 16
    return info


# --- round trips ------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["zip", "tar.gz"])
def test_generated_package_verifies(tmp_path, fmt):
    archive = generate(CUT, tmp_path, rows=40, fmt=fmt)
    assert archive.name == f"20240602_2015_PREP_VER.{fmt}"
    result = verify(archive)
    assert result.cut == CUT and result.cut_id == "20240602_2015"
    assert result.manifest and result.synthetic and result.format == fmt
    assert result.results_csv == (
        "20240602_2015_PREP_DIP_LOC_VER/VER_DIP_LOC_2024.csv",
        "20240602_2015_PREP_GUB_VER/VER_GUB_2024.csv",
    )
    assert result.preset == "state"


def test_crafted_base_package_verifies_in_both_formats(tmp_path):
    assert verify(make_zip(tmp_path)).cut == CUT
    assert verify(make_tar(tmp_path)).cut == CUT


def test_every_rule_is_described():
    assert all(RULES.values())


# --- the archive and its sidecar --------------------------------------------------------------


def test_missing_archive_is_unreadable(tmp_path):
    assert rejected(tmp_path / archive_name(CUT)).rule == "unreadable"


def test_name_without_cut_is_rejected(tmp_path):
    assert rejected(make_zip(tmp_path, name="resultados.zip")).rule == "bad-name"


def test_impossible_cut_in_name_is_rejected(tmp_path):
    assert rejected(make_zip(tmp_path, name="20241399_2515_PREP_GUB.zip")).rule == "bad-name"


def test_missing_sidecar(tmp_path):
    archive = make_zip(tmp_path)
    archive.with_name(archive.name + ".sha256").unlink()
    assert rejected(archive).rule == "sidecar-missing"


def test_sidecar_not_in_sha256sum_format(tmp_path):
    archive = make_zip(tmp_path)
    archive.with_name(archive.name + ".sha256").write_text("not a checksum\n")
    assert rejected(archive).rule == "sidecar-invalid"


def test_sidecar_naming_another_file(tmp_path):
    archive = make_zip(tmp_path)
    sidecar = archive.with_name(archive.name + ".sha256")
    sidecar.write_text(sidecar.read_text().replace(archive.name, "other.zip"))
    assert rejected(archive).rule == "sidecar-invalid"


def test_sidecar_mismatch(tmp_path):
    archive = make_zip(tmp_path)
    sidecar = archive.with_name(archive.name + ".sha256")
    text = sidecar.read_text()
    sidecar.write_text(("0" if text[0] != "0" else "1") + text[1:])
    error = rejected(archive)
    assert error.rule == "sidecar-mismatch" and error.file == archive.name


@pytest.mark.parametrize("fmt", ["zip", "tar.gz"])
def test_truncated_archive(tmp_path, fmt):
    archive = generate(CUT, tmp_path, rows=300, fmt=fmt)
    data = archive.read_bytes()
    archive.write_bytes(data[: len(data) * 2 // 3])
    assert rejected(reseal(archive)).rule == "truncated"


def test_garbage_with_a_valid_name_is_corrupt(tmp_path):
    archive = tmp_path / archive_name(CUT, "tar.gz")
    archive.write_bytes(b"this is not an archive\n" * 10)
    assert rejected(reseal(archive)).rule == "corrupt"


def test_zip_member_failing_its_crc_is_corrupt(tmp_path):
    info = zip_info("LEEME.txt")
    info.compress_type = zipfile.ZIP_STORED
    archive = make_zip(tmp_path, [(info, b"hello, this text is stored")])
    error = rejected(replace_bytes(archive, b"hello, this", b"jello, this"))
    assert (error.rule, error.member) == ("corrupt", "LEEME.txt")


def test_tar_gz_with_a_damaged_gzip_crc_is_corrupt(tmp_path):
    archive = make_tar(tmp_path)
    data = bytearray(archive.read_bytes())
    data[-8] ^= 0xFF  # the CRC-32 in the gzip trailer
    archive.write_bytes(bytes(data))
    assert rejected(reseal(archive)).rule == "corrupt"


def test_zip_with_another_compression_method_is_unsupported(tmp_path):
    info = zip_info("LEEME.txt")
    info.compress_type = zipfile.ZIP_BZIP2
    assert rejected(make_zip(tmp_path, [(info, b"bzip2 data")])).rule == "unsupported"


def test_zip_entries_sharing_data_are_rejected(tmp_path):
    archive = make_zip(tmp_path, [("a.txt", b"a" * 100), ("b.txt", b"b" * 100)])
    with zipfile.ZipFile(archive) as handle:
        offset = handle.getinfo("a.txt").header_offset
    assert rejected(patch_zip(archive, "b.txt", header_offset=offset)).rule == (
        "overlapping-entries"
    )


# --- member names -----------------------------------------------------------------------------


@pytest.mark.parametrize("maker", [make_zip, make_tar], ids=["zip", "tar"])
def test_path_traversal(tmp_path, maker):
    member = "assets/../../evil.txt"
    members = [(member, b"x")] if maker is make_zip else [tar_member(member, b"x")]
    error = rejected(maker(tmp_path, members))
    assert (error.rule, error.member) == ("path-traversal", member)


@pytest.mark.parametrize("maker", [make_zip, make_tar], ids=["zip", "tar"])
def test_absolute_path(tmp_path, maker):
    member = "/etc/cron.d/evil"
    members = [(member, b"x")] if maker is make_zip else [tar_member(member, b"x")]
    assert rejected(maker(tmp_path, members)).rule == "absolute-path"


@pytest.mark.parametrize("member", ["assets\\..\\evil.js", "bad\nname.txt"])
def test_backslash_or_control_character_in_a_name(tmp_path, member):
    assert rejected(make_zip(tmp_path, [(member, b"x")])).rule == "bad-member-name"


def test_overlong_name_component(tmp_path):
    assert rejected(make_tar(tmp_path, [tar_member("a" * 256, b"x")])).rule == "bad-member-name"


def test_zip_name_in_cp437_without_utf8_flag(tmp_path):
    archive = make_zip(tmp_path, [("cafX.csv", b"x")])
    error = rejected(replace_bytes(archive, b"cafX.csv", b"caf\xe9.csv"))
    assert error.rule == "bad-name-encoding" and error.member == "caf\\xe9.csv"


def test_zip_name_flagged_utf8_but_invalid(tmp_path):
    info = zip_info("cafX.csv")
    info.flag_bits |= 0x800
    archive = make_zip(tmp_path, [(info, b"x")])
    assert rejected(replace_bytes(archive, b"cafX.csv", b"caf\xe9.csv")).rule == (
        "bad-name-encoding"
    )


def test_tar_name_with_latin1_bytes(tmp_path):
    archive = make_tar(tmp_path, [tar_member("caf\udce9.csv", b"x")])
    assert rejected(archive).rule == "bad-name-encoding"


def test_utf8_names_are_accepted(tmp_path):
    archive = make_zip(tmp_path, [("assets/img/méxico.svg", b"<svg/>")])
    assert verify(archive).files == 4


# --- member kinds -----------------------------------------------------------------------------


def test_zip_symlink(tmp_path):
    info = zip_info("assets/data", stat.S_IFLNK | 0o777)
    error = rejected(make_zip(tmp_path, [(info, b"/etc")]))
    assert (error.rule, error.member) == ("link", "assets/data")


def test_tar_symlink_inside_the_tree_is_also_rejected(tmp_path):
    archive = make_tar(
        tmp_path, [tar_member("inicio.html", kind=tarfile.SYMTYPE, link="index.html")]
    )
    assert rejected(archive).rule == "link"


def test_tar_hardlink_outside(tmp_path):
    member = tar_member("assets/passwd", kind=tarfile.LNKTYPE, link="../../etc/passwd")
    assert rejected(make_tar(tmp_path, [member])).rule == "link"


@pytest.mark.parametrize("kind", [tarfile.CHRTYPE, tarfile.BLKTYPE, tarfile.FIFOTYPE])
def test_tar_device_or_fifo(tmp_path, kind):
    assert rejected(make_tar(tmp_path, [tar_member("dev/thing", kind=kind)])).rule == "device"


def test_zip_device(tmp_path):
    info = zip_info("dev/null", stat.S_IFCHR | 0o666)
    assert rejected(make_zip(tmp_path, [(info, b"")])).rule == "device"


def test_tar_member_of_unknown_type(tmp_path):
    assert rejected(make_tar(tmp_path, [tar_member("odd", kind=b"Z")])).rule == "bad-type"


def test_duplicate_zip_entry(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile: "Duplicate name"
        archive = make_zip(tmp_path, [("index.html", b"<p>second copy</p>")])
    error = rejected(archive)
    assert (error.rule, error.member) == ("duplicate", "index.html")


def test_duplicate_tar_entry_after_normalization(tmp_path):
    archive = make_tar(tmp_path, [tar_member("./index.html", b"<p>second copy</p>")])
    assert rejected(archive).rule == "duplicate"


def test_member_below_a_file(tmp_path):
    archive = make_tar(tmp_path, [tar_member("index.html/evil.js", b"x")])
    assert rejected(archive).rule == "duplicate"


# --- limits -----------------------------------------------------------------------------------


@pytest.mark.parametrize("maker", [make_zip, make_tar], ids=["zip", "tar"])
def test_too_many_files(tmp_path, maker):
    names = [f"assets/f{index}.txt" for index in range(6)]
    members = (
        [(n, b"x") for n in names] if maker is make_zip else [tar_member(n, b"x") for n in names]
    )
    settings = dataclasses.replace(SETTINGS, max_files=5)
    assert rejected(maker(tmp_path, members), settings).rule == "too-many-files"


@pytest.mark.parametrize("maker", [make_zip, make_tar], ids=["zip", "tar"])
def test_too_large_by_declared_size(tmp_path, maker):
    data = b"\0" * 200_000  # compresses to almost nothing: a small bomb
    members = [("big.bin", data)] if maker is make_zip else [tar_member("big.bin", data)]
    archive = maker(tmp_path, members)
    assert archive.stat().st_size < 10_000
    settings = dataclasses.replace(SETTINGS, max_total_bytes=100_000)
    assert rejected(archive, settings).rule == "too-large"


def test_zip_whose_header_lies_about_the_size(tmp_path):
    archive = patch_zip(make_zip(tmp_path, [("big.bin", b"\0" * 200_000)]), "big.bin", file_size=10)
    with zipfile.ZipFile(archive) as handle:
        assert handle.getinfo("big.bin").file_size == 10  # the declared total is tiny
    error = rejected(archive)
    assert (error.rule, error.member) == ("too-large", "big.bin")
    assert "declared size" in error.detail


def test_actual_bytes_are_counted_against_the_total_limit(tmp_path, monkeypatch):
    # Declared sizes pass (the check is switched off), the bytes produced do not.
    archive = make_tar(tmp_path, [tar_member("big.bin", b"\0" * 200_000)])
    monkeypatch.setattr("difusor.package.extract.Checker.admit", _admit_without_size_check)
    settings = dataclasses.replace(SETTINGS, max_total_bytes=100_000)
    error = rejected(archive, settings)
    assert error.rule == "too-large" and "uncompressed data" in error.detail


def _admit_without_size_check(self, entry):
    from difusor.package.extract import normalize_name

    return normalize_name(entry.name, self.label)


# --- manifest ---------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["zip", "tar.gz"])
def test_manifest_changed_file(tmp_path, fmt):
    archive = generate(CUT, tmp_path, rows=10, fmt=fmt)

    def change(files):
        files["index.html"] = files["index.html"].replace(b"PREP", b"PREF", 1)
        return files

    error = rejected(repack(archive, change))
    assert (error.rule, error.member) == ("manifest-mismatch", "index.html")
    assert "changed" in error.detail


def test_manifest_lists_a_missing_file(tmp_path):
    archive = generate(CUT, tmp_path, rows=10)

    def drop(files):
        del files["favicon.ico"]
        return files

    error = rejected(repack(archive, drop))
    assert error.rule == "manifest-mismatch" and "missing" in error.detail


def test_file_not_in_the_manifest(tmp_path):
    archive = generate(CUT, tmp_path, rows=10)

    def add(files):
        files["assets/js/extra.js"] = b"alert(1)"
        return files

    error = rejected(repack(archive, add))
    assert error.rule == "manifest-mismatch" and "not in the manifest" in error.detail
    assert error.member == "assets/js/extra.js"


def test_malformed_manifest(tmp_path):
    files = {**base_files(), "MANIFEST.sha256": b"index.html deadbeef\n"}
    assert rejected(make_zip(tmp_path, base=files)).rule == "manifest-invalid"


def test_required_manifest_missing(tmp_path):
    settings = dataclasses.replace(SETTINGS, require_manifest=True)
    assert rejected(make_zip(tmp_path), settings).rule == "manifest-mismatch"


# --- cut agreement and header block -----------------------------------------------------------


def test_csv_line_2_disagrees_with_the_name(tmp_path):
    error = rejected(make_zip(tmp_path, base=base_files(csv_cut=LATER)))
    assert (error.rule, error.member) == ("cut-mismatch", "GUB_2024.csv")
    assert "02/06/2024 20:30 (UTC-6)" in error.detail


def test_metadata_disagrees_with_the_name(tmp_path):
    error = rejected(make_zip(tmp_path, base=base_files(meta_cut=LATER)))
    assert (error.rule, error.member) == ("cut-mismatch", "metadata.json")


def test_name_disagrees_with_the_contents(tmp_path):
    archive = generate(CUT, tmp_path, rows=10)
    renamed = archive.rename(tmp_path / archive_name(LATER))
    assert rejected(reseal(renamed)).rule == "cut-mismatch"


def test_csv_without_header_block(tmp_path):
    files = {**base_files(), "GUB_2024.csv": b"\xef\xbb\xbfCLAVE_CASILLA,PAN\n'1',3\n"}
    assert rejected(make_zip(tmp_path, base=files)).rule == "bad-csv"


def test_csv_with_unreadable_cut(tmp_path):
    files = base_files()
    files["GUB_2024.csv"] = files["GUB_2024.csv"].replace(b"02/06/2024 20:15", "mañana".encode(), 1)
    assert rejected(make_zip(tmp_path, base=files)).rule == "bad-csv"


def test_metadata_not_json(tmp_path):
    files = {**base_files(), "metadata.json": b"{cut: 20:15"}
    assert rejected(make_zip(tmp_path, base=files)).rule == "bad-metadata"


def test_package_without_results_csv(tmp_path):
    files = base_files()
    del files["GUB_2024.csv"]
    assert rejected(make_zip(tmp_path, base=files)).rule == "no-results-csv"


def test_catalog_csv_without_header_block_is_not_a_results_csv(tmp_path):
    files = {**base_files(), "GUB_CANDIDATURAS_2024.csv": b"PARTIDO_CI,CANDIDATURA\nPAN,A\n"}
    assert verify(make_zip(tmp_path, base=files)).results_csv == ("GUB_2024.csv",)


def test_csv_without_bom_and_a_lone_gzip_file_pass(tmp_path):
    files = base_files()
    files["GUB_2024.csv"] = files["GUB_2024.csv"].removeprefix(b"\xef\xbb\xbf")
    files["datos.csv.gz"] = gzip.compress(b"a,b\n1,2\n")  # a download, shadowing nothing
    assert verify(make_zip(tmp_path, base=files)).files == 4
