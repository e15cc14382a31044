"""Month close: who approved which patient-month and when; a later change reopens it."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlmodel import select

from ccm_timer.core.access import Action
from ccm_timer.errors import UserError
from ccm_timer.services.month import approvals, month_flags
from ccm_timer.services.people import access, clinicians
from ccm_timer.services.people.access import Refused
from ccm_timer.services.security import audit, credentials
from ccm_timer.services.timing import entries, timers
from ccm_timer.store.models import AuditEvent, MonthApproval
from tests.fixtures import clinic
from tests.fixtures.clinic import NURSE, PHYSICIAN, give_passwords, signer

OTHER = "Dr Casey Other"  # a practitioner who is not T1001's billing practitioner


def by_mrn(states):
    return {s.mrn: s for s in states}


def doctor(ctx):
    return signer(ctx, PHYSICIAN, Action.APPROVE)


def correcting(ctx, name=NURSE):
    return signer(ctx, name, Action.CORRECT_ENTRY)


def _approvals(ctx) -> list[MonthApproval]:
    with ctx.read() as session:
        return list(session.exec(select(MonthApproval)))


def test_approval_records_who_when_and_an_audit_event(month_clinic):
    ctx, _ = month_clinic
    dr = doctor(ctx)
    before = by_mrn(approvals.states(ctx, clinic.MONTH))
    assert {m: s.approved for m, s in before.items()} == {
        "T1001": False, "T1002": False, "T1003": False}
    done = by_mrn(approvals.approve(ctx, clinic.MONTH, "T1001", by=dr))
    assert list(done) == ["T1001"]
    alma = done["T1001"]
    assert alma.approved and not alma.reopened
    assert (alma.approved_by, alma.approved_at) == ("Dr Blake Test", clinic.AFTER)
    with ctx.read() as session:
        [row] = session.exec(select(MonthApproval)).all()
        event = session.exec(select(AuditEvent).where(AuditEvent.seq == row.audit_seq)).one()
        assert audit.verify(session).ok
    assert (event.action, event.actor, event.entity_id) == (
        "month.approve", "Dr Blake Test", str(alma.patient_id))
    lines = json.loads(event.after)["lines"]
    assert [(x["code"], x["units"]) for x in lines] == [("99490", 1), ("99439", 2)]
    assert not by_mrn(approvals.states(ctx, clinic.MONTH))["T1002"].approved


def test_only_a_practitioner_approves(month_clinic):
    ctx, _ = month_clinic
    with pytest.raises(Refused, match=r"Avery Nurse \(clinical staff\) may not approve a "
                                      "month for billing: only practitioners may"):
        signer(ctx, NURSE, Action.APPROVE)  # her right password proves who, not the duty
    nurse = signer(ctx, NURSE, Action.CORRECT_ENTRY)
    with pytest.raises(Refused, match="may not approve"):
        approvals.approve(ctx, clinic.MONTH, by=nurse)
    with pytest.raises(UserError, match="No patient has care-management time in 2026-10"):
        approvals.approve(ctx, "2026-10", by=doctor(ctx))  # enrolled, no time
    assert _approvals(ctx) == []


def test_an_approval_needs_the_password_for_it(month_clinic):
    ctx, _ = month_clinic
    named = access.named(ctx, PHYSICIAN)  # picked from a menu: not proven
    for unproven in (named, signer(ctx, PHYSICIAN, Action.EXPORT)):
        with pytest.raises(Refused, match="must give their password at that moment"):
            approvals.approve(ctx, clinic.MONTH, by=unproven)
    with pytest.raises(Refused, match="not Dr Blake Test's password; nothing was changed"):
        credentials.attest(ctx, PHYSICIAN, "Not-the-password-1", Action.APPROVE)
    assert _approvals(ctx) == []
    with ctx.read() as session:
        actions = [e.action for e in session.exec(select(AuditEvent))]
    assert "month.approve" not in actions and actions[-1] == "signin.fail"


def test_a_practitioner_approves_only_their_own_patients(month_clinic):
    """T1001's billing practitioner is Dr Blake Test; T1002 and T1003 have none on file."""
    ctx, _ = month_clinic
    clinicians.add(ctx, name=OTHER, credential="NP", role="practitioner")
    give_passwords(ctx, (OTHER,))
    other = signer(ctx, OTHER, Action.APPROVE)
    with pytest.raises(Refused, match=f"{OTHER} is not the billing practitioner of patient "
                                      f"T1001; {PHYSICIAN} approves"):
        approvals.approve(ctx, clinic.MONTH, "T1001", by=other)
    assert _approvals(ctx) == []
    done = approvals.approve(ctx, clinic.MONTH, by=other)
    assert sorted(by_mrn(done)) == ["T1002", "T1003"]
    assert done.left == {PHYSICIAN: 1}
    assert {a.approved_by for a in _approvals(ctx)} == {OTHER}
    clinic.set_billing_practitioner(ctx, "T1002", PHYSICIAN)
    clinic.set_billing_practitioner(ctx, "T1003", PHYSICIAN)
    with pytest.raises(Refused, match=f"None of 2026-11's patients with time is {OTHER}'s "
                                      rf"to approve: .*\({PHYSICIAN} \(3\)\)"):
        approvals.approve(ctx, clinic.MONTH, by=other)
    assert len(_approvals(ctx)) == 2
    mine = approvals.approve(ctx, clinic.MONTH, by=doctor(ctx))
    assert len(mine) == 3 and mine.left == {}


