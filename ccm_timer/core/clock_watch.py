"""Notice sleep and clock jumps between two ticks of a running timer.

Wall time is what is billed; the monotonic clock cannot be set by anyone. Comparing how far
each moved since the last tick tells what happened in between (reliability R2.5, R2.6):

- wall ran far ahead of monotonic: the machine slept (Linux and macOS monotonic clocks stop
  during suspend) or the wall clock was set forward;
- wall fell far behind monotonic: the wall clock was set back;
- both ran far past the tick: the machine slept where monotonic counts sleep (Windows), or
  the app was frozen.

Pure: the Clock is injected, so tests step it with ManualClock.advance() and .jump().
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from ccm_timer.core.clock import Clock

# A frozen app on Windows looks like a sleep; below a minute it is not worth a question.
MIN_STALL_SECONDS = 60.0


class GapKind(StrEnum):
    FORWARD = "forward"  # slept (Linux, macOS) or the clock was set forward
    BACKWARD = "backward"  # the clock was set back
    STALLED = "stalled"  # slept where monotonic counts sleep (Windows), or the app froze


@dataclass(frozen=True)
class Gap:
    """What the two clocks read at the last tick before the gap and the first after it."""

    kind: GapKind
    wall_before: datetime
    wall_after: datetime
    mono_before_ns: int
    mono_after_ns: int

    @property
    def wall_seconds(self) -> float:
        return (self.wall_after - self.wall_before).total_seconds()

    @property
    def mono_seconds(self) -> float:
        return (self.mono_after_ns - self.mono_before_ns) / 1e9

    @property
    def unobserved_seconds(self) -> float:
        """How much wall time the gap would add (negative: the clock went back)."""
        if self.kind is GapKind.STALLED:
            return self.wall_seconds
        return self.wall_seconds - self.mono_seconds

    def to_dict(self) -> dict:
        return {
            "kind": self.kind.value,
            "wall_before": self.wall_before.isoformat(),
            "wall_after": self.wall_after.isoformat(),
            "mono_before_ns": self.mono_before_ns,
            "mono_after_ns": self.mono_after_ns,
            "wall_seconds": round(self.wall_seconds, 3),
            "mono_seconds": round(self.mono_seconds, 3),
        }


def threshold_seconds(tick_seconds: float) -> float:
    """Twice the tick plus slack for a busy machine (R2.5)."""
    return 2 * tick_seconds + 5


def classify(
    wall_before: datetime, wall_after: datetime, mono_before_ns: int, mono_after_ns: int,
    tick_seconds: float,
) -> Gap | None:
    wall = (wall_after - wall_before).total_seconds()
    mono = (mono_after_ns - mono_before_ns) / 1e9
    limit = threshold_seconds(tick_seconds)
    kind = None
    if wall - mono > limit:
        kind = GapKind.FORWARD
    elif mono - wall > limit:
        kind = GapKind.BACKWARD
    elif mono > max(limit, MIN_STALL_SECONDS):
        kind = GapKind.STALLED
    if kind is None:
        return None
    return Gap(kind, wall_before, wall_after, mono_before_ns, mono_after_ns)


class ClockWatch:
    """Remembers the last tick's readings; `check()` at each tick reports a gap or None."""

    def __init__(self, clock: Clock, tick_seconds: float = 1.0) -> None:
        self._clock = clock
        self.tick_seconds = tick_seconds
        self._wall: datetime | None = None
        self._mono = 0

    def reset(self) -> None:
        """Start watching afresh (a timer started or resumed: nothing before counts)."""
        self._wall = self._clock.now()
        self._mono = self._clock.monotonic_ns()

    def check(self) -> Gap | None:
        wall, mono = self._clock.now(), self._clock.monotonic_ns()
        if self._wall is None:
            self._wall, self._mono = wall, mono
            return None
        gap = classify(self._wall, wall, self._mono, mono, self.tick_seconds)
        self._wall, self._mono = wall, mono
        return gap
