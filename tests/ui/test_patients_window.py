"""The Patients window (issue 17, point 2): find as you type, add, edit, deactivate and
reactivate, the record's own panels, and every list, search and record shown an audited read
under the person signed in. Real database, real widgets, the tray's own flow."""

from __future__ import annotations

import pytest

from ccm_timer.services.people import clinicians, patients
from ccm_timer.services.security import credentials
from tests.fixtures.clinic import NURSE, PASSWORD, PHYSICIAN


@pytest.fixture
def tray(clinic, make_tray):
    return make_tray(clinic)


def _open(tray):
    return tray.office.show("patients")


def _reads(trail, ctx, since):
    return [(a, actor, after.get("detail")) for a, actor, _e, after in trail(ctx, since)
            if a == "read.patient"]


def test_opens_lists_and_audits_the_read(clinic, tray, audit_trail) -> None:
    since = len(audit_trail(clinic))
    window = _open(tray)
    assert [p.mrn for p in window.shown] == ["T1003", "T1002", "T1001"]  # Example, Sample, Test
    assert window.count.text() == "3 patients"
    assert _reads(audit_trail, clinic, since) == [("read.patient", NURSE,
                                                   "patient list (3 patients)")]
    assert tray.office.show("patients") is window  # built once, raised again


def test_search_as_you_type_is_read_once_it_settles(clinic, tray, audit_trail, qtbot) -> None:
    window = _open(tray)
    since = len(audit_trail(clinic))
    window.search.setText("jos")  # accents and case ignored: Sample, José
    assert [p.mrn for p in window.shown] == ["T1002"]
    assert window.count.text() == "1 of 3 patients match"
    window.search.setText("zzz")
    assert window.shown == [] and "No patient matches" in window.count.text()
    qtbot.waitUntil(lambda: bool(_reads(audit_trail, clinic, since)), timeout=3000)
    # One read for the settled search (what it showed, counted), never what was typed.
    assert _reads(audit_trail, clinic, since) == [("read.patient", NURSE,
                                                   "patient search (0 found)")]
    window.search.setText("T1001")
    window.select_mrn("T1001")
    reads = _reads(audit_trail, clinic, since)
    assert ("read.patient", NURSE, "patient record") in reads
    assert window.pane.name.text() == "Testpatient, Alma"
    assert window.pane.record is not None and window.pane.record.count() == 4
    record, reads = window.pane.record, len(audit_trail(clinic))
    window.search.setText("T100")  # still shows her: her record is neither rebuilt nor read
    assert window.pane.record is record and window.current.mrn == "T1001"
    assert len(audit_trail(clinic)) == reads


def test_add_then_edit_with_care_manager_and_practitioner(clinic, tray, audit_trail) -> None:
    window = _open(tray)
    dialog = window.add_patient()
    dialog.mrn.setText("T5001")
    dialog.family.setText("Núñez")
    dialog.given.setText("Ana")
    ids = {c.name: str(c.id) for c in clinicians.list_clinicians(clinic)}  # kept by id
    dialog.care_manager.setCurrentIndex(dialog.care_manager.findData(ids[NURSE]))
    dialog.practitioner.setCurrentIndex(dialog.practitioner.findData(ids[PHYSICIAN]))
    dialog.ok.click()
    assert not dialog.isVisible()
    assert [p.mrn for p in window.shown].index("T5001") == 1  # Example, Núñez, Sample, …
    assert window.current is not None and window.current.mrn == "T5001"
    assert window.table.item(1, 3).text() == NURSE
    added = patients.get(clinic, "T5001")
    assert added.care_manager_id is not None and added.billing_practitioner_id is not None
    edit = window.edit_patient()
    assert edit.mrn.isReadOnly() and edit.family.text() == "Núñez"
    edit.care_manager.setCurrentIndex(0)  # nobody
    edit.has_birth.setChecked(True)
    edit.birth.setDate(edit.birth.date().addYears(-5))
    edit.ok.click()
    again = patients.get(clinic, "T5001")
    assert again.care_manager_id is None and again.birth_date is not None
    assert again.billing_practitioner_id == added.billing_practitioner_id  # left as it was
    (action, actor, _id, after) = [e for e in audit_trail(clinic)
                                   if e[0] == "patient.update"][-1]
    assert actor == NURSE and after["care_manager"] is None and "billing_practitioner" \
        not in after


