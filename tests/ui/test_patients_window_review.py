"""The Patients window after review (issue 17): a dialog does not outlive the person who
opened it, Edit clears QMB and the birth date and saves nothing when nothing changed, people
are chosen by id, and the list is read again (audited) when the window is shown again."""

from __future__ import annotations

from datetime import date

import pytest

from ccm_timer.services.people import clinicians, patients
from ccm_timer.services.security import credentials
from tests.fixtures.clinic import NURSE, PASSWORD, PHYSICIAN, give_passwords


@pytest.fixture
def tray(clinic, make_tray):
    return make_tray(clinic)


def _updates(trail, ctx) -> int:
    return sum(1 for e in trail(ctx) if e[0] == "patient.update")


def test_a_dialog_closes_when_another_person_signs_in(clinic, tray, qtbot) -> None:
    clinicians.add(clinic, name="Olive Office", credential="CPB", role="office",
                   duties=("billing",))
    give_passwords(clinic, ("Olive Office",))
    window = tray.office.show("patients")
    window.select_mrn("T1001")
    dialog = window.edit_patient()
    dialog.family.setText("Changed")
    tray.controller.sign_in(credentials.verify(clinic, "Olive Office", PASSWORD))
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert window.dialog is None
    assert patients.get(clinic, "T1001").family_name == "Testpatient"


def test_edit_clears_qmb_and_the_birth_date(clinic, tray, audit_trail) -> None:
    patients.update(clinic, "T1001", qmb=True, birth_date=date(1950, 2, 3))
    window = tray.office.show("patients")
    window.select_mrn("T1001")
    dialog = window.edit_patient()
    dialog.qmb.setCurrentIndex(dialog.qmb.findData(None))  # "Not recorded"
    dialog.has_birth.setChecked(False)
    dialog.ok.click()
    assert not dialog.isVisible()
    saved = patients.get(clinic, "T1001")
    assert (saved.qmb, saved.birth_date) == (None, None)
    action, actor, _id, after = [e for e in audit_trail(clinic) if e[0] == "patient.update"][-1]
    assert actor == NURSE and after["qmb"] is None and after["birth_date"] is None


def test_saving_what_was_there_records_nothing(clinic, tray, audit_trail) -> None:
    patients.update(clinic, "T1001", qmb=False, care_manager=NURSE)
    window = tray.office.show("patients")
    window.select_mrn("T1001")
    before = _updates(audit_trail, clinic)
    dialog = window.edit_patient()
    dialog.ok.click()
    assert not dialog.isVisible() and window.error.isHidden()
    assert _updates(audit_trail, clinic) == before


def test_people_are_chosen_by_id(clinic, tray) -> None:
    ids = {c.name: str(c.id) for c in clinicians.list_clinicians(clinic)}
    patients.update(clinic, "T1001", billing_practitioner=PHYSICIAN, care_manager=NURSE)
    window = tray.office.show("patients")
    window.select_mrn("T1001")
    dialog = window.edit_patient()
    assert dialog.practitioner.currentData() == ids[PHYSICIAN]
    assert dialog.care_manager.currentData() == ids[NURSE]
    assert dialog.practitioner.findData(PHYSICIAN) == -1  # never by name
    dialog.care_manager.setCurrentIndex(dialog.care_manager.findData(ids[PHYSICIAN]))
    dialog.ok.click()
    assert str(patients.get(clinic, "T1001").care_manager_id) == ids[PHYSICIAN]


def test_shown_again_it_reads_the_list_again(clinic, tray, audit_trail) -> None:
    window = tray.office.show("patients")
    window.hide()
    patients.add(clinic, mrn="T5300", name="Later, Lee")
    since = len(audit_trail(clinic))
    tray.office.show("patients")
    assert "T5300" in {p.mrn for p in window.shown}
    reads = [e for e in audit_trail(clinic, since) if e[0] == "read.patient"]
    assert len(reads) == 1 and reads[0][1] == NURSE
