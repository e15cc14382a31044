"""The session's end (ui/session_end.py): once the loop ends, no signal wakes a socket."""

from __future__ import annotations

import os
import signal

import pytest
from PySide6.QtCore import SIGNAL

from ccm_timer.ui.session_end import SIGNALS, SessionEnd


@pytest.fixture
def handlers():
    """The process's own signal handlers and wake-up fd, put back after the test."""
    kept = {number: signal.getsignal(number) for number in SIGNALS}
    yield
    signal.set_wakeup_fd(-1)
    for number, handler in kept.items():
        signal.signal(number, handler)


def test_after_the_loop_ends_a_signal_is_only_noted(qapp, handlers) -> None:
    quits: list[bool] = []
    listening = qapp.receivers(SIGNAL("aboutToQuit()"))
    ending = SessionEnd(qapp, quit=lambda: quits.append(True), save=lambda: None)
    # Closed by the end of app.exec() (not emitted here: other tests' objects listen too).
    assert qapp.receivers(SIGNAL("aboutToQuit()")) == listening + 1
    wake = ending._write.fileno()
    assert signal.set_wakeup_fd(wake) == wake  # installed (and left as it was)
    ending.close()
    assert signal.set_wakeup_fd(-1) == -1  # the socket's descriptor is no longer written
    os.kill(os.getpid(), signal.SIGHUP)
    qapp.processEvents()
    assert ending.received == signal.SIGHUP and quits == [] and not ending.ended
