"""Which day a daily backup is of, and whether today's is still to take. Standard library
only: the full open (services/security/backups.py) and the command line's plain paths
(services/timing/quick_open.py) decide it with this one rule."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

_DAILY = re.compile(r"daily-([0-9]{4}-[0-9]{2}-[0-9]{2})\.db")


def daily_name(day: date) -> str:
    return f"daily-{day.isoformat()}.db"


def day_of(name: str) -> date | None:
    """The day of a daily backup's file name; None for any other file."""
    match = _DAILY.fullmatch(name)
    return date.fromisoformat(match.group(1)) if match else None


def due(folder: Path, now: datetime) -> bool:
    """No daily backup of today (UTC) in `folder` yet (an unreadable folder: due)."""
    try:
        days = [d for p in folder.iterdir() if (d := day_of(p.name)) is not None and p.is_file()]
    except OSError:
        return True
    return not days or max(days) < now.astimezone(UTC).date()
