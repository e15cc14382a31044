"""Typed wall-clock times in the clinic zone, including the DST edges."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from ccm_timer.errors import UserError
from ccm_timer.services.timing.local_times import local_instant, local_range

NY = ZoneInfo("America/New_York")


def test_a_range_on_an_ordinary_day() -> None:
    start, end = local_range(date(2026, 11, 3), time(9, 0), time(9, 20), NY)
    assert start == datetime(2026, 11, 3, 14, 0, tzinfo=UTC)
    assert (end - start).total_seconds() == 1200


def test_end_not_after_start_is_refused() -> None:
    with pytest.raises(UserError, match="not after the start"):
        local_range(date(2026, 11, 3), time(9, 0), time(9, 0), NY)


def test_spring_forward_gap_and_fall_back_fold_are_refused() -> None:
    with pytest.raises(UserError, match="does not exist"):
        local_instant(date(2026, 3, 8), time(2, 30), NY)
    with pytest.raises(UserError, match="happens twice"):
        local_instant(date(2026, 11, 1), time(1, 30), NY)
    assert local_instant(date(2026, 11, 1), time(2, 30), NY) == datetime(
        2026, 11, 1, 7, 30, tzinfo=UTC)
