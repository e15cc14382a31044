"""Month math in a clinic time zone: bounds, strict parsing, splitting across boundaries."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccm_timer.core.month import (
    YearMonth,
    month_bounds_utc,
    month_of,
    parse_month,
    split_seconds_by_month,
)

NY = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2025-03", YearMonth(2025, 3)), ("2026-12", YearMonth(2026, 12)),
     ("0001-01", YearMonth(1, 1))],
)
def test_parse_month_accepts_exact_form(text: str, expected: YearMonth) -> None:
    assert parse_month(text) == expected
    assert str(parse_month(text)) == text


@pytest.mark.parametrize(
    "text",
    ["2025-3", "2025-13", "2025-00", "25-03", "2025/03", " 2025-03", "2025-03 ", "2025-03-01",
     "", "0000-01", "２０２５-03", "2025-0３", "March 2025"],
)
def test_parse_month_refuses_anything_else(text: str) -> None:
    with pytest.raises(ValueError, match="month"):
        parse_month(text)


def test_year_month_navigation() -> None:
    assert YearMonth(2025, 12).next() == YearMonth(2026, 1)
    assert YearMonth(2025, 1).previous() == YearMonth(2024, 12)
    assert YearMonth(2024, 2).last_day == date(2024, 2, 29)
    assert YearMonth(2025, 2).last_day == date(2025, 2, 28)
    year, month = YearMonth(2025, 7)  # unpacks like the (year, month) pair it replaces
    assert (year, month) == (2025, 7)


@pytest.mark.parametrize(
    ("month", "zone", "start", "end"),
    [
        # New York: March starts in EST (-5) and ends in EDT (-4).
        ("2025-03", NY, utc(2025, 3, 1, 5), utc(2025, 4, 1, 4)),
        # November starts in EDT and ends in EST: 30 days and 1 hour long.
        ("2025-11", NY, utc(2025, 11, 1, 4), utc(2025, 12, 1, 5)),
        ("2025-12", NY, utc(2025, 12, 1, 5), utc(2026, 1, 1, 5)),
        # London: March starts in GMT and April 1 is already BST.
        ("2025-03", LONDON, utc(2025, 3, 1, 0), utc(2025, 3, 31, 23)),
        ("2025-10", LONDON, utc(2025, 9, 30, 23), utc(2025, 11, 1, 0)),
        ("2025-06", "UTC", utc(2025, 6, 1), utc(2025, 7, 1)),
    ],
)
def test_month_bounds_in_clinic_zone(
    month: str, zone: ZoneInfo | str, start: datetime, end: datetime
) -> None:
    assert month_bounds_utc(month, zone) == (start, end)


def test_month_lengths_across_dst() -> None:
    lo, hi = month_bounds_utc("2025-11", NY)
    assert hi - lo == timedelta(days=30, hours=1)
    lo, hi = month_bounds_utc("2025-03", NY)
    assert hi - lo == timedelta(days=31, hours=-1)


def test_month_of_uses_local_date() -> None:
    # 03:30 UTC on Nov 1 is still Oct 31 in New York.
    assert month_of(utc(2025, 11, 1, 3, 30), NY) == YearMonth(2025, 10)
    assert month_of(utc(2025, 11, 1, 4, 0), NY) == YearMonth(2025, 11)
    # 23:30 UTC on Mar 31 is already April 1 in London (BST).
    assert month_of(utc(2025, 3, 31, 23, 30), LONDON) == YearMonth(2025, 4)


def test_naive_instants_are_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        month_of(datetime(2025, 3, 1), NY)
    with pytest.raises(ValueError, match="time zone"):
        split_seconds_by_month([(datetime(2025, 3, 1), datetime(2025, 3, 2))], NY)


def test_entry_crossing_midnight_at_month_end_is_split_new_york() -> None:
    # 23:30 EDT Oct 31 to 00:45 EDT Nov 1 (DST ends the next day).
    start = datetime(2025, 10, 31, 23, 30, tzinfo=NY).astimezone(UTC)
    end = datetime(2025, 11, 1, 0, 45, tzinfo=NY).astimezone(UTC)
    assert split_seconds_by_month([(start, end)], NY) == {
        YearMonth(2025, 10): 30 * 60,
        YearMonth(2025, 11): 45 * 60,
    }


def test_entry_crossing_month_end_london_when_clocks_changed() -> None:
    # 23:00 UTC Mar 31 is 00:00 BST Apr 1: the London boundary is 23:00 UTC, not 00:00.
    got = split_seconds_by_month([(utc(2025, 3, 31, 22, 40), utc(2025, 3, 31, 23, 10))], LONDON)
    assert got == {YearMonth(2025, 3): 20 * 60, YearMonth(2025, 4): 10 * 60}
    # The same UTC interval in UTC itself stays in March.
    got = split_seconds_by_month([(utc(2025, 3, 31, 22, 40), utc(2025, 3, 31, 23, 10))], "UTC")
    assert got == {YearMonth(2025, 3): 30 * 60}


def test_entry_over_a_dst_change_counts_elapsed_time() -> None:
    # 01:30 EDT to 01:30 EST on Nov 2 2025: one wall-clock hour repeated, two real hours.
    start = datetime(2025, 11, 2, 1, 30, tzinfo=NY, fold=0).astimezone(UTC)
    end = datetime(2025, 11, 2, 1, 30, tzinfo=NY, fold=1).astimezone(UTC)
    assert split_seconds_by_month([(start, end)], NY) == {YearMonth(2025, 11): 3600}
    # 01:30 EST to 03:30 EDT on Mar 9 2025: one real hour.
    start = datetime(2025, 3, 9, 1, 30, tzinfo=NY).astimezone(UTC)
    end = datetime(2025, 3, 9, 3, 30, tzinfo=NY).astimezone(UTC)
    assert split_seconds_by_month([(start, end)], NY) == {YearMonth(2025, 3): 3600}


def test_interval_spanning_several_months_and_empty_ones() -> None:
    start = datetime(2025, 1, 31, 12, tzinfo=NY).astimezone(UTC)
    end = datetime(2025, 3, 1, 12, tzinfo=NY).astimezone(UTC)
    got = split_seconds_by_month([(start, end), (end, end), (end, start)], NY)
    assert got == {
        YearMonth(2025, 1): 12 * 3600,
        YearMonth(2025, 2): 28 * 86400,
        YearMonth(2025, 3): 12 * 3600,
    }


def test_sub_second_pieces_are_never_rounded_up() -> None:
    start = utc(2025, 3, 1, 10, 0, 0) + timedelta(milliseconds=500)
    end = utc(2025, 3, 1, 10, 0, 20)
    assert split_seconds_by_month([(start, end)], "UTC") == {YearMonth(2025, 3): 19}


instants = st.datetimes(
    min_value=datetime(2024, 10, 1), max_value=datetime(2026, 4, 30), timezones=st.just(UTC)
)


@given(st.lists(st.tuples(instants, st.integers(0, 90 * 86400)), max_size=8),
       st.sampled_from([NY, LONDON, ZoneInfo("Australia/Lord_Howe"), ZoneInfo("UTC")]))
def test_split_never_creates_or_loses_a_second(
    pairs: list[tuple[datetime, int]], zone: ZoneInfo
) -> None:
    intervals = [(s.replace(microsecond=0), s.replace(microsecond=0) + timedelta(seconds=d))
                 for s, d in pairs]
    got = split_seconds_by_month(intervals, zone)
    assert sum(got.values()) == sum(d for _, d in pairs)
    for ym, seconds in got.items():
        lo, hi = month_bounds_utc(ym, zone)
        assert 0 < seconds <= (hi - lo).total_seconds() * len(intervals)
