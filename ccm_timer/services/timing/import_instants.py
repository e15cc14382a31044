"""The times of an imported file, read as core/parse.parse_instant reads them, fast: a million
rows hold two million of them, and parse_instant costs about 20 us each.

The common shapes (2025-01-02T14:00[:00], with Z, an offset or none) go through
datetime.fromisoformat; a time without an offset takes its hour's offset in the clinic's
zone from a cache, for an hour with one offset all through (no clock change in it). Any
other shape, any doubt (a clock change, a date or offset that does not exist) and every
refusal go to parse_instant itself, so the answer and its words are the same.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from ccm_timer.core.parse import parse_instant

# A subset of what parse_instant takes (no fraction of a second), ASCII digits only.
_COMMON = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2})?"
                     r"(?:Z|[+-][0-9]{2}:[0-9]{2})?")
_LAST = timedelta(minutes=59, seconds=59, microseconds=999_999)


class Instants:
    """parse_instant(text, zone) for many texts (a callable)."""

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self._hours: dict[str, timedelta | None] = {}  # "YYYY-MM-DDTHH" -> its offset

    def __call__(self, text: str) -> datetime:
        value = text.strip()
        if _COMMON.fullmatch(value):
            try:
                at = datetime.fromisoformat(value)
                if at.tzinfo is not None:
                    return at.astimezone(UTC)
                offset = self._offset(value[:13], at)
                if offset is not None:
                    return (at - offset).replace(tzinfo=UTC)
            except (ValueError, OverflowError):
                pass
        return parse_instant(text, self.zone)

    def _offset(self, key: str, wall: datetime) -> timedelta | None:
        """The zone's offset all through the hour of `wall`; None when it changes in it or
        a wall time of it is missing or twice (parse_instant says which)."""
        if key not in self._hours:
            first = wall.replace(minute=0, second=0, microsecond=0)
            seen = {(at.replace(tzinfo=self.zone, fold=fold)).utcoffset()
                    for at in (first, first + _LAST) for fold in (0, 1)}
            self._hours[key] = seen.pop() if len(seen) == 1 else None
        return self._hours[key]
