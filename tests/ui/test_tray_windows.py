"""The tray menu's windows and note: Month overview, Today's time, Copy note for the last
entry, each on a real database and real widgets."""

from __future__ import annotations

from datetime import timedelta

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMessageBox

from ccm_timer.services.timing import timers
from ccm_timer.ui.overview.overview_window import MonthOverview
from ccm_timer.ui.overview.today_window import TodayView
from tests.fixtures.clinic import PASSWORD
from tests.fixtures.tray import open_menu, trigger


def _stopped(clinic, clock, mrn: str = "T1001", minutes: int = 12, **kw) -> None:
    timers.start(clinic, patient_mrn=mrn, category_slug="phone-call", **kw)
    clock.advance(minutes * 60)
    timers.stop(clinic, note="Reviewed the blood pressure log", **kw)
    clock.advance(60)


def test_month_overview_opens_once_and_is_raised_again(clinic, clock, make_tray, qtbot,
                                                       settled) -> None:
    _stopped(clinic, clock)
    tray = make_tray(clinic)
    trigger(tray, "Month &overview…")
    window = tray.windows.overview
    assert isinstance(window, MonthOverview)
    qtbot.waitExposed(window)
    assert window.windowTitle() == "Month overview — November 2026"
    assert settled(window).visible_mrns() == ["T1003", "T1002", "T1001"]
    window.hide()  # closed by the user
    _stopped(clinic, clock, "T1002")
    trigger(tray, "Month &overview…")
    assert tray.windows.overview is window and window.isVisible()  # the same window
    settled(window)
    rows = {window.proxy.row_at(i).mrn: window.proxy.row_at(i) for i in range(3)}
    assert rows["T1002"].total_seconds == 12 * 60  # and it read the new time


def test_todays_time_is_for_the_clinician_the_tray_is_set_to(
        clinic, clock, make_tray, qtbot) -> None:
    _stopped(clinic, clock)
    _stopped(clinic, clock, "T1002", clinician="Dr Blake Test")
    tray = make_tray(clinic)
    trigger(tray, "To&day's time…")
    today = tray.windows.today
    assert isinstance(today, TodayView)
    qtbot.waitExposed(today)
    assert today.heading.text() == "Today: Avery Nurse"
    assert [row.entry.patient_mrn for row in today.model.rows] == ["T1001"]
    tray.switch_person(tray.status.clinicians[1].id)  # Dr Blake Test takes the keyboard
    tray.dialogs["signin"].password.setText(PASSWORD)
    tray.dialogs["signin"].ok.click()
    trigger(tray, "To&day's time…")
    assert tray.windows.today is today
    assert today.heading.text() == "Today: Dr Blake Test"
    assert [row.entry.patient_mrn for row in today.model.rows] == ["T1002"]


def test_copy_note_for_the_last_entry(clinic, clock, make_tray) -> None:
    _stopped(clinic, clock, "T1002", minutes=7)
    _stopped(clinic, clock, "T1001", minutes=12)
    tray = make_tray(clinic)
    QGuiApplication.clipboard().clear()
    trigger(tray, "Copy note for the &last entry")
    note = QGuiApplication.clipboard().text()
    assert "Testpatient" in note and "T1001" in note
    assert "Reviewed the blood pressure log" in note
    notice = tray.surface.notice  # what the tray message says, shown in the window here
    assert notice.isVisibleTo(tray.surface)
    assert notice.text() == "Note copied: Paste it into the patient's chart."
    assert tray.messages == []


def test_copy_note_with_no_entry_yet_says_so(clinic, make_tray) -> None:
    tray = make_tray(clinic)
    QGuiApplication.clipboard().setText("left alone")
    trigger(tray, "Copy note for the &last entry")
    (box,) = tray.messages
    assert box.text() == "Avery Nurse has no patient entry yet; there is no note to copy."
    assert QGuiApplication.clipboard().text() == "left alone"
    box.button(QMessageBox.StandardButton.Ok).click()


def test_the_menu_items_are_keyboard_reachable(clinic, clock, make_tray) -> None:
    _stopped(clinic, clock)
    tray = make_tray(clinic)
    items = [t for t in open_menu(tray) if t not in ("-",)]
    keys = [t[t.index("&") + 1].lower() for t in items if "&" in t]
    assert len(keys) == len(set(keys)), f"mnemonics clash: {items}"
    for text in ("Month &overview…", "To&day's time…", "Copy note for the &last entry"):
        assert text in items
    timers.start(clinic, patient_mrn="T1001", category_slug="phone-call")
    clock.advance(timedelta(minutes=1))
    tray.controller.refresh()
    items = [t for t in open_menu(tray) if "&" in t]
    keys = [t[t.index("&") + 1].lower() for t in items]
    assert len(keys) == len(set(keys)), f"mnemonics clash while running: {items}"
