"""Who is acting and whether they may (issue 16, point 2): a person's duties, the refusals of
the duty table, the open set-up until an administrator can prove it, the last administrator,
and the tray's signed-in person the command line's timing commands act as."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from sqlmodel import select

from ccm_timer import paths
from ccm_timer.core.access import Action, Duty
from ccm_timer.errors import UserError
from ccm_timer.services.people import access, clinicians
from ccm_timer.services.people.access import Refused
from ccm_timer.services.security import credentials
from ccm_timer.store.models import AuditEvent, Clinician, Patient, Role
from tests.fixtures.clinic import (
    NURSE,
    PASSWORD,
    PHYSICIAN,
    give_passwords,
    set_billing_practitioner,
    signer,
)

ADMIN, BILLER, OTHER_DOC = "Robin Admin", "Sam Biller", "Dr Nia Other"


def _row(ctx, name: str) -> Clinician:
    with ctx.read() as s:
        return s.exec(select(Clinician).where(Clinician.name == name)).one()


def _patient_id(ctx, mrn: str):
    with ctx.read() as s:
        return s.exec(select(Patient).where(Patient.mrn == mrn)).one().id


def _events(ctx, action: str) -> list[AuditEvent]:
    with ctx.read() as s:
        return [e for e in s.exec(select(AuditEvent).order_by(AuditEvent.seq))
                if e.action == action]


@pytest.fixture
def staffed(clinic):
    """The clinic with a billing office and an administrator (both role office), and a
    second practitioner, everyone with the synthetic password."""
    clinicians.add(clinic, name=BILLER, credential="CPC", role="office", duties=("billing",))
    clinicians.add(clinic, name=ADMIN, credential="Office", role="office", duties=("admin",))
    clinicians.add(clinic, name=OTHER_DOC, credential="NP", role="practitioner")
    give_passwords(clinic, (BILLER, ADMIN, OTHER_DOC))
    return clinic


# --- duties ---------------------------------------------------------------------------------

def test_duties_are_the_role_plus_what_was_granted(staffed) -> None:
    assert access.duties_of(_row(staffed, NURSE)) == {Duty.CLINICAL_STAFF}
    assert access.duties_of(_row(staffed, PHYSICIAN)) == {Duty.PRACTITIONER}
    assert access.duties_of(_row(staffed, BILLER)) == {Duty.BILLING}  # office: no clinical
    assert access.duties_of(_row(staffed, ADMIN)) == {Duty.ADMIN}
    row = Clinician(name="x", credential="RN", role=Role.CLINICAL_STAFF,
                    duties="admin,billing,practitioner,bogus,")
    # A stored clinical duty or an unknown word grants nothing: the role decides those.
    assert access.duties_of(row) == {Duty.CLINICAL_STAFF, Duty.ADMIN, Duty.BILLING}


def test_named_is_unproven_and_the_default_clinician_without_a_name(clinic) -> None:
    who = access.named(clinic, None)
    assert (who.name, who.role, who.attested, who.signed_in) == (
        NURSE, Role.CLINICAL_STAFF, None, False)
    assert access.named(clinic, str(_row(clinic, PHYSICIAN).id)).name == PHYSICIAN


# --- require(): the table's refusals --------------------------------------------------------

def test_a_nurse_can_neither_approve_nor_export(clinic) -> None:
    nurse = access.named(clinic, NURSE)
    for action, words in ((Action.APPROVE, "approve a month for billing: only practitioners"),
                          (Action.EXPORT, "export billing files: only practitioners or the "
                                          "billing office")):
        with pytest.raises(Refused, match=f"Avery Nurse \\(clinical staff\\) may not {words}"):
            access.require(nurse, action)
    access.require(nurse, Action.TIME)  # their own work, no password


def test_the_billing_office_exports_but_never_approves(staffed) -> None:
    biller = signer(staffed, BILLER, Action.EXPORT)
    access.require(biller, Action.EXPORT)
    with pytest.raises(Refused, match=r"Sam Biller \(billing office\) may not approve"):
        access.require(biller, Action.APPROVE)
    with pytest.raises(Refused, match="may not time their work"):
        access.require(biller, Action.TIME)


def test_an_attested_action_needs_the_password_for_that_action(clinic) -> None:
    doctor = access.named(clinic, PHYSICIAN)
    with pytest.raises(Refused, match="must give their password at that moment; on the "
                                      "command line pass --as NAME"):
        access.require(doctor, Action.APPROVE)
    signed_in = credentials.verify(clinic, PHYSICIAN, PASSWORD)  # a sign-in is not enough
    with pytest.raises(Refused, match="at that moment"):
        access.require(signed_in, Action.APPROVE)
    exporting = signer(clinic, PHYSICIAN, Action.EXPORT)  # nor one given for another action
    with pytest.raises(Refused, match="at that moment"):
        access.require(exporting, Action.APPROVE)
    access.require(signer(clinic, PHYSICIAN, Action.APPROVE), Action.APPROVE)


def test_a_practitioner_approves_only_their_own_patients(staffed) -> None:
    set_billing_practitioner(staffed, "T1001", PHYSICIAN)
    other = signer(staffed, OTHER_DOC, Action.APPROVE)
    with staffed.read() as s:
        with pytest.raises(Refused, match="Dr Nia Other is not the billing practitioner of "
                                          "patient T1001; Dr Blake Test approves"):
            access.require(other, Action.APPROVE, s, _patient_id(staffed, "T1001"))
        access.require(signer(staffed, PHYSICIAN, Action.APPROVE), Action.APPROVE, s,
                       _patient_id(staffed, "T1001"))
        access.require(other, Action.APPROVE, s, _patient_id(staffed, "T1002"))  # none named


def test_administrators_manage_people_and_others_do_not(staffed) -> None:
    admin = credentials.verify(staffed, ADMIN, PASSWORD)
    for action in (Action.PEOPLE, Action.SETTINGS, Action.AUDIT):
        access.require(admin, action)
    with pytest.raises(Refused, match=r"Robin Admin \(administrator\) may not approve"):
        access.require(admin, Action.APPROVE)
    for name in (NURSE, PHYSICIAN, BILLER):
        with pytest.raises(Refused, match="only administrators may"):
            access.require(access.named(staffed, name), Action.PEOPLE)


# --- set-up, then an administrator ----------------------------------------------------------

def test_until_an_administrator_can_prove_it_people_are_open(clinic) -> None:
    # Setting up: anyone, or nobody named, manages people.
    clinicians.add(clinic, name=ADMIN, credential="Office", role="office")
    assert access.grant(clinic, ADMIN, "admin", True, None) == {Duty.ADMIN}
    # An administrator without a password yet proves nothing: still open.
    clinicians.add(clinic, name=BILLER, credential="CPC", role="office")
    credentials.set_secret(clinic, ADMIN, PASSWORD)
    # ...and now closed: nobody named, a named but unproven admin, a nurse signed in.
    before = [e.seq for e in _events(clinic, "clinician.add")]
    with pytest.raises(Refused, match="Only an administrator may manage people and "
                                      "credentials: pass --as"):
        clinicians.add(clinic, name="Casey Aide", credential="MA", role="clinical_staff")
    with pytest.raises(Refused, match="Robin Admin must give their password"):
        access.grant(clinic, BILLER, "billing", True, access.named(clinic, ADMIN))
    with pytest.raises(Refused, match="only administrators may"):
        access.grant(clinic, BILLER, "billing", True, credentials.verify(clinic, NURSE,
                                                                         PASSWORD))
    assert [e.seq for e in _events(clinic, "clinician.add")] == before
    assert access.duties_of(_row(clinic, BILLER)) == frozenset()
    admin = credentials.verify(clinic, ADMIN, PASSWORD)
    assert access.grant(clinic, BILLER, "billing", True, admin) == {Duty.BILLING}
    [event] = _events(clinic, "clinician.duties")[-1:]
    assert (event.actor, json.loads(event.after or "{}")) == (ADMIN, {"duties": ["billing"]})
    clinicians.add(clinic, name="Casey Aide", credential="MA", role="clinical_staff", by=admin)


def test_a_grant_of_an_unknown_duty_is_one_sentence(clinic) -> None:
    with pytest.raises(UserError, match="The duty must be billing or admin, not 'practitioner'"):
        access.grant(clinic, NURSE, "practitioner", True, None)


def test_the_last_administrator_cannot_give_up_the_duty(staffed) -> None:
    admin = credentials.verify(staffed, ADMIN, PASSWORD)
    with pytest.raises(UserError, match="Robin Admin is the clinic's only administrator; "
                                        "grant the duty to someone else first"):
        access.grant(staffed, ADMIN, "admin", False, admin)
    assert Duty.ADMIN in access.duties_of(_row(staffed, ADMIN))
    access.grant(staffed, PHYSICIAN, "admin", True, admin)
    access.grant(staffed, ADMIN, "admin", False, admin)  # someone else holds it now
    assert access.duties_of(_row(staffed, ADMIN)) == frozenset()


def test_the_last_administrator_with_a_password_cannot_leave_the_clinic_open(staffed) -> None:
    # Another administrator who has no password yet proves nothing: giving up the duty would
    # open people and settings to anyone until they set one.
    admin = credentials.verify(staffed, ADMIN, PASSWORD)
    clinicians.add(staffed, name="Kim Newadmin", credential="Office", role="office",
                   duties=("admin",), by=admin)
    with pytest.raises(UserError, match="only administrator with a password"):
        access.grant(staffed, ADMIN, "admin", False, admin)
    with staffed.read() as s:
        assert access.has_admin(s)
    credentials.set_secret(staffed, "Kim Newadmin", "Kims-own-pass-1", admin=admin)
    access.grant(staffed, ADMIN, "admin", False, admin)
    with staffed.read() as s:
        assert access.has_admin(s)


# --- the tray's signed-in person ------------------------------------------------------------

def test_tray_person_is_the_signed_in_person_of_a_live_tray(clinic) -> None:
    assert access.tray_person(clinic) is None  # no tray ever ran
    doctor = credentials.verify(clinic, PHYSICIAN, PASSWORD)
    access.remember_signed_in(clinic, doctor)  # this process plays the tray
    path = clinic.paths.data / paths.SIGNED_IN
    assert access.tray_person(clinic) == str(doctor.id)
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert PASSWORD not in path.read_text(encoding="utf-8")
    access.remember_signed_in(clinic, None)  # signed out
    assert not path.exists() and access.tray_person(clinic) is None


def test_a_dead_tray_s_file_is_stale(clinic) -> None:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    dead = int(done.stdout)  # that process has exited and been reaped
    path = clinic.paths.data / paths.SIGNED_IN
    path.write_text(json.dumps({"id": str(_row(clinic, PHYSICIAN).id), "pid": dead}),
                    encoding="utf-8")
    assert access.tray_person(clinic) is None
    path.write_text(json.dumps({"id": str(_row(clinic, PHYSICIAN).id), "pid": os.getpid()}),
                    encoding="utf-8")
    assert access.tray_person(clinic) == str(_row(clinic, PHYSICIAN).id)
    for broken in ("", "{", '{"id": "x"}', '{"id": "x", "pid": "nope"}', "[]"):
        path.write_text(broken, encoding="utf-8")
        assert access.tray_person(clinic) is None, broken


def test_the_default_clinician_is_an_administrator_s_setting(staffed) -> None:
    # Timing as the default clinician asks for no password: changing who it is must.
    with pytest.raises(Refused, match="Only an administrator may change targets and settings"):
        clinicians.set_default(staffed, PHYSICIAN)
    with pytest.raises(Refused, match="only administrators may"):
        clinicians.set_default(staffed, PHYSICIAN, credentials.verify(staffed, NURSE,
                                                                      PASSWORD))
    assert access.timing_here(staffed).name == NURSE
    clinicians.set_default(staffed, NURSE)  # unchanged: the tray's settings save it as is
    admin = credentials.verify(staffed, ADMIN, PASSWORD)
    assert clinicians.set_default(staffed, PHYSICIAN, admin).is_default
    assert access.timing_here(staffed).name == PHYSICIAN
    with staffed.read() as s:  # who changed it, from whom to whom; the refusals left none
        changed = [e for e in s.exec(select(AuditEvent)) if e.action == "clinician.default"]
    first, event = changed  # the clinic's first clinician (clinicians.add), then the change
    assert (event.actor, json.loads(event.before), json.loads(event.after)) == (
        ADMIN, {"default_clinician": str(access.named(staffed, NURSE).id)},
        {"default_clinician": str(access.named(staffed, PHYSICIAN).id)})


def test_timer_of_the_person_here_or_none_for_someone_else(staffed) -> None:
    assert access.timer_of(staffed, None).name == NURSE
    assert access.timer_of(staffed, NURSE).name == NURSE
    assert access.timer_of(staffed, PHYSICIAN) is None  # their password, then
    with pytest.raises(Refused, match="Sam Biller has no clinical role and cannot time"):
        access.timer_of(staffed, BILLER)
    access.remember_signed_in(staffed, credentials.verify(staffed, PHYSICIAN, PASSWORD))
    assert access.timer_of(staffed, None).name == PHYSICIAN
    assert access.timer_of(staffed, NURSE) is None
    access.remember_signed_in(staffed, credentials.verify(staffed, BILLER, PASSWORD))
    with pytest.raises(Refused, match="Sam Biller has no clinical role"):
        access.timer_of(staffed, None)
