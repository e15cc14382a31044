"""A stop happens at the moment the user chose it (issue 17): the stop dialog asked "Stop the
timer at 14 s?" and recorded 20 s, the time spent typing the note included. The same for a
switch (the old entry ends where the new one begins) and for Quit's "Stop it and quit"."""

from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtCore import Qt

from ccm_timer.core.clock import ManualClock
from ccm_timer.services.timing import entries, timers
from tests.fixtures.clinic import T0
from tests.fixtures.tray import trigger


class TickingClock(ManualClock):
    """A ManualClock that, once `ticking`, moves on a second after each reading: work done
    between two readings takes time, as it does on a real clock."""

    ticking = False

    def now(self):
        value = super().now()
        if self.ticking:
            self.advance(1)
        return value


@pytest.fixture
def clock() -> TickingClock:
    return TickingClock(T0)


def test_the_stop_dialog_records_the_time_it_asked_about(clinic, clock, make_tray,
                                                          qtbot) -> None:
    timers.start(clinic, patient_mrn="T1001", category_slug="phone-call")
    tray = make_tray(clinic)
    clock.advance(14)
    trigger(tray, "S&top…")
    stop = tray.dialogs["stop"]
    assert stop.what.text().startswith("Stop the timer at 14 s?")
    clock.advance(6)  # typing the note
    qtbot.keyClicks(stop.note, "Left voicemail")
    qtbot.keyClick(stop.note, Qt.Key.Key_Return)
    view = entries.list_entries(clinic)[-1]
    assert (view.state, view.seconds, view.note) == ("stopped", 14, "Left voicemail")
    assert tray.dialogs["recorded"].headline.text() == "Recorded 14 s"


def test_a_stop_chosen_then_kept_running_asks_again_at_the_new_time(clinic, clock, make_tray,
                                                                    qtbot) -> None:
    timers.start(clinic, patient_mrn="T1001", category_slug="phone-call")
    tray = make_tray(clinic)
    clock.advance(10)
    tray.show_stop()
    stop = tray.dialogs["stop"]
    qtbot.keyClick(stop.note, Qt.Key.Key_Escape)  # Keep running
    clock.advance(30)
    tray.show_stop()
    assert stop.what.text().startswith("Stop the timer at 40 s?")
    clock.advance(5)
    qtbot.keyClick(stop.note, Qt.Key.Key_Return)
    assert entries.list_entries(clinic)[-1].seconds == 40


def test_a_timer_paused_while_the_stop_dialog_is_open_keeps_the_paused_time(
        clinic, clock, make_tray, qtbot) -> None:
    """The timer changed after the question (paused from the menu): the question no longer
    holds, so the stop takes the timer as it now is, never more than it timed."""
    timers.start(clinic, patient_mrn="T1001", category_slug="phone-call")
    tray = make_tray(clinic)
    clock.advance(10)
    tray.show_stop()
    clock.advance(5)
    tray.toggle_pause()  # paused at 15 s
    clock.advance(20)
    qtbot.keyClick(tray.dialogs["stop"].note, Qt.Key.Key_Return)
    assert entries.list_entries(clinic)[-1].seconds == 15


def test_a_switch_ends_the_old_entry_where_the_new_one_begins(clinic, clock, make_tray) -> None:
    tray = make_tray(clinic)
    tray.controller.start("T1001", "phone-call")
    clock.advance(30)
    clock.ticking = True  # from here every reading of the clock takes a second
    new = tray.controller.start("T1002", "care-plan")
    clock.ticking = False
    (stopped,) = [v for v in entries.list_entries(clinic) if v.patient_mrn == "T1001"]
    assert (stopped.state, new.patient_mrn, new.state) == ("stopped", "T1002", "running")
    assert stopped.end == new.start  # no second between them, none counted twice
    assert stopped.seconds == 30


def test_stop_it_and_quit_stops_at_the_click_even_with_a_gap_to_settle(
        clinic, clock, make_tray) -> None:
    """A sleep seen while the timer ran is settled (left out) before the stop; that writing
    takes time, and the stop is still at the moment of the click."""
    timers.start(clinic, patient_mrn="T1001", category_slug="phone-call")
    tray = make_tray(clinic)
    clock.advance(60)
    clock.jump(timedelta(minutes=30))  # the laptop slept: wall time moved alone
    tray.controller.tick()
    assert tray.controller.pending_gap is not None
    tray.quit()
    clicked_at = clock.now()
    clock.ticking = True
    tray.quit_box.defaultButton().click()  # Stop it and quit
    clock.ticking = False
    assert tray.quits == [True]
    view = entries.list_entries(clinic)[-1]
    assert view.state == "stopped"
    assert view.end == clicked_at  # the click's first reading of the clock
