"""Activities follow the patient's programs (issue 17, point 6) in the start, switch and
add-by-hand dialogs: the patient's own activities first, theirs chosen, and a warning asked
before time toward a program they are not enrolled in; the worklist's one click; and the
add-by-hand default slot clear of the person's own last entry."""

from __future__ import annotations

from datetime import timedelta

from PySide6.QtCore import Qt, QTime
from PySide6.QtWidgets import QLabel

from ccm_timer.services.timing import entries, timers
from ccm_timer.ui.pickers import OTHERS
from tests.fixtures.clinic import T0

ROLE = Qt.ItemDataRole.UserRole


def _rows(activities) -> list[str]:
    """Slugs in order, the divider as OTHERS."""
    return [item.data(ROLE).slug if item.data(ROLE) is not None else item.text()
            for item in (activities.item(i) for i in range(activities.count()))]


def _start(tray, qtbot):
    tray.show_start()
    dialog = tray.dialogs["start"]
    qtbot.waitExposed(dialog)
    return dialog


def test_an_rpm_patient_gets_rpm_activities_first_and_one_chosen(tray, qtbot, clinic):
    dialog = _start(tray, qtbot)
    assert OTHERS not in _rows(dialog.activities)  # no patient yet: the clinic's order
    qtbot.keyClicks(dialog.picker.search, "chloe")  # T1003, RPM only
    rows = _rows(dialog.activities)
    divider = rows.index(OTHERS)
    assert set(rows[:divider]) == {"rpm-treatment", "rpm-phone-call", "rpm-education",
                                   "rpm-coordination"}
    assert "phone-call" in rows[divider + 1:]
    assert dialog.activities.chosen().program == "RPM"
    qtbot.keyClick(dialog.picker.search, Qt.Key.Key_Return)
    qtbot.keyClick(dialog.activities, Qt.Key.Key_Return)  # type, Enter, Enter: RPM time
    assert not dialog.isVisible()
    assert timers.status(clinic).entry.program == "RPM"


def test_the_divider_is_stepped_over_and_a_ccm_activity_is_asked_about(tray, qtbot, clinic):
    dialog = _start(tray, qtbot)
    qtbot.keyClicks(dialog.picker.search, "chloe")
    qtbot.keyClick(dialog.picker.search, Qt.Key.Key_Return)
    rows = _rows(dialog.activities)
    dialog.activities.setCurrentRow(rows.index(OTHERS) - 1)  # the last RPM activity
    qtbot.keyClick(dialog.activities, Qt.Key.Key_Down)
    assert dialog.activities.chosen().slug == rows[rows.index(OTHERS) + 1]  # not the divider
    dialog.activities.setCurrentRow(rows.index("phone-call"))
    qtbot.keyClick(dialog.activities, Qt.Key.Key_Return)
    assert dialog.isVisible() and timers.status(clinic).state == "idle"  # asked, not started
    assert dialog.error.text() == (
        "This patient is enrolled in RPM, not CCM, so this time would count toward no bill. "
        "Choose one of their activities (listed first), or press Start anyway.")
    assert dialog.start_button.text() == "&Start anyway"
    qtbot.keyClick(dialog.activities, Qt.Key.Key_Return)  # confirmed
    assert not dialog.isVisible()
    entry = timers.status(clinic).entry
    assert (entry.patient_mrn, entry.category, entry.program) == ("T1003", "phone-call", "CCM")


def test_changing_the_activity_after_the_warning_asks_no_more(tray, qtbot, clinic):
    dialog = _start(tray, qtbot)
    qtbot.keyClicks(dialog.picker.search, "chloe")
    rows = _rows(dialog.activities)
    dialog.activities.setCurrentRow(rows.index("care-plan"))
    dialog.submit()
    assert dialog.error.isVisible()
    dialog.activities.setCurrentRow(rows.index("rpm-phone-call"))  # the user changes it
    assert not dialog.error.isVisible() and dialog.start_button.text() == "&Start"
    dialog.submit()
    assert timers.status(clinic).entry.category == "rpm-phone-call"


def test_choose_an_error_is_cleared_when_a_patient_is_picked(tray, qtbot, clinic):
    dialog = _start(tray, qtbot)
    dialog.submit()
    assert dialog.error.text().startswith("Choose a patient first")
    qtbot.keyClicks(dialog.picker.search, "alma")
    assert not dialog.error.isVisible()