def test_a_refused_add_keeps_the_dialog_and_changes_nothing(clinic, tray) -> None:
    window = _open(tray)
    dialog = window.add_patient()
    dialog.ok.click()
    assert dialog.isVisible() and "Fill in the MRN" in dialog.error.text()
    for mrn, family, says in (("T1001", "Dup", "already exists"),
                              ("T5002", "Comma, Here", "Leave commas out")):
        dialog.mrn.setText(mrn)
        dialog.family.setText(family)
        dialog.given.setText("Lou")
        dialog.ok.click()
        assert dialog.isVisible() and says in dialog.error.text()
    assert len(patients.list_patients(clinic)) == 3


def test_deactivate_hides_the_patient_and_reactivate_brings_them_back(clinic, tray) -> None:
    window = _open(tray)
    window.select_mrn("T1002")
    assert window.toggle_active()
    assert "T1002" not in [p.mrn for p in window.shown]
    window.show_inactive.setChecked(True)
    assert window.select_mrn("T1002")
    assert window.current is not None and not window.current.active
    assert window.active_button.text() == "Reac&tivate"
    assert not window.edit_button.isEnabled() and not window.pane.open_button.isEnabled()
    assert window.table.item([p.mrn for p in window.shown].index("T1002"), 0).text() == (
        "Sample, José (deactivated)")
    assert window.toggle_active()
    assert patients.get(clinic, "T1002").active


def test_open_month_and_start_timer_go_to_the_tray(clinic, tray) -> None:
    window = _open(tray)
    window.select_mrn("T1001")
    month = window.open_month()
    assert month is not None and month.isVisible() and "Testpatient" in month.windowTitle() + (
        month.name.text())
    window.start_timer()
    start = tray.dialogs.get("start")
    assert start is not None and start.isVisible()


def test_the_billing_office_reads_but_does_not_change(clinic, make_tray) -> None:
    clinicians.add(clinic, name="Olive Office", credential="CPB", role="office",
                   duties=("billing",))
    from tests.fixtures.clinic import give_passwords
    give_passwords(clinic, ("Olive Office",))
    tray = make_tray(clinic, signed_in="Olive Office")
    window = _open(tray)
    assert len(window.shown) == 3
    assert not window.add_button.isEnabled()
    window.select_mrn("T1001")
    assert not window.edit_button.isEnabled() and not window.active_button.isEnabled()
    assert "Olive Office cannot change the patient's record" in window.note.text()
    assert not window.pane.start_button.isEnabled()  # no clinical role: times nothing
    assert window.add_patient() is None and "cannot change" in window.error.text()


def test_sign_out_closes_and_another_person_reads_as_themselves(clinic, tray, audit_trail,
                                                               qtbot) -> None:
    window = _open(tray)
    since = len(audit_trail(clinic))
    tray.controller.sign_in(credentials.verify(clinic, PHYSICIAN, PASSWORD))
    assert _reads(audit_trail, clinic, since) == [("read.patient", PHYSICIAN,
                                                   "patient list (3 patients)")]
    tray.controller.sign_out()
    assert "patients" not in tray.office.windows
    qtbot.waitUntil(lambda: not window.isVisible())


def test_fits_a_small_screen(clinic, tray) -> None:
    window = _open(tray)
    room = window.screen().availableGeometry()
    assert window.width() <= room.width() and window.height() <= room.height()
    assert window.minimumWidth() <= room.width() and window.minimumHeight() <= room.height()


def test_import_roster_opens_the_setup_roster_import(clinic, tray) -> None:
    window = _open(tray)
    assert window.import_button is not None and window.import_button.isEnabled()
    dialog = window.import_roster()
    assert dialog.isVisible() and dialog.windowTitle() == "Import a patient roster"
    dialog.imported.emit(0)  # after a write the list is read again
    assert len(window.shown) == 3
