from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccm_timer.core.parse import (
    check_mrn,
    check_text,
    fold,
    parse_date,
    parse_instant,
    parse_person_name,
)

NY = ZoneInfo("America/New_York")


@pytest.mark.parametrize("text", ["2026-2-3", "03/02/2026", "2026-02-30", "2026-13-01", "",
                                  "2026-02-03x", "２０２６-02-03", "2026-02-03T10:00"])
def test_bad_dates_refused(text):
    with pytest.raises(ValueError):
        parse_date(text)


def test_good_date():
    assert parse_date(" 2024-02-29 ") == date(2024, 2, 29)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2026-11-03T10:00", datetime(2026, 11, 3, 15, 0, tzinfo=UTC)),
        ("2026-11-03 10:00:05", datetime(2026, 11, 3, 15, 0, 5, tzinfo=UTC)),
        ("2026-11-03T10:00:05.25", datetime(2026, 11, 3, 15, 0, 5, 250000, tzinfo=UTC)),
        ("2026-11-03T10:00Z", datetime(2026, 11, 3, 10, 0, tzinfo=UTC)),
        ("2026-11-03T10:00+01:00", datetime(2026, 11, 3, 9, 0, tzinfo=UTC)),
        ("2026-11-01T01:30-04:00", datetime(2026, 11, 1, 5, 30, tzinfo=UTC)),
        ("2026-11-01T01:30-05:00", datetime(2026, 11, 1, 6, 30, tzinfo=UTC)),
    ],
)
def test_instants(text, expected):
    assert parse_instant(text, NY) == expected


@pytest.mark.parametrize(
    "text, words",
    [
        ("2026-03-08T02:30", "does not exist"),  # spring forward gap
        ("2026-11-01T01:30", "happens twice"),  # fall back fold
        ("2026-11-03T25:00", "not a real"),
        ("2026-11-03", "not a time"),
        ("10:00", "not a time"),
        ("2026-11-03T10:00+24:00", "impossible"),
    ],
)
def test_bad_instants(text, words):
    with pytest.raises(ValueError, match=words):
        parse_instant(text, NY)


@given(st.text(max_size=40))
def test_parsers_never_raise_anything_but_valueerror(text):
    for parse in (parse_date, lambda t: parse_instant(t, NY), check_mrn,
                  lambda t: check_text(t, "name"), parse_person_name):
        try:
            parse(text)
        except ValueError:
            pass


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1),
                    timezones=st.just(UTC)))
def test_utc_round_trip(instant):
    text = instant.strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"
    assert parse_instant(text, NY) == instant


@pytest.mark.parametrize("name", ["=HYPERLINK(\"x\")", "+1", "@SUM(A1)", "-2", "Ali\u202eecb",
                                  "a\x00b", "", "   "])
def test_hostile_text_refused(name):
    with pytest.raises(ValueError):
        check_text(name, "name")


def test_names_with_accents_kept_and_folded():
    assert parse_person_name("Sample, José") == ("Sample", "José")
    assert fold("José ÉLAN") == "jose elan"


@pytest.mark.parametrize("mrn", ["", " ", "T 1", "-T1", "x" * 31, "T1;DROP"])
def test_bad_mrns(mrn):
    with pytest.raises(ValueError):
        check_mrn(mrn)
