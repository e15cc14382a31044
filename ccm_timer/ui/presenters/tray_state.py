"""What the tray shows at a glance: a timer's state, or setup before any clinician exists.

Its own module, free of the services, so the tray's words and icon can name the states
before the database is loaded.
"""

from __future__ import annotations

from enum import StrEnum

from ccm_timer.core.timer import TimerState


class TrayState(StrEnum):
    SETUP = "setup"  # no clinician yet
    IDLE = TimerState.IDLE.value
    RUNNING = TimerState.RUNNING.value
    PAUSED = TimerState.PAUSED.value
