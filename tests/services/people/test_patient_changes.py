"""A patient's care manager and billing practitioner, deactivation and the sort of names
(issue 17, point 2): each change audited, refused in one sentence with nothing changed."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlmodel import col, select

from ccm_timer.errors import NotFound, UserError
from ccm_timer.services.people import clinicians, patients
from ccm_timer.services.people.access import Refused
from ccm_timer.services.security import credentials
from ccm_timer.store.models import AuditEvent, Patient
from tests.fixtures.clinic import NURSE, PASSWORD, PHYSICIAN


def _events(ctx, action: str) -> list[AuditEvent]:
    with ctx.read() as s:
        return list(s.exec(select(AuditEvent).where(AuditEvent.action == action)
                           .order_by(col(AuditEvent.seq))))


def _stored(ctx) -> list[tuple]:
    with ctx.read() as s:
        return [(p.mrn, p.family_name, p.birth_date, p.billing_practitioner_id,
                 p.care_manager_id, p.active) for p in s.exec(select(Patient))]


def test_add_with_practitioner_and_care_manager_in_one_event(clinic) -> None:
    view = patients.add(clinic, mrn="T5001", name="Núñez, Ana", billing_practitioner=PHYSICIAN,
                        care_manager=NURSE, actor=NURSE)
    people = {c.name: c.id for c in clinicians.list_clinicians(clinic)}
    assert (view.billing_practitioner_id, view.care_manager_id) == (
        people[PHYSICIAN], people[NURSE])
    (event,) = [e for e in _events(clinic, "patient.add") if "T5001" in e.after]
    assert json.loads(event.after) == {"mrn": "T5001",
                                       "billing_practitioner": str(people[PHYSICIAN]),
                                       "care_manager": str(people[NURSE])}


def test_bad_people_and_a_future_birth_are_refused_and_nothing_is_added(clinic) -> None:
    clinicians.add(clinic, name="Olive Office", credential="CPB", role="office")
    before = _stored(clinic)
    for kwargs, says in (({"billing_practitioner": NURSE}, "Avery Nurse is clinical staff"),
                         ({"care_manager": "Olive Office"}, "has no clinical role"),
                         ({"care_manager": "Nobody"}, "no clinician 'Nobody'"),
                         ({"birth_date": date(2030, 1, 1)}, "is in the future")):
        with pytest.raises(UserError, match=says):
            patients.add(clinic, mrn="T5002", name="Late, Lou", **kwargs)
    assert _stored(clinic) == before


def test_update_sets_and_clears_the_care_manager(clinic) -> None:
    view = patients.update(clinic, "T1002", care_manager=NURSE, billing_practitioner=PHYSICIAN)
    assert view.care_manager_id is not None and view.billing_practitioner_id is not None
    cleared = patients.update(clinic, "T1002", care_manager=patients.CLEAR)
    assert cleared.care_manager_id is None and cleared.billing_practitioner_id is not None
    last = _events(clinic, "patient.update")[-1]
    assert json.loads(last.after) == {"name": "Sample, José", "birth_date": None, "qmb": None,
                                      "care_manager": None}
    assert json.loads(last.before)["care_manager"] == str(view.care_manager_id)


def test_names_sort_as_people_read_them(clinic) -> None:
    for mrn, name in (("T5003", "Ñúñez, Beto"), ("T5004", "de la Cruz, Ana"),
                      ("T5005", "Zeta, Zoe"), ("T5006", "Delacroix, Eva")):
        patients.add(clinic, mrn=mrn, name=name)
    names = [p.family_name for p in patients.list_patients(clinic)]
    assert names == ["de la Cruz", "Delacroix", "Example", "Ñúñez", "Sample", "Testpatient",
                     "Zeta"]


def test_deactivate_leaves_the_lists_and_keeps_the_history(clinic) -> None:
    nurse = credentials.verify(clinic, NURSE, PASSWORD)
    gone = patients.set_active(clinic, "T1002", False, nurse)
    assert gone.active is False
    assert "T1002" not in {p.mrn for p in patients.list_patients(clinic)}
    with pytest.raises(NotFound):
        patients.get(clinic, "T1002")
    kept = patients.get(clinic, "T1002", inactive=True)
    assert kept.enrollments and kept.display_name == "Sample, José"
    with pytest.raises(UserError, match="already deactivated"):
        patients.set_active(clinic, "T1002", False, nurse)
    assert patients.set_active(clinic, "T1002", True, nurse).active is True
    assert [e.actor for e in _events(clinic, "patient.deactivate")] == [NURSE]
    assert [e.actor for e in _events(clinic, "patient.reactivate")] == [NURSE]


def test_the_billing_office_may_not_deactivate(clinic) -> None:
    clinicians.add(clinic, name="Olive Office", credential="CPB", role="office",
                   duties=("billing",))
    office = clinic_signer(clinic, "Olive Office")
    with pytest.raises(Refused, match="may not change a patient's record"):
        patients.set_active(clinic, "T1001", False, office)
    assert patients.get(clinic, "T1001").active


def clinic_signer(ctx, name):
    from ccm_timer.services.people import access

    return access.named(ctx, name)
