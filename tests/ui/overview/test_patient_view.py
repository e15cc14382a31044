"""The patient view: corrections with a reason and the signed-in person's password, history,
month flags and consent, each changing the figures at once (here and in the overview's
row); opening it is a read in the audit trail."""

from __future__ import annotations

from PySide6.QtCore import QDate, QDateTime, Qt

from ccm_timer.services.people import conditions, patients
from ccm_timer.services.security import credentials
from ccm_timer.services.timing import entries
from ccm_timer.ui.overview import open_overview
from ccm_timer.ui.overview.entry_dialogs import EditEntryDialog, VoidEntryDialog
from ccm_timer.ui.overview.overview_model import NAMES
from ccm_timer.ui.overview.patient_window import PatientMonthView
from tests.fixtures.clinic import NURSE, PASSWORD, PHYSICIAN, log


def _open(qtbot, ctx, mrn: str, who: str = NURSE):
    overview = open_overview(ctx, signer=credentials.verify(ctx, who, PASSWORD))
    qtbot.addWidget(overview)
    qtbot.waitUntil(lambda: not overview.loading, timeout=10_000)  # rows come from a thread
    view = overview.open_patient(mrn)
    assert isinstance(view, PatientMonthView)
    return overview, view


def _codes(overview, mrn: str) -> str:
    for row in range(overview.proxy.rowCount()):
        if overview.proxy.row_at(row).mrn == mrn:
            return overview.proxy.index(row, NAMES["Codes earned"]).data()
    raise AssertionError(mrn)


def _edit(view: PatientMonthView, row: int = 0) -> EditEntryDialog:
    view.entry_table.selectRow(row)
    dialog = view.edit_selected()
    assert isinstance(dialog, EditEntryDialog)
    return dialog


def test_extending_an_entry_to_25_minutes_earns_99490_here_and_in_the_overview(
        qtbot, nov, settled, attest):
    first = log(nov, "T1001", 15, note="Call about refills")
    overview, view = _open(qtbot, nov, "T1001")
    assert view.windowTitle() == "Patient month — November 2026"  # no patient in the title
    assert view.name.text() == "Testpatient, Alma"
    assert view.figures.billable.text() == "No billable code yet this month."
    assert view.figures.bar.bands[0].caption == "5 min to 99490"
    assert _codes(overview, "T1001") == "—"
    dialog = _edit(view)
    dialog.end.setDateTime(dialog.end.dateTime().addSecs(10 * 60))  # 09:15 -> 09:25
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    assert dialog.error.text().startswith("Say why")  # no reason, no change
    assert len(entries.history(nov, str(first.id))) == 1
    qtbot.keyClicks(dialog.reason, "Call ran longer than the timer")
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and len(entries.history(nov, str(first.id))) == 1
    attest(view)  # the nurse's password, asked at that moment
    assert not dialog.isVisible()
    assert view.figures.billable.text() == "Billable: 99490"
    assert view.figures.bar.bands[0].caption == "15 min to 99439"
    assert _codes(settled(overview), "T1001") == "99490"  # the overview followed
    assert [v.seconds for v in entries.history(nov, str(first.id))] == [900, 1500]
    assert view.entries.rows[0].note == "Call about refills"  # only the end changed
    # The history: the original kept, who changed what and why.
    versions = view.versions.rows
    assert [(r.version, r.who, r.current) for r in versions] == [
        (1, "Avery Nurse", False), (2, "Avery Nurse", True)]
    assert versions[1].why == "Call ran longer than the timer"
    assert "(15 min) →" in versions[1].what and versions[1].what.endswith("(25 min)")


def test_a_refused_correction_keeps_the_dialog_open_with_the_reason(qtbot, nov, attest):
    log(nov, "T1001", 15)
    log(nov, "T1001", 10, day=4, hour=15)
    _overview, view = _open(qtbot, nov, "T1001")
    dialog = _edit(view)
    dialog.end.setDateTime(dialog.end.dateTime().addSecs(70 * 60))  # runs into the next one
    dialog.reason.setText("longer")
    dialog.submit()
    attest(view)
    assert dialog.isVisible() and "overlaps" in dialog.error.text()
    dialog.end.setDateTime(QDateTime(QDate(2030, 1, 1), dialog.end.dateTime().time()))
    dialog.submit()
    attest(view)
    assert "future" in dialog.error.text()
    assert sum(r.seconds for r in view.entries.rows) == 25 * 60


def test_voiding_needs_a_reason_keeps_the_original_and_drops_the_minutes(qtbot, nov,
                                                                         settled, attest):
    log(nov, "T1001", 12)
    log(nov, "T1001", 10, day=5)
    overview, view = _open(qtbot, nov, "T1001")
    assert view.figures.billable.text() == "Billable: 99490"
    view.entry_table.selectRow(1)
    dialog = view.void_selected()
    assert isinstance(dialog, VoidEntryDialog)
    dialog.submit()
    assert dialog.isVisible() and "Reason" in dialog.error.text()
    dialog.reason.setText("Wrong patient")
    dialog.submit()
    assert view.attest.isVisible() and view.figures.billable.text() == "Billable: 99490"
    attest(view)
    assert view.figures.billable.text() == "No billable code yet this month."
    assert _codes(settled(overview), "T1001") == "—"
    voided = [r for r in view.entries.rows if r.voided]
    assert len(view.entries.rows) == 2 and [r.void_reason for r in voided] == ["Wrong patient"]
    view.select_entry(voided[0].origin_id)
    assert not view.edit_button.isEnabled() and not view.void_button.isEnabled()
    assert view.versions.rows[-1].what.startswith("Voided") and (
        view.versions.rows[-1].why == "Wrong patient")


