"""Properties of the readers of hostile input (issue 13): the archive readers and the CSV head.

- what zipfile and tarfile write, the readers read back the same (names, kinds, sizes, bytes);
- whatever the bytes (random, or a valid archive damaged or cut anywhere), a reader or the CSV
  head raises PackageRejected or succeeds: never another exception, never a hang;
- the cut on a results CSV's record 2 is read the same from any head that holds the header
  block, wherever the head ends (inside a multi-byte character, a quoted field, a record).
Needs hypothesis (requirements/dev.txt); not among the host-side tests (pytest and PyYAML only).
"""

import contextlib
import csv
import io
import tarfile
import zipfile
from datetime import datetime, timedelta

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from package_kit import SETTINGS, TZ  # noqa: E402

from difusor.package.archive import Kind, open_reader  # noqa: E402
from difusor.package.errors import PackageRejected  # noqa: E402
from difusor.package.layout import format_csv_cut  # noqa: E402
from difusor.package.verify import csv_cut  # noqa: E402

PROPERTIES = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
segment = st.text(
    alphabet=st.characters(
        whitelist_categories=("Lu", "Ll", "Nd"), whitelist_characters="_-.áéíóúñÁÑü€中"
    ),
    min_size=1,
    max_size=40,
)
member_name = st.lists(segment, min_size=1, max_size=4).map("/".join)
members = st.dictionaries(member_name, st.binary(max_size=3000), min_size=1, max_size=6)


def read_all(data: bytes, fmt: str) -> list[tuple[str, Kind, int, bytes]]:
    reader = open_reader(io.BytesIO(data), fmt, "a." + fmt)
    found = []
    try:
        for entry in reader.entries():
            body = b"".join(reader.chunks(entry)) if entry.kind is Kind.FILE else b""
            found.append((entry.name, entry.kind, entry.size, body))
    finally:
        reader.close()
    return found


def files_only(found):
    return {name: body for name, kind, _, body in found if kind is Kind.FILE}


def unique(files: dict[str, bytes]) -> dict[str, bytes]:
    """No member below another member's name (a path cannot be a file and a directory)."""
    names = sorted(files)
    return {
        name: data
        for name, data in files.items()
        if not any(other.startswith(name + "/") for other in names)
    }


def zip_bytes(files: dict[str, bytes], method: int) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


def tar_gz_bytes(files: dict[str, bytes], fmt: int) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz", format=fmt) as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


@PROPERTIES
@given(members, st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED]))
def test_what_zipfile_writes_the_reader_reads_back(files, method):
    files = unique(files)
    data = zip_bytes(files, method)
    found = read_all(data, "zip")
    assert [name for name, *_ in found] == list(files)
    assert files_only(found) == files
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert {name: archive.read(name) for name in archive.namelist()} == files_only(found)


long_name = st.lists(segment, min_size=3, max_size=12).map("/".join)


@PROPERTIES
@given(
    st.dictionaries(
        st.one_of(member_name, long_name), st.binary(max_size=2000), min_size=1, max_size=5
    ),
    st.sampled_from([tarfile.GNU_FORMAT, tarfile.PAX_FORMAT, tarfile.USTAR_FORMAT]),
)
def test_what_tarfile_writes_the_reader_reads_back(files, fmt):
    files = unique(files)
    try:
        data = tar_gz_bytes(files, fmt)
    except ValueError:  # ustar cannot hold some long names
        hypothesis.assume(False)
    found = read_all(data, "tar.gz")
    assert [name for name, *_ in found] == list(files)
    assert files_only(found) == files
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        assert {m.name: archive.extractfile(m).read() for m in archive} == files_only(found)


def only_rejections(data: bytes, fmt: str) -> None:
    with contextlib.suppress(PackageRejected):
        read_all(data, fmt)


