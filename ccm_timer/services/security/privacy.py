"""When to hide patient data on a shared screen: the timing alone, without Qt.

After `minutes` without keyboard or mouse input, open windows are covered (HIPAA
164.312(a)(2)(iii), automatic logoff; Settings.privacy_lock_minutes). The running timer is
never touched: locking the screen is not stopping the work (Toggl Desktop #2914 stopped
timers on screen lock). Time is monotonic, so changing the wall clock neither locks nor
unlocks early. While locked, moving the mouse does not reveal anything; a click or a key
press does.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class IdleLock:
    minutes: float  # 0 or less: never lock on idle
    last_input: float  # monotonic seconds
    locked: bool = False

    @property
    def enabled(self) -> bool:
        return self.minutes > 0

    def seconds_left(self, now: float) -> float:
        """Until the lock, from `now`; 0 when it is due or already locked."""
        if self.locked:
            return 0.0
        if not self.enabled:
            return float("inf")
        return max(0.0, self.last_input + self.minutes * 60 - now)

    def due(self, now: float) -> bool:
        return self.enabled and not self.locked and self.seconds_left(now) == 0.0

    def input(self, now: float, *, reveals: bool) -> bool:
        """Someone used the app. `reveals` is a click or key press (a mouse move is not).
        True when this input ends the lock."""
        if self.locked:
            if not reveals:
                return False
            self.locked = False
            self.last_input = now
            return True
        self.last_input = max(self.last_input, now)
        return False

    def lock(self) -> None:
        self.locked = True
