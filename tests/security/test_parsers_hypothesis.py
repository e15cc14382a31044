"""Every date and time parser the command line accepts (`--dob`, `--consent`, `--start`,
`--end`, `--month`, `--timeout`, the recovery key), and the note check, under hypothesis:
they accept exactly their format, round-trip what they accept, and refuse anything else with
ValueError (never another error, never a guess). tests/core/test_parse.py holds the
hand-picked cases."""

from __future__ import annotations

import argparse
import unicodedata
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccm_timer.cli.args import date_arg, month_arg, timeout_arg
from ccm_timer.core import entry_limits
from ccm_timer.core.month import YearMonth, parse_month
from ccm_timer.core.parse import MAX_NOTE, UNSAFE, check_note, parse_date, parse_instant

ZONES = st.sampled_from([ZoneInfo(z) for z in ("America/New_York", "America/Chicago",
                                                "America/Los_Angeles", "Pacific/Honolulu",
                                                "Europe/London", "Australia/Lord_Howe",
                                                "UTC")])
# Printable and hostile characters alike: other scripts' digits, full-width forms, bidi
# controls, NUL, newlines.
HOSTILE = st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from(
    ["\u0660", "\uff12", "\u202e", "\x00", "\n", "T", "Z", ":", "-", "+", "."]), max_size=40)
PARSERS = {
    "date": parse_date,
    "instant": lambda t: parse_instant(t, ZoneInfo("America/New_York")),
    "month": parse_month,
}


@given(st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)))
def test_dates_round_trip(day):
    assert parse_date(day.isoformat()) == day
    assert date_arg(f" {day.isoformat()} ") == day


@given(st.integers(1, 9999), st.integers(1, 12))
def test_months_round_trip(year, month):
    text = f"{year:04d}-{month:02d}"
    assert parse_month(text) == YearMonth(year, month)
    assert month_arg(text) == text


@given(st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(2200, 1, 1),
                    timezones=st.just(UTC)),
       st.integers(-23 * 60 - 59, 23 * 60 + 59))
def test_instants_with_an_offset_round_trip(instant, offset_minutes):
    zone = timezone(timedelta(minutes=offset_minutes))
    text = instant.astimezone(zone).isoformat(timespec="microseconds")
    assert parse_instant(text, ZoneInfo("America/New_York")) == instant


@given(st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2100, 1, 1)), ZONES)
def test_wall_times_are_exact_or_refused_never_guessed(wall, zone):
    wall = wall.replace(microsecond=0)
    text = wall.strftime("%Y-%m-%dT%H:%M:%S")
    earlier = wall.replace(tzinfo=zone, fold=0)
    later = wall.replace(tzinfo=zone, fold=1)
    try:
        got = parse_instant(text, zone)
    except ValueError as exc:
        # Only a wall time the clocks skipped or repeated may be refused, and it says which.
        assert earlier.utcoffset() != later.utcoffset()
        assert "does not exist" in str(exc) or "happens twice" in str(exc)
        return
    assert earlier.utcoffset() == later.utcoffset()
    assert got == earlier.astimezone(UTC)
    assert got.astimezone(zone).replace(tzinfo=None) == wall


@given(HOSTILE)
def test_anything_else_is_a_value_error(text):
    for name, parse in PARSERS.items():
        try:
            parse(text)
        except ValueError as exc:
            assert str(exc), name
    for arg in (date_arg, month_arg):
        try:
            arg(text)
        except argparse.ArgumentTypeError as exc:
            assert str(exc)