def test_month_flags_turn_on_complex_ccm(qtbot, nov, settled):
    log(nov, "T1001", 50)
    log(nov, "T1001", 45, day=5)
    overview, view = _open(qtbot, nov, "T1001", PHYSICIAN)  # the practitioner's judgement
    assert view.figures.billable.text() == "Billable: 99490, 99439 ×2"
    view.flags.boxes["complex_mdm"].click()
    assert view.figures.billable.text() == "Billable: 99490, 99439 ×2"  # both flags needed
    view.flags.boxes["care_plan_revised"].click()
    assert view.figures.billable.text() == "Billable: 99487, 99489"
    assert _codes(settled(overview), "T1001") == "99487, 99489"
    view.reload()  # stored, not just shown
    assert view.flags.boxes["care_plan_revised"].isChecked()
    view.flags.boxes["care_plan_revised"].click()
    assert view.figures.billable.text() == "Billable: 99490, 99439 ×2"


def test_interactive_contact_releases_a_held_rpm_line(qtbot, nov):
    log(nov, "T1003", 22, category="rpm-treatment")
    _overview, view = _open(qtbot, nov, "T1003")
    assert view.figures.held.text().startswith("Held: 99457 (needs a real-time")
    assert "99457" in view.flags.uses["interactive_contact"].text()
    view.flags.boxes["interactive_contact"].click()
    assert view.figures.billable.text() == "Billable: 99457"
    assert not view.figures.held.isVisibleTo(view)


def test_recording_consent_moves_the_line_from_held_to_billable(qtbot, nov, settled):
    for code in ("J44.9", "I10"):  # CCM's two chronic conditions: only consent is missing
        conditions.add(nov, "T1002", code)
    log(nov, "T1002", 25)
    overview, view = _open(qtbot, nov, "T1002")
    assert view.figures.held.text().startswith("Held: 99490 (no CCM consent")
    assert "no consent on file" in view.consent.listing.text()
    overview.consent.setChecked(True)
    assert overview.visible_mrns() == ["T1002"]
    panel = view.consent
    assert panel.program.currentText() == "CCM" and not panel.day.isEnabled()
    panel.has_consent.setChecked(True)
    panel.day.setDate(QDate(2026, 11, 2))
    panel.method.setCurrentText("written")
    panel.save.click()  # who obtained it (the nurse, shown) but nothing explained yet
    assert view.figures.held.text().startswith("Held: 99490 (the CCM consent is incomplete")
    assert ("Lines are held until the cost-sharing disclosure, the one-practitioner "
            "disclosure and the right-to-stop disclosure are recorded.") in (
        view.consent.listing.text())
    for box in panel.told.values():
        box.setChecked(True)
    panel.save.click()
    assert view.figures.billable.text() == "Billable: 99490"
    assert view.consent.listing.text() == ("CCM: consent 2026-11-02, written, obtained by "
                                           "Avery Nurse, all three disclosures")
    # Nothing was logged before the consent day, so there is nothing to show apart.
    assert "before that day" not in view.figures.warnings.text()
    assert settled(overview).visible_mrns() == []  # no longer missing consent
    assert patients.get(nov, "T1002").enrollments[0].consent_method == "written"


def test_enrolling_in_a_new_program_from_the_patient_view(qtbot, nov):
    log(nov, "T1001", 12, category="rpm-treatment", program="RPM")
    _overview, view = _open(qtbot, nov, "T1001")
    assert "not enrolled in RPM" in view.figures.warnings.text()
    view.consent.program.setCurrentText("RPM")
    assert view.consent.save.text() == "&Enroll in this program"
    view.consent.has_consent.setChecked(True)
    view.consent.save.click()
    programs = [e.program.value for e in patients.get(nov, "T1001").enrollments]
    assert programs == ["CCM", "RPM"]
    assert "not enrolled in RPM" not in view.figures.warnings.text()


def test_a_wrong_password_corrects_nothing_and_cancel_neither(qtbot, nov, attest,
                                                              audit_trail):
    first = log(nov, "T1001", 15)
    _overview, view = _open(qtbot, nov, "T1001")
    dialog = _edit(view)
    dialog.end.setDateTime(dialog.end.dateTime().addSecs(10 * 60))
    dialog.reason.setText("Call ran longer")
    head = len(audit_trail(nov))
    dialog.submit()
    attest(view, "Wrong-password-1")
    assert view.attest.isVisible() and dialog.isVisible()
    assert view.attest.error.text() == "That is not Avery Nurse's password; nothing was changed."
    view.attest.reject()  # Cancel
    assert dialog.isVisible() and len(entries.history(nov, str(first.id))) == 1
    assert [e[0] for e in audit_trail(nov, head)] == ["signin.fail"]


def test_opening_a_patient_leaves_a_read_in_the_audit_trail(qtbot, nov, audit_trail):
    log(nov, "T1001", 15)
    head = len(audit_trail(nov))
    _overview, view = _open(qtbot, nov, "T1001")
    reads = [e for e in audit_trail(nov, head) if e[0].startswith("read.")]
    assert [(e[0], e[1]) for e in reads] == [("read.report", NURSE), ("read.patient", NURSE)]
    assert reads[0][3]["month"] == "2026-11"
    assert reads[1][2] == str(view.person.id) and reads[1][3]["month"] == "2026-11"
