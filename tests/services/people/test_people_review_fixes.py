"""A reviewer's findings on patients and clinicians (issue 17): a record change checked
against the person saving it, a clinician with a live timer kept active, QMB and the birth
date cleared, and the default clinician set inside add audited as set_default does."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlmodel import col, select

from ccm_timer.errors import UserError
from ccm_timer.services.people import access, clinicians, patients
from ccm_timer.services.people.access import Refused
from ccm_timer.services.security import credentials
from ccm_timer.services.timing import timers
from ccm_timer.store.models import AuditEvent, Patient
from tests.fixtures.clinic import ADMIN, NURSE, PASSWORD, PHYSICIAN


def _events(ctx, action: str) -> list[AuditEvent]:
    with ctx.read() as s:
        return list(s.exec(select(AuditEvent).where(AuditEvent.action == action)
                           .order_by(col(AuditEvent.seq))))


def _stored(ctx) -> list[tuple]:
    with ctx.read() as s:
        return sorted((p.mrn, p.family_name, p.birth_date, p.qmb, p.care_manager_id)
                      for p in s.exec(select(Patient)))


def test_the_billing_office_saving_a_patient_is_refused_and_nothing_changes(clinic) -> None:
    clinicians.add(clinic, name="Olive Office", credential="CPB", role="office",
                   duties=("billing",))
    office = access.named(clinic, "Olive Office")
    before, events = _stored(clinic), len(_events(clinic, "patient.update"))
    with pytest.raises(Refused, match="may not change a patient's record"):
        patients.update(clinic, "T1001", name="Changed, Name", by=office)
    with pytest.raises(Refused, match="may not change a patient's record"):
        patients.add(clinic, mrn="T5100", name="New, Patient", by=office)
    assert _stored(clinic) == before
    assert len(_events(clinic, "patient.update")) == events
    nurse = access.named(clinic, NURSE)
    patients.update(clinic, "T1001", name="Changed, Name", by=nurse)
    patients.add(clinic, mrn="T5100", name="New, Patient", by=nurse)
    assert _events(clinic, "patient.update")[-1].actor == NURSE
    assert _events(clinic, "patient.add")[-1].actor == NURSE


def test_qmb_and_the_birth_date_can_be_cleared(clinic) -> None:
    patients.update(clinic, "T1001", qmb=True, birth_date=date(1950, 2, 3))
    cleared = patients.update(clinic, "T1001", qmb=patients.CLEAR, birth_date=patients.CLEAR)
    assert (cleared.qmb, cleared.birth_date) == (None, None)
    last = _events(clinic, "patient.update")[-1]
    assert json.loads(last.before)["qmb"] is True
    assert json.loads(last.after)["qmb"] is None
    assert json.loads(last.after)["birth_date"] is None
    kept = patients.update(clinic, "T1001", name="Testpatient, Alma")  # None still keeps
    assert (kept.qmb, kept.birth_date) == (None, None)


def test_a_clinician_with_a_live_timer_is_not_deactivated(admin_clinic) -> None:
    admin = credentials.verify(admin_clinic, ADMIN, PASSWORD)
    timers.start(admin_clinic, patient_mrn="T1001", category_slug="phone-call",
                 clinician=PHYSICIAN)
    with pytest.raises(UserError, match="has a running timer") as caught:
        clinicians.set_active(admin_clinic, PHYSICIAN, False, by=admin)
    assert "`" not in str(caught.value) and "--" not in str(caught.value)
    timers.pause(admin_clinic, PHYSICIAN)
    with pytest.raises(UserError, match="paused timer"):
        clinicians.set_active(admin_clinic, PHYSICIAN, False, by=admin)
    assert access.named(admin_clinic, PHYSICIAN).name == PHYSICIAN  # still active
    timers.stop(admin_clinic, PHYSICIAN)
    assert clinicians.set_active(admin_clinic, PHYSICIAN, False, by=admin).active is False


def test_the_first_clinician_made_default_leaves_a_default_event(ctx) -> None:
    first = clinicians.add(ctx, name="Ada First", credential="RN", role="clinical_staff")
    assert first.is_default and ctx.settings.default_clinician == str(first.id)
    (event,) = _events(ctx, "clinician.default")
    assert json.loads(event.after) == {"default_clinician": str(first.id)}


def test_a_clinician_added_as_default_goes_through_set_default(admin_clinic) -> None:
    admin = credentials.verify(admin_clinic, ADMIN, PASSWORD)
    before = len(_events(admin_clinic, "clinician.default"))
    added = clinicians.add(admin_clinic, name="Nia New", credential="LPN",
                           role="clinical_staff", default=True, by=admin)
    assert admin_clinic.settings.default_clinician == str(added.id)
    events = _events(admin_clinic, "clinician.default")
    assert len(events) == before + 1 and events[-1].actor == ADMIN
