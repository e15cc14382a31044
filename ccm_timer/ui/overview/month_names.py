"""Month and time texts the overview windows share (Qt-free)."""

from __future__ import annotations

import calendar
from datetime import datetime

from ccm_timer.core.month import YearMonth, month_of, parse_month

MONTHS_BACK = 12  # the picker offers this month and the twelve before it


def month_title(month: str) -> str:
    ym = parse_month(month)
    return f"{calendar.month_name[ym.month]} {ym.year}"


def recent_months(now: datetime, zone, back: int = MONTHS_BACK) -> list[str]:
    """This clinic month first, then earlier ones."""
    ym: YearMonth = month_of(now, zone)
    found = []
    for _ in range(back + 1):
        found.append(str(ym))
        ym = ym.previous()
    return found


def local_clock(instant: datetime | None, zone) -> str:
    return instant.astimezone(zone).strftime("%H:%M") if instant else "…"


def local_day(instant: datetime | None, zone) -> str:
    return instant.astimezone(zone).strftime("%a %d %b") if instant else ""
