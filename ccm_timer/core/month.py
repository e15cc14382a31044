"""Calendar-month arithmetic in the clinic's time zone.

Billing months are calendar months of the clinic's local date (CMS names no time zone; the
practice's local date of service is a design choice). Every instant handled here is an aware
UTC datetime; local midnights are converted with zoneinfo so daylight-saving changes inside
or at the edge of a month are exact (a New York November is 30 days and 1 hour long).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

# ASCII digits only: \d would also accept other scripts' digits.
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")
_ONE_SECOND = timedelta(seconds=1)


class YearMonth(NamedTuple):
    """A calendar month. A tuple, so `year, month = ym` works where a pair is expected."""

    year: int
    month: int

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return self.next().first_day - timedelta(days=1)

    def days_left(self, today: date) -> int:
        """Days of the month from `today` on, today included (a call can still be made
        today): 0 once it is over, all of them before it begins. The worklist and the
        dashboard both say this number."""
        if today > self.last_day:
            return 0
        return (self.last_day - max(today, self.first_day)).days + 1

    def next(self) -> YearMonth:
        if self.month == 12:
            return YearMonth(self.year + 1, 1)
        return YearMonth(self.year, self.month + 1)

    def previous(self) -> YearMonth:
        if self.month == 1:
            return YearMonth(self.year - 1, 12)
        return YearMonth(self.year, self.month - 1)

    def contains(self, day: date) -> bool:
        return day.year == self.year and day.month == self.month


def parse_month(text: str) -> YearMonth:
    """Parse exactly "YYYY-MM" (no spaces, no single-digit month, ASCII digits)."""
    match = _MONTH.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"{text!r} is not a month; write it as YYYY-MM, for example 2025-03")
    year, month = int(match.group(1)), int(match.group(2))
    if year < 1 or not 1 <= month <= 12:
        raise ValueError(f"{text!r} is not a real month; the month must be 01 to 12")
    return YearMonth(year, month)


def as_month(value: YearMonth | tuple[int, int] | str) -> YearMonth:
    if isinstance(value, str):
        return parse_month(value)
    year, month = value
    if not 1 <= month <= 12:
        raise ValueError(f"month {month} is not 1 to 12")
    return YearMonth(int(year), int(month))


def as_zone(zone: ZoneInfo | str) -> ZoneInfo:
    return zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)


def _local_midnight_utc(day: date, zone: ZoneInfo) -> datetime:
    # fold=0: if midnight falls in a DST gap this maps to the first instant after the gap,
    # which is when that local day actually began.
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)


def day_start_utc(day: date, zone: ZoneInfo | str) -> datetime:
    """The instant a clinic day begins (its local midnight, or the end of a DST gap)."""
    return _local_midnight_utc(day, as_zone(zone))


def month_bounds_utc(
    month: YearMonth | tuple[int, int] | str, zone: ZoneInfo | str
) -> tuple[datetime, datetime]:
    """[start, end) of the month in `zone`, as aware UTC instants."""
    ym = as_month(month)
    tz = as_zone(zone)
    return _local_midnight_utc(ym.first_day, tz), _local_midnight_utc(ym.next().first_day, tz)


def _require_aware(instant: datetime) -> None:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"{instant.isoformat()} has no time zone; pass an aware UTC instant")


def month_of(instant: datetime, zone: ZoneInfo | str) -> YearMonth:
    """The clinic-calendar month an instant falls in."""
    _require_aware(instant)
    local = instant.astimezone(as_zone(zone))
    return YearMonth(local.year, local.month)


def whole_seconds(start: datetime, end: datetime) -> int:
    """Elapsed whole seconds from start to end (0 if end is not after start)."""
    if end <= start:
        return 0
    return (end - start) // _ONE_SECOND


def clip_seconds(start: datetime, end: datetime, lo: datetime, hi: datetime) -> int:
    """Whole seconds of [start, end) that fall inside [lo, hi)."""
    return whole_seconds(max(start, lo), min(end, hi))


def split_seconds_by_month(
    intervals: Iterable[tuple[datetime, datetime]], zone: ZoneInfo | str
) -> dict[YearMonth, int]:
    """Seconds per clinic-calendar month for UTC intervals [start, end): how
    store/month_time.py counts the entries that run or cross a month edge.

    An interval crossing a local month boundary is cut at that boundary's instant, so no
    second is counted in two months. Months with no time are absent. Sub-second remainders
    are dropped per piece (never rounded up), so a month never gains a second it did not have.
    """
    tz = as_zone(zone)
    bounds: dict[YearMonth, tuple[datetime, datetime]] = {}
    out: dict[YearMonth, int] = {}
    for start, end in intervals:
        _require_aware(start)
        _require_aware(end)
        if end <= start:
            continue
        ym = month_of(start, tz)
        while True:
            span = bounds.get(ym)
            if span is None:
                span = bounds[ym] = month_bounds_utc(ym, tz)
            lo, hi = span
            seconds = clip_seconds(start, end, lo, hi)
            if seconds:
                out[ym] = out.get(ym, 0) + seconds
            if end <= hi:
                break
            ym = ym.next()
    return out


def months_before(day: date, months: int) -> date:
    """The same day `months` earlier (the month's last day when it has fewer days): how a
    care plan's review is found stale, by the engine and the tray alike."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month + 1, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")
