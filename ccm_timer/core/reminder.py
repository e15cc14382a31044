"""When to remind that a timer is still running.

There is no idle detection: a nurse on the phone touches no keyboard, so a quiet keyboard
says nothing (peer-features 2.3). Instead, every `every_minutes` of timed work the user is
asked whether the timer should keep going. Pure, so tests step the elapsed time by hand.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Reminder:
    every_minutes: int = 60
    entry_id: object | None = None
    acknowledged: int = 0  # elapsed seconds when the user last said "keep going"

    def follow(self, entry_id: object | None) -> None:
        """A different entry (or none) is now live. Counting starts from zero, so a timer
        found at start-up that has already run past the limit is reminded about at once."""
        if entry_id != self.entry_id:
            self.entry_id = entry_id
            self.acknowledged = 0

    def due(self, elapsed: int) -> bool:
        if self.entry_id is None or self.every_minutes <= 0:
            return False
        return elapsed - self.acknowledged >= self.every_minutes * 60

    def keep_going(self, elapsed: int) -> None:
        self.acknowledged = elapsed
