"""When time typed by hand may fall and how long one entry may last.

A slip of the keyboard (1926 for 2026, the 21st for the 2nd) makes an entry that would
otherwise be approved and billed like any other; these limits catch it where it is typed.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)  # the latest end is now (time already spent)
CONFIRM_OVER = timedelta(hours=12)  # longer needs the person to say it is right
LONGEST = timedelta(hours=24)  # longer is several entries, one per day of work


class NeedsConfirmation(ValueError):
    """The entry is possible but unusual (over CONFIRM_OVER): ask before keeping it."""

    def __init__(self, length: timedelta) -> None:
        self.length = length
        super().__init__(f"the entry would be {hours(length)} long, more than "
                         f"{hours(CONFIRM_OVER)}")


def hours(length: timedelta) -> str:
    whole, rest = divmod(int(length.total_seconds()) // 60, 60)
    return f"{whole} hours" if not rest else f"{whole} h {rest:02d} min"


def check_times(start: datetime, end: datetime) -> None:
    """ValueError unless the entry (UTC, start before end) starts on or after EARLIEST and
    lasts no longer than LONGEST; that its end is not in the future the caller checks."""
    if start < EARLIEST:
        raise ValueError(
            f"the start {start.date().isoformat()} is before {EARLIEST.date().isoformat()}, "
            "the earliest date an entry may have; check the year")
    if end - start > LONGEST:
        raise ValueError(f"the entry would be {hours(end - start)} long, more than "
                         f"{hours(LONGEST)}; add one entry per day of work")


def check_confirmed(start: datetime, end: datetime, confirmed: bool) -> None:
    """NeedsConfirmation past CONFIRM_OVER unless `confirmed`."""
    if end - start > CONFIRM_OVER and not confirmed:
        raise NeedsConfirmation(end - start)
