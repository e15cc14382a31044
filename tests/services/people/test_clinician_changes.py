"""Changing and deactivating people (issue 17, point 2): an administrator's, audited with
what changed, refused in one sentence with nothing changed."""

from __future__ import annotations

import json

import pytest
from sqlmodel import col, select

from ccm_timer.errors import UserError
from ccm_timer.services.people import access, clinicians, patients
from ccm_timer.services.people.access import Refused
from ccm_timer.services.security import credentials
from ccm_timer.store.models import AuditEvent, Clinician
from tests.fixtures.clinic import ADMIN, NURSE, PASSWORD, PHYSICIAN


def _people(ctx) -> list[tuple]:
    with ctx.read() as s:
        return [(c.name, c.credential, c.role, c.npi, c.incident_to, c.active, c.duties)
                for c in s.exec(select(Clinician).order_by(col(Clinician.name)))]


def _last(ctx, action: str) -> AuditEvent:
    with ctx.read() as s:
        return s.exec(select(AuditEvent).where(AuditEvent.action == action)
                      .order_by(col(AuditEvent.seq).desc())).first()


@pytest.fixture
def admin(admin_clinic):
    return credentials.verify(admin_clinic, ADMIN, PASSWORD)


def test_update_records_only_what_changed(admin_clinic, admin) -> None:
    view = clinicians.update(admin_clinic, NURSE, name="Avery Nurse-Lee", credential="lpn",
                             by=admin)
    assert (view.name, view.credential, view.role.value) == ("Avery Nurse-Lee", "LPN",
                                                             "clinical_staff")
    event = _last(admin_clinic, "clinician.update")
    assert event.actor == ADMIN
    assert json.loads(event.before) == {"name": NURSE, "credential": "RN"}
    assert json.loads(event.after) == {"name": "Avery Nurse-Lee", "credential": "LPN"}
    doctor = clinicians.update(admin_clinic, PHYSICIAN, npi="", incident_to=True, by=admin)
    assert doctor.npi is None and doctor.incident_to is True


def test_update_refusals_change_nothing(admin_clinic, admin) -> None:
    patients.set_billing_practitioner(admin_clinic, "T1001", PHYSICIAN)
    before = _people(admin_clinic)
    for name, kwargs, says in (
            (NURSE, {"credential": "MD"}, "is a practitioner credential"),
            (NURSE, {"npi": "12"}, "exactly 10 digits"),
            (NURSE, {"name": PHYSICIAN}, "already exists"),
            (NURSE, {"incident_to": True}, "practitioners only"),
            (NURSE, {"role": "office", "credential": "CPB"}, "default clinician"),
            (PHYSICIAN, {"role": "clinical_staff", "credential": "RN"},
             "billing practitioner of 1 patient")):
        with pytest.raises(UserError, match=says):
            clinicians.update(admin_clinic, name, by=admin, **kwargs)
    nurse = credentials.verify(admin_clinic, NURSE, PASSWORD)
    with pytest.raises(Refused, match="may not manage people"):
        clinicians.update(admin_clinic, PHYSICIAN, npi="1234567893", by=nurse)
    assert _people(admin_clinic) == before


def test_deactivate_and_reactivate(admin_clinic, admin) -> None:
    clinicians.add(admin_clinic, name="Casey Aide", credential="MA", role="clinical_staff",
                   by=admin)
    gone = clinicians.set_active(admin_clinic, "Casey Aide", False, by=admin)
    assert gone.active is False
    assert "Casey Aide" not in {c.name for c in clinicians.list_clinicians(admin_clinic)}
    assert "Casey Aide" in {c.name for c in
                            clinicians.list_clinicians(admin_clinic, inactive=True)}
    with pytest.raises(UserError):
        credentials.verify(admin_clinic, "Casey Aide", PASSWORD)
    assert clinicians.set_active(admin_clinic, "Casey Aide", True, by=admin).active
    assert _last(admin_clinic, "clinician.deactivate").actor == ADMIN
    assert _last(admin_clinic, "clinician.reactivate").actor == ADMIN


def test_deactivation_refusals(admin_clinic, admin) -> None:
    patients.set_billing_practitioner(admin_clinic, "T1001", PHYSICIAN)
    access.grant(admin_clinic, PHYSICIAN, "admin", True, by=admin)
    before = _people(admin_clinic)
    for name, says in ((NURSE, "default clinician"), (PHYSICIAN, "billing practitioner of"),
                       (ADMIN, "cannot deactivate yourself")):
        with pytest.raises(UserError, match=says):
            clinicians.set_active(admin_clinic, name, False, by=admin)
    assert _people(admin_clinic) == before


def test_the_last_administrator_stays(clinic) -> None:
    # Being set up (no administrator with a password yet): managing people is open, and the
    # one administrator named so far cannot be deactivated.
    clinicians.add(clinic, name="Sam First", credential="Office", role="office",
                   duties=("admin",))
    with pytest.raises(UserError, match="only administrator"):
        clinicians.set_active(clinic, "Sam First", False)
    assert "Sam First" in {c.name for c in clinicians.list_clinicians(clinic)}
