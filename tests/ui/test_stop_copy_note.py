"""The stop confirmation's Copy note: the stopped entry's chart note on the clipboard."""

from __future__ import annotations

from datetime import timedelta

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from ccm_timer.services.timing import entries, timers
from tests.fixtures.tray import trigger


def test_copy_note_after_a_stop(clinic, clock, make_tray, qtbot) -> None:
    timers.start(clinic, patient_mrn="T1002", category_slug="phone-call")
    clock.advance(9 * 60)
    tray = make_tray(clinic)
    trigger(tray, "S&top…")
    stop = tray.dialogs["stop"]
    qtbot.keyClicks(stop.note, "Discussed the new inhaler")
    qtbot.keyClick(stop.note, Qt.Key.Key_Return)
    done = tray.dialogs["recorded"]
    assert done.isVisible() and done.copy_button.isVisibleTo(done)
    assert done.ok_button.isDefault()  # Enter still just closes
    QGuiApplication.clipboard().clear()
    qtbot.mouseClick(done.copy_button, Qt.MouseButton.LeftButton)
    note = QGuiApplication.clipboard().text()
    assert "Sample, José" in note and "Discussed the new inhaler" in note
    assert done.copied.text() == "Note copied. Paste it into the patient's chart."
    assert done.copy_button.text() == "&Copy note again"
    assert not done._close_timer.isActive()  # not closed under the user's hand
    assert "Sample" not in done.text.text()  # the dialog itself stays masked


def test_enter_in_the_note_stops_once(clinic, make_tray, qtbot) -> None:
    timers.start(clinic, patient_mrn="T1001", category_slug="phone-call")
    tray = make_tray(clinic)
    tray.show_stop()
    stop = tray.dialogs["stop"]
    notes: list[str] = []
    stop.submitted.connect(notes.append)
    qtbot.keyClick(stop.note, Qt.Key.Key_Return)
    assert notes == [""] and stop.error.text() == ""


def test_the_note_is_the_stopped_entrys_not_the_last_one(clinic, clock, make_tray) -> None:
    timers.start(clinic, patient_mrn="T1001", category_slug="phone-call")
    clock.advance(5 * 60)
    tray = make_tray(clinic)
    tray.show_stop()
    tray.dialogs["stop"].submit()
    done = tray.dialogs["recorded"]
    stopped = entries.list_entries(clinic)[-1]
    timers.start(clinic, patient_mrn="T1002", category_slug="med-rec")  # another, meanwhile
    done.copy_button.click()
    note = QGuiApplication.clipboard().text()
    assert "Testpatient, Alma" in note and "Sample" not in note
    assert stopped.patient_mrn == "T1001"


def test_program_level_time_offers_no_note(clinic, clock, make_tray) -> None:
    timers.start(clinic, patient_mrn=None, category_slug="quality-improvement")
    clock.advance(timedelta(minutes=30))
    tray = make_tray(clinic)
    tray.show_stop()
    tray.dialogs["stop"].submit()
    done = tray.dialogs["recorded"]
    assert done.isVisible() and not done.copy_button.isVisibleTo(done)