@PROPERTIES
@given(st.binary(max_size=4000), st.sampled_from(["zip", "tar.gz"]))
def test_any_bytes_are_read_or_rejected(data, fmt):
    only_rejections(data, fmt)


@PROPERTIES
@given(
    members,
    st.sampled_from(["zip", "tar.gz"]),
    st.lists(st.tuples(st.integers(min_value=0), st.integers(0, 255)), max_size=8),
    st.one_of(st.none(), st.integers(min_value=0)),
)
def test_a_damaged_or_cut_archive_is_read_or_rejected(files, fmt, flips, cut):
    files = unique(files)
    data = bytearray(
        zip_bytes(files, zipfile.ZIP_DEFLATED) if fmt == "zip" else tar_gz_bytes(files, 1)
    )
    for position, value in flips:
        data[position % len(data)] = value
    if cut is not None:
        data = data[: cut % (len(data) + 1)]
    only_rejections(bytes(data), fmt)


@PROPERTIES
@given(
    st.lists(st.tuples(st.integers(1, 4), segment), max_size=6),
    st.sampled_from([zipfile.ZIP_DEFLATED, "tar"]),
)
def test_corrupt_headers_never_escape_as_other_errors(patches, kind):
    """Overwrite header fields (sizes, counts, offsets) with digits or text."""
    files = {"index.html": b"<p>x</p>", "GUB_2024.csv": b"a,b\n" * 50}
    if kind == "tar":
        data, fmt = bytearray(tar_gz_bytes(files, tarfile.GNU_FORMAT)), "tar.gz"
    else:
        data, fmt = bytearray(zip_bytes(files, kind)), "zip"
    for where, text in patches:
        position = len(data) * where // 5
        raw = text.encode()[:8]
        data[position : position + len(raw)] = raw
    only_rejections(bytes(data), fmt)


# --- the CSV head ------------------------------------------------------------------------------

cell = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=30,
)


def results_text(election: str, cut: datetime, rows: list[list[str]]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([election])
    writer.writerow([format_csv_cut(cut, SETTINGS)])
    writer.writerow([])
    writer.writerow(["ACTAS_ESPERADAS", "ACTAS_REGISTRADAS"])
    writer.writerow(["11000", "10999"])
    writer.writerow([])
    writer.writerow(["CLAVE_CASILLA", "CLAVE_ACTA"])
    writer.writerows(rows)
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")


@PROPERTIES
@given(
    cell.filter(lambda text: text.strip(" \"'\r\n\t\x0b\x0c") != ""),
    st.integers(0, 60 * 24 * 30),
    st.lists(st.lists(cell, min_size=1, max_size=4), max_size=30),
    st.integers(min_value=0),
)
def test_the_cut_is_record_2_from_any_head_that_holds_the_header_block(election, minutes, rows,
                                                                       end):  # fmt: skip
    cut = datetime(2024, 6, 2, 20, 0, tzinfo=TZ) + timedelta(minutes=minutes)
    data = results_text(election, cut, rows)
    block = len(results_text(election, cut, []))
    whole_reading = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert whole_reading[1] == [format_csv_cut(cut, SETTINGS)]
    if not whole_reading[0] or not whole_reading[0][0].strip():
        return
    # A head that ends anywhere after the header block and one more byte.
    head = data[: block + 1 + end % (len(data) - block + 1)]
    whole = len(head) == len(data)
    try:
        found = csv_cut("a.zip", "GUB_2024.csv", head, SETTINGS, whole)
    except PackageRejected as exc:
        # Only an election cell that is blank once stripped is refused.
        assert exc.rule == "bad-csv" and "election" in exc.detail
        return
    assert found == cut


@PROPERTIES
@given(st.binary(max_size=2000), st.booleans())
def test_any_csv_head_is_read_or_rejected(head, whole):
    try:
        csv_cut("a.zip", "GUB_2024.csv", head, SETTINGS, whole)
    except PackageRejected as exc:
        assert exc.rule in ("bad-csv",)