def test_the_worklist_click_opens_start_ready_for_enter(tray, qtbot, clinic):
    tray.start_for("T1003")
    dialog = tray.dialogs["start"]
    assert dialog.isVisible() and dialog.picker.chosen().mrn == "T1003"
    assert dialog.focusWidget() is dialog.activities
    assert dialog.activities.chosen().program == "RPM"  # their program's first activity
    qtbot.keyClick(dialog.activities, Qt.Key.Key_Return)
    entry = timers.status(clinic).entry
    assert (entry.patient_mrn, entry.program) == ("T1003", "RPM")
    assert dialog.choose_patient("T9999") is False  # gone since: says so, starts nothing
    assert "not in the list" in dialog.error.text()


def test_the_switch_dialog_follows_the_new_patient(clinic, make_tray, qtbot):
    timers.start(clinic, patient_mrn="T1001", category_slug="phone-call")
    tray = make_tray(clinic)
    dialog = _start(tray, qtbot)
    assert dialog.windowTitle() == "Switch timer"
    qtbot.keyClicks(dialog.picker.search, "chloe")
    dialog.activities.setCurrentRow(_rows(dialog.activities).index("med-rec"))
    dialog.submit()
    assert dialog.start_button.text() == "S&witch anyway" and "Switch anyway" in (
        dialog.error.text())
    dialog.submit()
    assert timers.status(clinic).entry.category == "med-rec"


# -- adding by hand ------------------------------------------------------------------------


def test_add_by_hand_defaults_to_a_slot_clear_of_the_last_entry(clinic, clock, make_tray,
                                                                 qtbot):
    # The nurse just stopped a 20-minute call: the old default (the 15 minutes before now)
    # overlapped it, so Add straight away was refused.
    timers.start(clinic, patient_mrn="T1001", category_slug="phone-call")
    clock.advance(timedelta(minutes=20))
    timers.stop(clinic)
    tray = make_tray(clinic)
    tray.show_manual()
    dialog = tray.dialogs["manual"]
    assert (dialog.start.time(), dialog.end.time()) == (QTime(9, 45), QTime(10, 0))
    qtbot.keyClicks(dialog.picker.search, "alma")
    qtbot.keyClick(dialog.picker.search, Qt.Key.Key_Return)
    dialog.submit()  # Add straight away
    assert not dialog.isVisible(), dialog.error.text()
    added = [v for v in entries.list_entries(clinic) if v.source == "manual"]
    assert [(v.start, v.end) for v in added] == [(T0 - timedelta(minutes=15), T0)]


def test_add_by_hand_asks_before_time_on_a_program_not_theirs(clinic, make_tray, qtbot):
    tray = make_tray(clinic)
    tray.show_manual()
    dialog = tray.dialogs["manual"]
    qtbot.keyClicks(dialog.picker.search, "chloe")
    rows = _rows(dialog.activities)
    assert rows.index("rpm-phone-call") < rows.index(OTHERS) < rows.index("phone-call")
    dialog.activities.setCurrentRow(rows.index("phone-call"))
    dialog.submit()
    assert dialog.isVisible() and "press Add anyway" in dialog.error.text()
    assert dialog.add.text() == "A&dd anyway" and entries.list_entries(clinic) == []
    dialog.submit()
    assert [v.program for v in entries.list_entries(clinic)] == ["CCM"]


def test_alt_d_is_add_not_the_date(clinic, make_tray):
    tray = make_tray(clinic)
    tray.show_manual()
    dialog = tray.dialogs["manual"]
    words = {w.text() for w in dialog.findChildren(QLabel) if "&" in w.text()}
    assert dialog.add.text() == "A&dd" and not any("&d" in w.lower() for w in words)


def test_the_switch_dialogs_now_line_ticks(clinic, make_tray, qtbot):
    timers.start(clinic, patient_mrn="T1001", category_slug="phone-call")
    tray = make_tray(clinic)
    dialog = _start(tray, qtbot)
    before = dialog.now_label.text()
    dialog.tick(65, tray.status)  # what the controller's tick hands on, once a second
    assert dialog.now_label.text() != before and dialog.now_label.text().endswith("0:01:05")