@given(st.from_regex(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", fullmatch=True))
def test_digit_shaped_dates_are_real_or_refused(text):
    try:
        day = parse_date(text)
    except ValueError as exc:
        assert "not a real calendar date" in str(exc)
        with pytest.raises(ValueError):
            date.fromisoformat(text)
        return
    assert day.isoformat() == text


@given(st.from_regex(r"[0-9]{4}-[0-9]{2}", fullmatch=True))
def test_digit_shaped_months_are_real_or_refused(text):
    month = int(text[5:])
    year = int(text[:4])
    if 1 <= month <= 12 and year >= 1:
        assert str(parse_month(text)) == text
    else:
        with pytest.raises(ValueError, match="not a real month"):
            parse_month(text)


@given(st.sampled_from(["\u0660", "\uff10", "\u09e6", "\U0001d7ce"]),
       st.dates(min_value=date(1000, 1, 1)))
def test_other_scripts_digits_are_refused(digit, day):
    text = day.isoformat()
    for position in range(len(text)):
        if text[position].isdigit():
            hostile = text[:position] + digit + text[position + 1:]
            with pytest.raises(ValueError):
                parse_date(hostile)
            with pytest.raises(ValueError):
                parse_month(hostile[:7])
            break


# Issue 13, defect 12: the ends of the calendar, with and without an offset, were
# OverflowError and a failed strptime; an entry's times and the network timeout had no bounds.

@given(st.from_regex(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(Z|[+-][0-9]{2}:[0-9]{2})?",
                     fullmatch=True)
       | st.sampled_from(["0001-01-01T00:00", "0001-01-01T00:00+05:00", "9999-12-31T23:59",
                          "9999-12-31T23:59-05:00", "9999-12-31T23:59+00:00"]),
       ZONES)
def test_any_instant_shaped_text_is_a_time_or_a_value_error(text, zone):
    try:
        instant = parse_instant(text, zone)
    except ValueError as exc:
        assert str(exc)
        return
    assert instant.tzinfo is UTC


@given(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30),
                    timezones=st.just(UTC)),
       st.timedeltas(min_value=timedelta(seconds=1), max_value=timedelta(days=5000)),
       st.booleans())
def test_entry_times_are_kept_only_within_the_clinical_dates_and_lengths(start, length,
                                                                        confirmed):
    try:
        end = start + length
    except OverflowError:
        return
    within = entry_limits.EARLIEST <= start and length <= entry_limits.LONGEST
    try:
        entry_limits.check_times(start, end)
        entry_limits.check_confirmed(start, end, confirmed)
    except entry_limits.NeedsConfirmation:
        assert within and not confirmed and length > entry_limits.CONFIRM_OVER
        return
    except ValueError as exc:
        assert not within
        assert "is before 2000-01-01, the earliest date an entry may have" in str(exc) or (
            "more than 24 hours; add one entry per day of work" in str(exc))
        return
    assert within and (confirmed or length <= entry_limits.CONFIRM_OVER)


@given(st.floats(allow_nan=True, allow_infinity=True).map(repr) | HOSTILE
       | st.sampled_from(["-1", "nan", "1e308", "inf", "-inf", "0", "120", "120.0001", "1e-9"]))
def test_a_network_timeout_is_positive_finite_and_at_most_two_minutes(text):
    try:
        value = timeout_arg(text)
    except argparse.ArgumentTypeError as exc:
        assert str(exc).startswith("the timeout must be a number of seconds above 0 and at "
                                   "most 120")
        return
    assert 0 < value <= 120 and value == float(text)


@given(HOSTILE | st.lists(st.sampled_from(["a", " ", "\n", "\t", "\r", "\x1b", "[", "\x9b",
                                           "\u202e", "\u2066", "\ud8ff", "\u00e9", "e\u0301",
                                           "\U0001f469\u200d"]), max_size=30).map("".join))
def test_a_note_is_kept_as_typed_or_refused_in_one_sentence(text):
    try:
        note = check_note(text)
    except ValueError as exc:
        message = str(exc)
        assert message.startswith("the note ") and "\n" not in message
        assert UNSAFE.search(text.replace("\r", "\n")) or len(text) > MAX_NOTE
        return
    assert not UNSAFE.search(note)
    assert note == unicodedata.normalize(
        "NFC", text.replace("\r\n", "\n").replace("\r", "\n").strip())
