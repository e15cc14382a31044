"""Correct entry changes the activity and the patient too (issue 17, point 6), asking before
time on a program the patient is not enrolled in; its error line is never cut off; and a
clinician added from the command line while the tray runs can correct and void (issue 17,
bug: "No clinician is set")."""

from __future__ import annotations

from datetime import timedelta

from PySide6.QtCore import Qt

from ccm_timer.services.security import credentials
from ccm_timer.services.timing import entries
from ccm_timer.ui.overview.entry_dialogs import EditEntryDialog, entry_choices
from tests.fixtures.cli import run_cli_many
from tests.fixtures.clinic import NURSE, PASSWORD, T0, cli_commands, corrector, log


def _dialog(qtbot, ctx, view) -> EditEntryDialog:
    dialog = EditEntryDialog(view, ctx.zone, choices=entry_choices(ctx))
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def _slugs(dialog) -> list[str | None]:
    return [getattr(dialog.activity.itemData(i), "slug", None)
            for i in range(dialog.activity.count())]


def test_the_activity_list_follows_the_patient_and_the_move_is_saved(qtbot, nov):
    wrong = log(nov, "T1003", 12)  # Phone call · CCM on an RPM-only patient
    dialog = _dialog(qtbot, nov, wrong)
    slugs = _slugs(dialog)
    divider = slugs.index(None)
    assert "rpm-phone-call" in slugs[:divider] and "phone-call" in slugs[divider:]
    assert dialog.activity.currentData().slug == "phone-call"  # as recorded
    assert "program-monitoring" not in slugs  # program-level time takes no patient
    dialog.activity.setCurrentIndex(slugs.index("rpm-phone-call"))
    dialog.reason.setText("RPM call")
    saved = []
    dialog.submitted.connect(lambda *args: saved.append(args))
    dialog.submit()
    assert saved == [(None, None, None, "RPM call")]
    assert dialog.subject_changes() == {"category_slug": "rpm-phone-call"}
    fixed = entries.edit(nov, str(wrong.id), reason="RPM call", by=corrector(nov),
                         **dialog.subject_changes())
    assert (fixed.category, fixed.program) == ("rpm-phone-call", "RPM")


def test_moving_to_a_patient_of_another_program_asks_first(qtbot, nov):
    alma = log(nov, "T1001", 10)  # CCM
    dialog = _dialog(qtbot, nov, alma)
    assert not dialog.picker.isVisible()
    dialog._show_picker()
    qtbot.keyClicks(dialog.picker.search, "chloe")
    assert dialog.patient_mrn() == "T1003"
    slugs = _slugs(dialog)
    assert slugs.index("rpm-treatment") < slugs.index(None) < slugs.index("phone-call")
    dialog.reason.setText("wrong chart")
    saved = []
    dialog.submitted.connect(lambda *args: saved.append(args))
    dialog.submit()
    assert saved == [] and dialog.ok.text() == "&Save anyway"
    assert dialog.error.text().startswith("This patient is enrolled in RPM, not CCM")
    dialog.submit()  # confirmed: the call stays a CCM call, on Chloé
    assert saved and dialog.subject_changes() == {"patient_mrn": "T1003"}


def test_nothing_changed_says_what_can_be(qtbot, nov):
    dialog = _dialog(qtbot, nov, log(nov, "T1001", 10))
    dialog.reason.setText("no reason")
    dialog.submit()
    assert dialog.error.text() == ("Nothing was changed; change the times, the note, the "
                                   "activity or the patient, or cancel.")


def test_a_long_error_is_shown_whole(qtbot, nov):
    dialog = _dialog(qtbot, nov, log(nov, "T1001", 10))
    qtbot.waitExposed(dialog)
    dialog.show_error("This time overlaps your phone call with patient or caregiver from "
                      "9:00 to 9:10 AM yesterday, and another one after it, and a third; "
                      "change the times or correct that entry first, then save again. " * 3)
    qtbot.wait(1)  # the layout settles
    label = dialog.error
    assert label.height() >= label.heightForWidth(label.width())
    assert label.geometry().bottom() <= dialog.contentsRect().bottom()


def test_a_clinician_added_from_the_command_line_while_the_tray_runs_corrects(
        qtbot, ctx, home, make_tray, attest):
    tray = make_tray(ctx, signed_in=None)  # an empty data folder: the tray in setup
    run_cli_many(home, cli_commands(staff=(NURSE,), mrns=("T1001",)))
    tray.controller.refresh()
    assert tray.status.clinician_name == NURSE  # the menu shows her
    tray.controller.sign_in(credentials.verify(ctx, NURSE, PASSWORD))
    start = T0 - timedelta(hours=2)
    tray.controller.add_manual("T1001", "phone-call", start, start + timedelta(minutes=10))
    tray.controller.add_manual("T1001", "care-plan", start + timedelta(minutes=20),
                               start + timedelta(minutes=30))
    view = tray.windows.show_patient("T1001")
    qtbot.waitUntil(lambda: not tray.windows.overview.loading, timeout=10_000)
    view.entry_table.selectRow(0)
    edit = view.edit_selected()
    edit.note.setText("Called back")
    edit.reason.setText("note added")
    qtbot.mouseClick(edit.ok, Qt.MouseButton.LeftButton)
    attest(view)
    assert not edit.isVisible(), edit.error.text()
    view.entry_table.selectRow(1)
    void = view.void_selected()
    void.reason.setText("duplicate")
    void.submit()
    attest(view)
    assert not void.isVisible(), void.error.text()
    found = entries.list_entries(ctx, include_voided=True)
    assert sorted((v.version, v.voided) for v in found) == [(2, False), (2, True)]
