"""The timer state machine: idle -> running -> paused -> running -> stopped.

Pure: a Timer is a frozen value; each transition returns a new one or raises
TimerError. Elapsed time is always the sum of the stored spans, never a counted tick.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from ccm_timer.core.clock import as_utc


class TimerState(StrEnum):
    IDLE = "idle"
    RUNNING = "running"
    PAUSED = "paused"
    STOPPED = "stopped"


class TimerError(Exception):
    """A transition that the current state does not allow."""


@dataclass(frozen=True)
class Span:
    start: datetime
    end: datetime | None = None

    def seconds(self, now: datetime) -> float:
        end = self.end if self.end is not None else now
        return max(0.0, (end - self.start).total_seconds())


@dataclass(frozen=True)
class Timer:
    state: TimerState = TimerState.IDLE
    spans: tuple[Span, ...] = ()

    def start(self, now: datetime) -> Timer:
        if self.state is not TimerState.IDLE:
            raise TimerError(f"cannot start a timer that is {self.state}")
        return Timer(TimerState.RUNNING, (Span(as_utc(now)),))

    def pause(self, now: datetime) -> Timer:
        if self.state is not TimerState.RUNNING:
            raise TimerError(f"cannot pause a timer that is {self.state}")
        return Timer(TimerState.PAUSED, self._closed(as_utc(now)))

    def resume(self, now: datetime) -> Timer:
        if self.state is not TimerState.PAUSED:
            raise TimerError(f"cannot resume a timer that is {self.state}")
        now = as_utc(now)
        if self.spans and now < self.spans[-1].end:  # type: ignore[operator]
            raise TimerError("cannot resume before the moment the timer was paused")
        return Timer(TimerState.RUNNING, (*self.spans, Span(now)))

    def stop(self, now: datetime) -> Timer:
        if self.state not in (TimerState.RUNNING, TimerState.PAUSED):
            raise TimerError(f"cannot stop a timer that is {self.state}")
        spans = self._closed(as_utc(now)) if self.state is TimerState.RUNNING else self.spans
        return Timer(TimerState.STOPPED, spans)

    def elapsed(self, now: datetime) -> timedelta:
        return timedelta(seconds=sum(span.seconds(as_utc(now)) for span in self.spans))

    def _closed(self, now: datetime) -> tuple[Span, ...]:
        last = self.spans[-1]
        if now < last.start:
            # A wall clock stepped backwards: never produce end < start (R2.6).
            now = last.start
        return (*self.spans[:-1], replace(last, end=now))
