"""Stopping (note prompt, confirmation) and quitting with a timer running."""

from __future__ import annotations

from datetime import timedelta

from PySide6.QtCore import Qt

from ccm_timer.services.timing import entries, recovery, timers
from tests.fixtures.tray import trigger


def test_enter_skips_the_note_and_the_confirmation_tells_the_month(
        clinic, clock, make_tray, qtbot) -> None:
    entries.add_manual(clinic, patient_mrn="T1001", category_slug="care-plan",
                       start=clock.now() - timedelta(hours=2),
                       end=clock.now() - timedelta(hours=2) + timedelta(minutes=10))
    timers.start(clinic, patient_mrn="T1001", category_slug="phone-call")
    clock.advance(12 * 60 + 40)
    tray = make_tray(clinic)
    trigger(tray, "S&top…")
    stop = tray.dialogs["stop"]
    qtbot.waitExposed(stop)
    assert stop.focusWidget() is stop.note
    assert stop.what.text().startswith("Stop the timer at 12 min?")
    qtbot.keyClick(stop.note, Qt.Key.Key_Return)
    assert not stop.isVisible()
    view = entries.list_entries(clinic)[-1]
    assert (view.state, view.seconds, view.note) == ("stopped", 12 * 60 + 40, "")
    done = tray.dialogs["recorded"]
    assert done.isVisible()
    assert done.headline.text() == "Recorded 12 min"
    assert done.text.text().splitlines()[1:] == [
        "Patient: A.T.\u00a0…001",
        "This month for this patient (this workstation only): 22 min"]  # no clinic hub
    assert "Testpatient" not in done.text.text()
    assert tray.controller.status.state == "idle"


def test_a_typed_note_is_kept_and_keep_running_cancels(clinic, clock, make_tray, qtbot) -> None:
    timers.start(clinic, patient_mrn="T1002", category_slug="phone-call")
    tray = make_tray(clinic)
    tray.show_stop()
    stop = tray.dialogs["stop"]
    qtbot.keyClick(stop.note, Qt.Key.Key_Escape)  # Keep running
    assert not stop.isVisible() and timers.status(clinic).state == "running"
    tray.show_stop()
    qtbot.keyClicks(stop.note, "Left voicemail")
    qtbot.keyClick(stop.note, Qt.Key.Key_Return)
    assert entries.list_entries(clinic)[-1].note == "Left voicemail"


def test_quit_while_idle_quits_at_once(tray) -> None:
    trigger(tray, "&Quit")
    assert tray.quits == [True]


def test_quit_leaving_the_timer_running_makes_it_recoverable(
        clinic, clock, make_tray, qtbot) -> None:
    timers.start(clinic, patient_mrn="T1001", category_slug="phone-call")
    tray = make_tray(clinic)
    trigger(tray, "&Quit")
    box = tray.quit_box
    assert box.isVisible() and not tray.quits
    leave = next(b for b in box.buttons() if b.text().startswith("&Leave"))
    leave.click()
    assert tray.quits == [True]
    assert timers.status(clinic).state == "running"
    clock.advance(60)
    (orphan,) = recovery.pending(clinic)
    assert orphan.reason == "the app was closed while the timer ran"


def test_quit_stopping_the_timer(clinic, clock, make_tray) -> None:
    timers.start(clinic, patient_mrn="T1001", category_slug="phone-call")
    clock.advance(90)
    tray = make_tray(clinic)
    tray.quit()
    box = tray.quit_box
    assert box.defaultButton().text() == "&Stop it and quit"
    box.defaultButton().click()
    assert tray.quits == [True]
    assert entries.list_entries(clinic)[-1].seconds == 90
    assert recovery.pending(clinic) == []


def test_quit_cancelled_keeps_everything(clinic, make_tray) -> None:
    timers.start(clinic, patient_mrn="T1001", category_slug="phone-call")
    tray = make_tray(clinic)
    tray.quit()
    tray.quit_box.button(tray.quit_box.StandardButton.Cancel).click()
    assert tray.quits == [] and timers.status(clinic).state == "running"
