"""difusor stats on a hand-made log: every expected figure was worked out by hand (stats_kit)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from stats_kit import CHROME, SAMPLE, line, write

from difusor.stats import compute
from difusor.stats.aggregate import Collector, median
from difusor.stats.classify import BotDetector, is_page_view, page_path
from difusor.stats.logs import TimeParser, parse_lines

SALT = b"0123456789abcdef-test-salt"


@pytest.fixture
def result(tmp_path: Path) -> dict:
    return compute([write(tmp_path / "access.log", SAMPLE)], salt=SALT)


def test_totals(result: dict) -> None:
    assert result["hits"] == 16
    assert result["human_hits"] == 12
    assert result["page_views"] == 7
    assert result["visitors"] == 4  # 2 on 2 June (V1, V2) + 2 on 3 June (V2, V6)
    assert result["visitors_distinct"] == 3
    assert result["bots"] == {"hits": 4, "page_views": 3, "visitors": 3}
    assert result["malformed_lines"] == 3
    assert result["empty"] is False


def test_pages_most_viewed_first(result: dict) -> None:
    assert result["pages"] == [
        {"path": "/", "views": 3},
        {"path": "/gubernatura.html", "views": 2},
        {"path": "/index.html", "views": 2},
    ]


def test_visits_split_at_30_minutes(result: dict) -> None:
    # Visits: 3000 s (V1), 60 s (V1 again), 720 s (V2 across midnight), 0 s (V6).
    tos = result["time_on_site"]
    assert (tos["visits"], tos["mean_s"], tos["median_s"]) == (4, 945.0, 390.0)
    buckets = {row["range"]: row["visits"] for row in tos["distribution"]}
    assert buckets["0 s"] == 1
    assert buckets["1-3 min"] == 1
    assert buckets["10-30 min"] == 1
    assert buckets["30-60 min"] == 1
    assert sum(buckets.values()) == 4


def test_days_in_tiempo_del_centro(result: dict) -> None:
    june2, june3 = result["by_day"]["2024-06-02"], result["by_day"]["2024-06-03"]
    assert list(result["by_day"]) == ["2024-06-02", "2024-06-03"]
    assert (june2["hits"], june2["page_views"], june2["visitors"]) == (9, 5, 2)
    assert (june3["hits"], june3["page_views"], june3["visitors"]) == (7, 2, 2)
    # The visit that crosses midnight belongs to the day it starts in.
    assert june2["time_on_site"] == {**june2["time_on_site"], "visits": 3, "median_s": 720.0}
    assert june2["time_on_site"]["mean_s"] == 1260.0
    assert (june3["time_on_site"]["visits"], june3["time_on_site"]["mean_s"]) == (1, 0.0)
    assert june3["bots"] == {"hits": 2, "page_views": 2, "visitors": 2}
    assert june3["pages"] == [{"path": "/", "views": 1}, {"path": "/index.html", "views": 1}]


def test_by_hour(result: dict) -> None:
    hours = {row["hour"]: row for row in result["by_day"]["2024-06-02"]["by_hour"]}
    assert (hours[10]["hits"], hours[10]["page_views"], hours[10]["visits"]) == (4, 2, 1)
    assert (hours[11]["hits"], hours[11]["page_views"], hours[11]["visits"]) == (2, 2, 1)
    assert (hours[12]["hits"], hours[12]["bot_hits"], hours[12]["visits"]) == (2, 2, 0)
    midnight = result["by_day"]["2024-06-03"]["by_hour"][0]
    assert (midnight["hour"], midnight["hits"], midnight["visits"]) == (0, 3, 0)


def test_range_cuts_the_visit_at_its_first_day(tmp_path: Path) -> None:
    log = write(tmp_path / "access.log", SAMPLE)
    only3 = compute([log], start=date(2024, 6, 3), end=date(2024, 6, 3), salt=SALT)
    assert (only3["hits"], only3["out_of_range_lines"], only3["visitors"]) == (7, 9, 2)
    # V2 now starts at 00:05 (its 23:55 request is outside): 120 s; V6: 0 s.
    assert only3["time_on_site"]["visits"] == 2
    assert only3["time_on_site"]["mean_s"] == 60.0


def test_empty_range_says_so(tmp_path: Path) -> None:
    log = write(tmp_path / "access.log", SAMPLE)
    empty = compute([log], start=date(2024, 6, 10), salt=SALT)
    assert empty["empty"] is True
    assert (empty["hits"], empty["out_of_range_lines"], empty["malformed_lines"]) == (0, 16, 3)
    assert empty["by_day"] == {}


def test_rotated_gzip_files_in_any_order(tmp_path: Path, result: dict) -> None:
    # Given newest first, as a shell glob may list them; visit 3 spans .1 and the live file.
    parts = [
        write(tmp_path / "access.log", SAMPLE[10:]),
        write(tmp_path / "access.log.2.gz", SAMPLE[:5]),
        write(tmp_path / "access.log.1", SAMPLE[5:10]),
    ]
    rotated = compute(parts, salt=SALT)
    assert rotated["hits"] == result["hits"]
    assert rotated["time_on_site"] == result["time_on_site"]
    assert rotated["by_day"] == result["by_day"]


def test_same_salt_same_figures_no_raw_ip(tmp_path: Path, result: dict) -> None:
    again = compute([write(tmp_path / "again.log", SAMPLE)], salt=SALT)
    assert {k: v for k, v in again.items() if k != "files"} == {
        k: v for k, v in result.items() if k != "files"
    }
    assert "192.0.2.1" not in repr(result)


def test_same_ip_other_user_agent_is_another_visitor(tmp_path: Path) -> None:
    lines = [
        line("2024-06-05T09:00:00-06:00", "/"),
        line("2024-06-05T09:00:00-06:00", "/", agent=CHROME),
        line("2024-06-05T09:10:00-06:00", "/", ip="192.0.2.2"),
    ]
    figures = compute([write(tmp_path / "a.log", lines)])
    assert figures["visitors"] == 3


def test_open_visits_are_flushed() -> None:
    collector = Collector(salt=SALT)
    parse_time = TimeParser()
    start = parse_time("2024-06-04T00:00:00-06:00")
    for index in range(2000):  # a new visitor every minute for 33 hours
        minute = start + 60 * index
        text = line("2024-06-04T00:00:00-06:00", "/", ip=f"10.0.{index // 250}.{index % 250}")
        request = next(parse_lines([text.encode()], parse_time))
        collector.add(request._replace(epoch=minute))
        assert len(collector._open) <= 36  # 30 min of visitors + the 5-min flush interval
    figures = collector.result()
    assert figures["time_on_site"]["visits"] == 2000
    assert figures["visitors"] == 2000


@pytest.mark.parametrize(
    ("method", "status", "uri", "expected"),
    [
        ("GET", 200, "/", True),
        ("GET", 304, "/gubernatura/entidad.html?x=1", True),
        ("GET", 200, "/docs/INDEX.HTM", True),
        ("HEAD", 200, "/", False),
        ("GET", 301, "/", False),
        ("GET", 404, "/nada.html", False),
        ("GET", 200, "/assets/data/resumen.json", False),
        ("GET", 200, "/assets/descargas/GUB_2024.csv", False),
        ("GET", 200, "/favicon.ico", False),
    ],
)
def test_page_view_rule(method: str, status: int, uri: str, expected: bool) -> None:
    assert is_page_view(method, status, page_path(uri)) is expected


@pytest.mark.parametrize(
    ("agent", "expected"),
    [
        ("Mozilla/5.0 (compatible; bingbot/2.0)", True),
        ("Wget/1.21.3", True),
        ("python-requests/2.31.0", True),
        ("Mozilla/5.0 (compatible; YandexSpider/3.0)", True),
        ("", True),
        (CHROME, False),
        ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) Safari/604.1", False),
    ],
)
def test_bot_patterns(agent: str, expected: bool) -> None:
    assert BotDetector()(agent) is expected


def test_median_of_counts() -> None:
    from collections import Counter

    assert median(Counter()) == 0.0
    assert median(Counter({5: 1})) == 5.0
    assert median(Counter({1: 2, 9: 2})) == 5.0
    assert median(Counter({0: 1, 10: 3})) == 10.0


def test_damaged_gzip_is_read_up_to_the_damage(
    tmp_path: Path, result: dict, capsys: pytest.CaptureFixture[str]
) -> None:
    whole = write(tmp_path / "access.log.2.gz", SAMPLE[:5]).read_bytes()
    (tmp_path / "access.log.2.gz").write_bytes(whole[: len(whole) // 2])  # cut in the middle
    live = write(tmp_path / "access.log", SAMPLE[5:])
    figures = compute([live, tmp_path / "access.log.2.gz"], salt=SALT)
    # The lines inflated before the damage count, the rest of the file is lost, the rest read.
    assert result["hits"] - 5 <= figures["hits"] < result["hits"]
    assert figures["malformed_lines"] >= result["malformed_lines"] + 1
    assert "access.log.2.gz is damaged" in capsys.readouterr().err
