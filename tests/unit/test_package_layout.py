"""Format facts: cut times, archive names, sha256sum lines, settings."""

from datetime import datetime, timezone

import pytest
from package_kit import CUT, TZ

from difusor.errors import DifusorError
from difusor.package.layout import (
    Settings,
    archive_name,
    cut_id,
    format_csv_cut,
    load_settings,
    parse_archive_name,
    parse_csv_cut,
    parse_cut_arg,
    parse_sha256_lines,
)


def test_cut_formats():
    assert cut_id(CUT) == "20240602_2015"
    assert cut_id(datetime(2024, 6, 3, 2, 15, tzinfo=timezone.utc)) == "20240602_2015"
    assert format_csv_cut(CUT) == "02/06/2024 20:15 (UTC-6)"
    assert archive_name(CUT, "tar.gz") == "20240602_2015_PREP_VER.tar.gz"


@pytest.mark.parametrize(
    "text",
    [
        "02/06/2024 20:15 (UTC-6)",
        '"02/06/2024 20:15 (UTC-6)"',
        "02/06/2024 21:15 (UTC-5)",
        "03/06/2024 02:15 (UTC)",
        "02/06/2024 20:15",
    ],
)
def test_csv_cut_is_an_instant(text):
    assert parse_csv_cut(text) == CUT


@pytest.mark.parametrize(
    "text",
    [
        "2024-06-02 20:15",
        "20240602_2015",
        "2024-06-02T20:15-06:00",
        "2024-06-02T20:15:00.000-06:00",
        "2024-06-03T02:15Z",
    ],
)
def test_cut_arguments(text):
    assert parse_cut_arg(text) == CUT


# Python 3.11+ reads these with datetime.fromisoformat, 3.10 does not: refused on every Python.
@pytest.mark.parametrize("text", ["20240602T2015", "2024-06-02T20:15:00.1", "2024-06-02T20:15-06"])
def test_cut_arguments_read_alike_on_every_python(text):
    with pytest.raises(ValueError, match="not a cut time"):
        parse_cut_arg(text)


@pytest.mark.parametrize(
    "name",
    ["20240602_2015_PREP.zip", "20240602_2015_PREP_GUB_VER.tar.gz", "20240602_2015_PREP-x.zip"],
)
def test_archive_names_carry_the_cut(name):
    assert parse_archive_name(name).cut == CUT


@pytest.mark.parametrize(
    "name",
    ["PREP.zip", "20240602_2015_PREP.rar", "20240602_2015_prep.zip", "x20240602_2015_PREP.zip"],
)
def test_other_names_are_refused(name):
    with pytest.raises(ValueError):
        parse_archive_name(name)


def test_sha256_lines():
    digest = "a" * 64
    assert parse_sha256_lines(f"{digest}  x.zip\n{digest.upper()} *y z.csv\n") == [
        (digest, "x.zip"),
        (digest, "y z.csv"),
    ]
    with pytest.raises(ValueError, match="line 1"):
        parse_sha256_lines(f"{digest} x.zip")


def test_settings_from_a_file(tmp_path):
    path = tmp_path / "s.yml"
    path.write_text(
        "max_files: 10\npublish_from: '2027-06-06 20:00'\nprecompress_suffixes: [.html]\n"
    )
    settings = load_settings(path)
    assert settings.max_files == 10 and settings.precompress_suffixes == (".html",)
    assert settings.publish_from == datetime(2027, 6, 6, 20, 0, tzinfo=TZ)
    assert Settings().publish_from == datetime(2024, 6, 2, 20, 0, tzinfo=TZ)


@pytest.mark.parametrize(
    "text", ["max_files: many\n", "require_manifest: 1\n", "- a\n", "typo: 1\n"]
)
def test_bad_settings_are_refused(tmp_path, text):
    path = tmp_path / "s.yml"
    path.write_text(text)
    with pytest.raises(DifusorError):
        load_settings(path)
