"""Clocks. Everything that reads time takes a Clock, so tests step time by hand.

Wall time (`now`) is what is stored and billed; monotonic time only detects sleep and
clock jumps (reliability R2.2).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware UTC."""

    def monotonic_ns(self) -> int:
        """A monotonic reading in nanoseconds (only differences mean anything)."""


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic_ns(self) -> int:
        return time.monotonic_ns()


class ManualClock:
    """A clock that moves only when told to; `jump` moves wall time alone (sleep, NTP)."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start")
        self._now = start.astimezone(UTC)
        self._mono = 1_000_000_000

    def now(self) -> datetime:
        return self._now

    def monotonic_ns(self) -> int:
        return self._mono

    def advance(self, delta: timedelta | float) -> None:
        if not isinstance(delta, timedelta):
            delta = timedelta(seconds=delta)
        self._now += delta
        self._mono += int(delta.total_seconds() * 1_000_000_000)

    def jump(self, delta: timedelta | float) -> None:
        if not isinstance(delta, timedelta):
            delta = timedelta(seconds=delta)
        self._now += delta


def as_utc(value: datetime) -> datetime:
    """Refuse naive datetimes: an instant without a zone is a bug, not a guess."""
    if value.tzinfo is None:
        raise ValueError("naive datetime: every instant must carry a time zone")
    return value.astimezone(UTC)
