"""The start dialog, driven by the keyboard only, as a nurse on the phone would."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt

from ccm_timer.services.people import care_plan, patients
from ccm_timer.services.timing import entries, timers


def _open(tray, qtbot):
    tray.show_start()
    dialog = tray.dialogs["start"]
    qtbot.waitExposed(dialog)
    return dialog


def _results(dialog) -> list[str]:
    lst = dialog.picker.results
    return [lst.item(i).text() for i in range(lst.count())]


def test_type_enter_enter_starts_the_timer(tray, qtbot, clinic) -> None:
    dialog = _open(tray, qtbot)
    assert dialog.windowTitle() == "Start timer" and not dialog.now_box.isVisible()
    assert dialog.focusWidget() is dialog.picker.search
    qtbot.keyClicks(dialog.picker.search, "alma")
    assert _results(dialog) == ["Testpatient, Alma    T1001"]
    qtbot.keyClick(dialog.picker.search, Qt.Key.Key_Return)
    assert dialog.focusWidget() is dialog.activities
    qtbot.keyClick(dialog.activities, Qt.Key.Key_Down)  # the second activity
    qtbot.keyClick(dialog.activities, Qt.Key.Key_Return)
    assert not dialog.isVisible()
    status = timers.status(clinic)
    assert status.state == "running"
    assert (status.entry.patient_mrn, status.entry.category) == ("T1001", "care-plan")
    assert tray.controller.status.state == "running"


def test_search_ignores_case_and_accents_and_arrows_choose(tray, qtbot, clinic) -> None:
    dialog = _open(tray, qtbot)
    qtbot.keyClicks(dialog.picker.search, "JOSE")
    assert _results(dialog) == ["Sample, José    T1002"]
    dialog.picker.search.clear()
    qtbot.keyClicks(dialog.picker.search, "t100")
    assert len(_results(dialog)) == 3
    qtbot.keyClick(dialog.picker.search, Qt.Key.Key_Down)
    qtbot.keyClick(dialog.picker.search, Qt.Key.Key_Down)
    assert dialog.focusWidget() is dialog.picker.search  # the arrows moved the highlight, not focus
    assert dialog.picker.chosen().mrn == "T1001"  # Example, Sample, Testpatient
    qtbot.keyClick(dialog.picker.search, Qt.Key.Key_Up)
    assert dialog.picker.chosen().mrn == "T1002"


def test_note_and_enter_in_the_note_field_start(tray, qtbot, clinic) -> None:
    dialog = _open(tray, qtbot)
    qtbot.keyClicks(dialog.picker.search, "chloe")
    qtbot.keyClick(dialog.picker.search, Qt.Key.Key_Return)
    qtbot.keyClick(dialog.activities, Qt.Key.Key_Tab)
    assert dialog.focusWidget() is dialog.note
    qtbot.keyClicks(dialog.note, "Called back about BP readings")
    qtbot.keyClick(dialog.note, Qt.Key.Key_Return)
    entry = timers.status(clinic).entry
    assert entry.patient_mrn == "T1003" and entry.note == "Called back about BP readings"


def test_with_nothing_typed_enter_starts_no_one(tray, qtbot, clinic) -> None:
    dialog = _open(tray, qtbot)
    assert len(_results(dialog)) == 3 and dialog.picker.chosen() is None
    qtbot.keyClick(dialog.picker.search, Qt.Key.Key_Return)
    assert dialog.focusWidget() is dialog.picker.search  # nobody chosen: stay
    dialog.submit()
    assert dialog.error.text().startswith("Choose a patient first")
    assert timers.status(clinic).state == "idle"
    qtbot.keyClick(dialog.picker.search, Qt.Key.Key_Down)  # the arrows choose
    assert dialog.picker.chosen().mrn == "T1003"


def test_no_patient_match_says_what_to_do_and_starts_nothing(tray, qtbot, clinic) -> None:
    dialog = _open(tray, qtbot)
    qtbot.keyClicks(dialog.picker.search, "zzz")
    assert _results(dialog) == ["No patient matches “zzz”."]
    qtbot.keyClick(dialog.picker.search, Qt.Key.Key_Return)
    assert dialog.focusWidget() is dialog.picker.search  # nothing chosen: stay
    dialog.submit()
    assert dialog.error.isVisibleTo(dialog)
    assert dialog.error.text().startswith("Choose a patient first")
    assert dialog.isVisible() and timers.status(clinic).state == "idle"


def test_program_level_activity_needs_no_patient(tray, qtbot, clinic) -> None:
    dialog = _open(tray, qtbot)
    rows = [dialog.activities.item(i).data(Qt.ItemDataRole.UserRole).slug
            for i in range(dialog.activities.count())]
    dialog.activities.setCurrentRow(rows.index("quality-improvement"))
    assert "program-level" in dialog.patient_hint.text()
    qtbot.keyClick(dialog.activities, Qt.Key.Key_Return)
    entry = timers.status(clinic).entry
    assert entry.patient_mrn is None and entry.category == "quality-improvement"


def test_a_refused_start_shows_the_reason_in_the_dialog(tray, qtbot, clinic) -> None:
    dialog = _open(tray, qtbot)
    qtbot.keyClicks(dialog.picker.search, "alma")
    timers.start(clinic, patient_mrn="T1002", category_slug="phone-call")  # elsewhere
    qtbot.keyClick(dialog.picker.search, Qt.Key.Key_Return)
    qtbot.keyClick(dialog.activities, Qt.Key.Key_Return)
    assert dialog.isVisible()
    assert "already running" in dialog.error.text()


def test_while_running_the_dialog_switches(clinic, clock, make_tray, qtbot) -> None:
    timers.start(clinic, patient_mrn="T1001", category_slug="phone-call")
    clock.advance(300)
    tray = make_tray(clinic)
    tray.handle_message("activate")  # what a second `ccm-timer` launch sends
    dialog = tray.dialogs["start"]
    qtbot.waitExposed(dialog)
    assert dialog.windowTitle() == "Switch timer" and dialog.now_box.isVisible()
    assert "0:05:00" in dialog.now_label.text()
    qtbot.keyClicks(dialog.picker.search, "jose")
    qtbot.keyClick(dialog.picker.search, Qt.Key.Key_Return)
    qtbot.keyClick(dialog.activities, Qt.Key.Key_Return)
    current = entries.list_entries(clinic)
    assert [(e.patient_mrn, e.state, e.seconds) for e in current] == [
        ("T1001", "stopped", 300), ("T1002", "running", 0)]


def test_pause_and_stop_from_the_switch_dialog(clinic, clock, make_tray, qtbot) -> None:
    timers.start(clinic, patient_mrn="T1001", category_slug="phone-call")
    tray = make_tray(clinic)
    tray.show_switch()
    dialog = tray.dialogs["start"]
    dialog.pause_button.click()
    assert timers.status(clinic).state == "paused" and not dialog.isVisible()
    tray.show_switch()
    assert dialog.pause_button.text() == "&Resume"
    dialog.stop_button.click()
    assert tray.dialogs["stop"].isVisible()


def _highlight(dialog, qtbot, text: str) -> None:
    dialog.picker.search.clear()
    qtbot.keyClicks(dialog.picker.search, text)


def test_the_patients_programs_and_the_warning_sign(tray, qtbot, clinic) -> None:
    dialog = _open(tray, qtbot)
    assert not dialog.programs.isVisible() and not dialog.record_box.isVisible()  # no one yet
    _highlight(dialog, qtbot, "jose")
    assert dialog.programs.text() == "Programs: CCM"
    assert dialog.record_box.isVisible() and not dialog.record_icon.pixmap().isNull()
    assert dialog.record_warning.text() == (
        "Record incomplete: no chronic condition (CCM needs 2), no CCM consent, no care plan")
    _highlight(dialog, qtbot, "chloe")  # RPM with a complete consent: nothing missing
    assert dialog.programs.text() == "Programs: RPM" and not dialog.record_box.isVisible()
    _highlight(dialog, qtbot, "zzz")
    assert not dialog.programs.isVisible() and not dialog.record_box.isVisible()


def test_the_warning_sign_goes_as_the_record_is_completed(tray, qtbot, clinic) -> None:
    # A new consent date without who obtained it: the consent is incomplete.
    patients.set_consent(clinic, "T1001", "CCM", date(2026, 1, 6), "verbal",
                         disclosures="cost-sharing,one-practitioner,right-to-stop")
    dialog = _open(tray, qtbot)
    _highlight(dialog, qtbot, "alma")
    assert dialog.record_warning.text() == (
        "Record incomplete: CCM consent missing who obtained it, no care plan")
    patients.set_consent(clinic, "T1001", "CCM", date(2026, 1, 6), "verbal", by="Avery Nurse")
    care_plan.add(clinic, "T1001", "problem", "Type 2 diabetes", "E11.9",
                  actor="Dr Blake Test")
    dialog.reject()
    dialog = _open(tray, qtbot)  # read again at each use
    _highlight(dialog, qtbot, "alma")
    assert dialog.record_warning.text() == "Record incomplete: care plan never reviewed"
    care_plan.review(clinic, "T1001", as_name="Dr Blake Test")
    dialog.reject()
    dialog = _open(tray, qtbot)
    _highlight(dialog, qtbot, "alma")
    assert dialog.programs.text() == "Programs: CCM" and not dialog.record_box.isVisible()
    qtbot.keyClick(dialog.picker.search, Qt.Key.Key_Return)  # the two-click path is unchanged
    qtbot.keyClick(dialog.activities, Qt.Key.Key_Return)
    assert timers.status(clinic).entry.patient_mrn == "T1001"


def test_one_record_read_per_patient_per_use(tray, qtbot, clinic) -> None:
    """Typing moves the highlight at every key: the record is read once per patient."""
    dialog = _open(tray, qtbot)
    asked: list[str] = []
    read = dialog._record_status
    dialog._record_status = lambda mrn: (asked.append(mrn), read(mrn))[1]
    for text in ("t", "t1", "t10", "t100", "t1002", "t100", "t1"):
        _highlight(dialog, qtbot, text)
    qtbot.keyClick(dialog.picker.search, Qt.Key.Key_Down)
    qtbot.keyClick(dialog.picker.search, Qt.Key.Key_Down)
    assert sorted(asked) == sorted(set(asked)) and len(asked) <= 3


def test_open_record_shows_the_patient_view_to_complete_it(tray, qtbot, clinic) -> None:
    dialog = _open(tray, qtbot)
    _highlight(dialog, qtbot, "jose")
    dialog.open_record.click()
    overview = tray.windows.overview
    qtbot.addWidget(overview)
    view = overview.patient_windows[("T1002", "2026-11")]
    assert view.isVisible() and view.name.text() == "Sample, José"
    assert view.record.banner.text().startswith("⚠ Record incomplete: no chronic condition")
    assert dialog.isVisible()  # the start is still one Enter away