def test_an_edit_after_approval_reopens_only_that_patient_month(month_clinic, clock):
    ctx, made = month_clinic
    dr = doctor(ctx)
    approvals.approve(ctx, clinic.MONTH, by=dr)
    clock.advance(timedelta(hours=2))
    entries.edit(ctx, str(made["call2"].id), reason="call was shorter",
                 end=clinic.DAY + timedelta(days=1, minutes=8), by=correcting(ctx))
    states = by_mrn(approvals.states(ctx, clinic.MONTH))
    alma = states["T1001"]
    assert alma.reopened and not alma.approved
    [change] = alma.changes
    assert change.what == "edited" and change.reason == "call was shorter"
    assert change.summary == ("11/04/2026 10:00, Phone call with patient or caregiver, "
                              "Avery Nurse: edited (call was shorter)")
    assert states["T1002"].approved and states["T1003"].approved
    approvals.approve(ctx, clinic.MONTH, "T1001", by=dr)
    assert by_mrn(approvals.states(ctx, clinic.MONTH))["T1001"].approved


def test_voids_moves_flags_and_consent_reopen_too(month_clinic):
    ctx, made = month_clinic
    approvals.approve(ctx, clinic.MONTH, by=doctor(ctx))
    nurse = correcting(ctx)
    entries.void(ctx, str(made["call1"].id), reason="duplicate", by=nurse)
    entries.edit(ctx, str(made["jose"].id), reason="wrong patient", patient_mrn="T1003",
                 program="RPM", category_slug="phone-call", by=nurse)
    month_flags.set_flags(ctx, "T1003", clinic.MONTH, interactive_contact=True,
                          by=access.named(ctx, PHYSICIAN))
    states = by_mrn(approvals.states(ctx, clinic.MONTH))
    assert [c.what for c in states["T1001"].changes] == ["voided"]
    assert [c.what for c in states["T1002"].changes] == ["moved to another patient or month"]
    assert [c.what for c in states["T1003"].changes] == [
        "edited", "month flags changed (interactive contact yes)"]


def test_a_running_timer_blocks_approval(month_clinic):
    ctx, _ = month_clinic
    dr = doctor(ctx)
    timers.start(ctx, patient_mrn="T1002", category_slug="phone-call")
    with pytest.raises(UserError, match="A timer is still running"):
        approvals.approve(ctx, clinic.MONTH, by=dr)
    approvals.approve(ctx, clinic.MONTH, "T1001", by=dr)


def test_approvals_are_never_changed_or_deleted(month_clinic):
    ctx, _ = month_clinic
    approvals.approve(ctx, clinic.MONTH, "T1001", by=doctor(ctx))
    for sql in ("UPDATE month_approval SET approved_by = 'someone else'",
                "DELETE FROM month_approval"):
        with pytest.raises(Exception, match="never"), ctx.write() as session:
            session.exec(text(sql))


def test_time_imported_from_another_workstation_reopens(month_clinic, clock):
    """A bundle import writes other workstations' versions without a local audit event per
    entry; their created_at after the approval is what reopens the month."""
    from ccm_timer.store.models import (
        Category,
        Clinician,
        EntrySource,
        EntryState,
        Interval,
        Patient,
        TimeEntry,
    )
    from ccm_timer.store.types import new_id

    ctx, _ = month_clinic
    approvals.approve(ctx, clinic.MONTH, by=doctor(ctx))
    clock.advance(timedelta(minutes=5))
    with ctx.write() as session:
        patient = session.exec(select(Patient).where(Patient.mrn == "T1002")).one()
        nurse = session.exec(select(Clinician).where(Clinician.name == "Avery Nurse")).one()
        category = session.exec(select(Category).where(Category.slug == "phone-call")).one()
        entry_id = new_id()
        session.add(TimeEntry(
            id=entry_id, origin_id=entry_id, clinician_id=nurse.id, patient_id=patient.id,
            category_id=category.id, program=category.program, source=EntrySource.MANUAL,
            state=EntryState.STOPPED, workstation="ws-front-desk", tz_name="America/New_York",
            created_at=ctx.now()))
        session.flush()
        start = clinic.DAY + timedelta(days=10)
        session.add(Interval(entry_id=entry_id, start_utc=start,
                             end_utc=start + timedelta(minutes=5)))
    states = by_mrn(approvals.states(ctx, clinic.MONTH))
    assert [c.what for c in states["T1002"].changes] == ["changed on another workstation"]
    assert states["T1001"].approved and states["T1003"].approved
