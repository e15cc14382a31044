import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from ccm_timer.errors import NotFound, UserError
from ccm_timer.services.month import month_flags
from ccm_timer.services.month.report import month_report
from ccm_timer.services.people import access, clinicians
from ccm_timer.services.people.access import Refused
from ccm_timer.services.security import audit
from ccm_timer.services.timing import entries
from ccm_timer.store.models import AuditEvent, PatientMonth
from tests.fixtures.clinic import NURSE, PHYSICIAN, set_billing_practitioner


def _flag_events(ctx) -> list[AuditEvent]:
    with ctx.read() as session:
        return list(session.exec(
            select(AuditEvent).where(AuditEvent.action == "patient_month.set")))


def test_a_month_without_a_row_has_every_flag_off(clinic):
    view = month_flags.get_flags(clinic, "T1001", "2026-11")
    assert (view.complex_mdm, view.care_plan_revised, view.interactive_contact) == (
        False, False, False)
    assert _flag_events(clinic) == []


def test_set_writes_the_row_and_an_audit_event_with_before_and_after(clinic):
    view = month_flags.set_flags(clinic, "T1001", "2026-11", complex_mdm=True,
                                 by=access.named(clinic, PHYSICIAN))
    assert (view.complex_mdm, view.care_plan_revised) == (True, False)
    again = month_flags.set_flags(clinic, "T1001", "2026-11", care_plan_revised=True)
    assert (again.complex_mdm, again.care_plan_revised) == (True, True)  # others kept
    assert month_flags.get_flags(clinic, "T1001", "2026-11") == again
    events = _flag_events(clinic)
    assert [e.actor for e in events] == ["Dr Blake Test", "Avery Nurse"]
    first, second = (json.loads(e.after) for e in events)
    assert first == {"month": "2026-11", "complex_mdm": True, "care_plan_revised": False,
                     "interactive_contact": False}
    assert json.loads(events[1].before) == first and second["care_plan_revised"] is True
    assert "T1001" not in (events[0].before or "") + events[0].after  # the id names the patient
    with clinic.read() as session:
        assert audit.verify(session).ok
        rows = list(session.exec(select(PatientMonth)))
    assert len(rows) == 1  # one row per patient-month, updated in place


def test_flags_belong_to_one_month_and_an_unchanged_set_writes_nothing(clinic):
    month_flags.set_flags(clinic, "T1001", "2026-11", interactive_contact=True)
    month_flags.set_flags(clinic, "T1001", "2026-11", interactive_contact=True)
    assert len(_flag_events(clinic)) == 1
    assert month_flags.get_flags(clinic, "T1001", "2026-10").interactive_contact is False
    assert month_flags.get_flags(clinic, "T1002", "2026-11").interactive_contact is False


def test_bad_month_and_unknown_patient_are_refused_with_a_sentence(clinic):
    with pytest.raises(UserError, match="YYYY-MM"):
        month_flags.set_flags(clinic, "T1001", "Nov 2026", complex_mdm=True)
    with pytest.raises(NotFound, match="check the number"):
        month_flags.get_flags(clinic, "NOPE", "2026-11")
    assert _flag_events(clinic) == []


def test_complex_mdm_is_the_billing_practitioners_own_to_attest(clinic):
    """CMS MLN909188: the billing practitioner's medical decision making. Clinical staff
    may set the other two flags (a care plan revised, RPM's interactive contact)."""
    nurse = access.named(clinic, NURSE)
    with pytest.raises(Refused, match="Avery Nurse is clinical staff, and complex-mdm"):
        month_flags.set_flags(clinic, "T1001", "2026-11", complex_mdm=True, by=nurse)
    clinicians.add(clinic, name="Dr Casey Other", credential="NP", role="practitioner")
    set_billing_practitioner(clinic, "T1001", PHYSICIAN)
    with pytest.raises(Refused, match="T1001's billing practitioner is Dr Blake Test, not "
                                      "Dr Casey Other"):
        month_flags.set_flags(clinic, "T1001", "2026-11", complex_mdm=False,
                              care_plan_revised=True,
                              by=access.named(clinic, "Dr Casey Other"))
    assert _flag_events(clinic) == []
    month_flags.set_flags(clinic, "T1001", "2026-11", care_plan_revised=True,
                          interactive_contact=True, by=nurse)
    month_flags.set_flags(clinic, "T1001", "2026-11", complex_mdm=True,
                          by=access.named(clinic, PHYSICIAN))
    assert [e.actor for e in _flag_events(clinic)] == [NURSE, PHYSICIAN]


def test_flags_turn_on_complex_ccm_in_the_report(clinic, clock):
    start = datetime(2026, 11, 4, 14, 0, tzinfo=UTC)
    clock.advance(timedelta(days=10))
    entries.add_manual(clinic, patient_mrn="T1001", category_slug="care-plan", start=start,
                       end=start + timedelta(minutes=95))
    codes = [line.code for line in month_report(clinic, "2026-11").patient("T1001")
             .result.lines]
    assert codes == ["99490", "99439"]  # staff CCM, capped at 60 minutes
    month_flags.set_flags(clinic, "T1001", "2026-11", complex_mdm=True,
                          care_plan_revised=True, by=access.named(clinic, PHYSICIAN))
    codes = [line.code for line in month_report(clinic, "2026-11").patient("T1001")
             .result.lines]
    assert codes == ["99487", "99489"]  # complex CCM pays more for 95 minutes
