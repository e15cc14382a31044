"""Reads in the audit chain (issue 16 point 6) and the administrators' listing of it."""

from __future__ import annotations

import getpass
import json
from datetime import timedelta

import pytest
from sqlmodel import col, select

from ccm_timer.errors import NotFound, UserError
from ccm_timer.services.people import access, clinicians, patients
from ccm_timer.services.people.access import Refused
from ccm_timer.services.security import audit, audit_view, credentials
from ccm_timer.services.security.audit_reads import Read, record_read
from ccm_timer.services.timing import timers
from ccm_timer.store.models import AuditEvent
from tests.fixtures.clinic import NURSE, PASSWORD, PHYSICIAN, give_passwords

ADMIN = "Casey Admin"
NOTE = "Discussed the new inhaler with her daughter"


def _events(ctx) -> list[AuditEvent]:
    with ctx.read() as session:
        return list(session.exec(select(AuditEvent).order_by(col(AuditEvent.seq))))


def _admin(ctx) -> access.Signer:
    clinicians.add(ctx, name=ADMIN, credential="Office", role="office", duties=("admin",))
    give_passwords(ctx, (ADMIN,))
    return credentials.verify(ctx, ADMIN, PASSWORD)


def test_a_read_leaves_one_event_with_the_os_account(clinic) -> None:
    before = len(_events(clinic))
    t1001 = patients.get(clinic, "T1001")
    assert record_read(clinic, NURSE, Read.PATIENT, patient_id=t1001.id, detail="window")
    assert record_read(clinic, NURSE, Read.REPORT, month="2026-11", mrn="t1001")
    new = _events(clinic)[before:]
    assert [e.action for e in new] == ["read.patient", "read.report"]
    assert {e.actor for e in new} == {NURSE} and new[0].entity == "read"
    assert [e.entity_id for e in new] == [str(t1001.id)] * 2  # the MRN resolved, any case
    after = json.loads(new[0].after or "{}")
    assert after == {"os_user": getpass.getuser(), "detail": "window"}
    assert json.loads(new[1].after or "{}")["month"] == "2026-11"
    assert audit.check(clinic).ok  # reads are links of the same chain


def test_a_read_only_database_records_nothing_and_the_read_goes_on(clinic) -> None:
    before = len(_events(clinic))
    clinic.damaged("a page failed its check")  # what a failed integrity check leaves
    assert clinic.read_only is not None
    assert record_read(clinic, NURSE, Read.PATIENT, mrn="T1001") is False
    assert patients.get(clinic, "T1001").mrn == "T1001"  # the read itself is not refused
    assert len(_events(clinic)) == before


def test_the_listing_names_patients_and_never_note_text_nor_the_json(clinic, clock) -> None:
    timers.start(clinic, patient_mrn="T1001", category_slug="phone-call", note=NOTE)
    clock.advance(timedelta(minutes=4))
    timers.stop(clinic)
    record_read(clinic, PHYSICIAN, Read.NOTE_COPY, mrn="T1001")
    rows = audit_view.list_events(clinic, None)  # no administrator yet: open
    by_action = {r.action: r for r in rows}
    assert by_action["timer.start"].mrn == "T1001"  # from the entry's origin id
    assert by_action["patient.add"].mrn in {"T1001", "T1002", "T1003"}
    copied = by_action["read.note_copy"]
    assert (copied.actor, copied.os_user, copied.mrn, copied.what) == (
        PHYSICIAN, getpass.getuser(), "T1001", "copied a note")
    assert by_action["timer.start"].at == "2026-11-03 10:00:00"  # clinic time, New York
    assert rows[-1].action == "read.audit" and rows[-1].actor == NURSE  # the review itself
    text = json.dumps([r.to_dict() for r in rows])
    assert NOTE not in text and PASSWORD not in text and '"before"' not in text
    assert "Discussed" not in " ".join(c for r in rows for c in r.cells())
    assert [r.seq for r in rows] == sorted(r.seq for r in rows)  # oldest first


def test_only_an_administrator_may_list_once_there_is_one(clinic) -> None:
    admin = _admin(clinic)
    nurse = credentials.verify(clinic, NURSE, PASSWORD)
    reads = len([e for e in _events(clinic) if e.action == "read.audit"])
    with pytest.raises(Refused, match="may not review the audit trail"):
        audit_view.list_events(clinic, nurse)
    with pytest.raises(Refused, match="Only an administrator"):
        audit_view.list_events(clinic, None)
    unproven = access.named(clinic, ADMIN)  # named, not signed in
    with pytest.raises(Refused, match="must give their password"):
        audit_view.list_events(clinic, unproven)
    assert len([e for e in _events(clinic) if e.action == "read.audit"]) == reads
    rows = audit_view.list_events(clinic, admin, where="audit window")
    assert rows[-1].actor == ADMIN and rows[-1].what == "reviewed the audit trail (audit window)"


def test_a_month_is_the_clinic_time_month(clinic, clock) -> None:
    # 23:30 on 30 November in New York is December in UTC: it belongs to November.
    clock.advance(timedelta(days=27, hours=13, minutes=30))  # 2026-12-01 04:30 UTC
    record_read(clinic, NURSE, Read.REPORT, month="2026-11", detail="late")
    clock.advance(timedelta(hours=1))  # 00:30 on 1 December in New York
    record_read(clinic, NURSE, Read.REPORT, month="2026-12", detail="early")
    november = audit_view.list_events(clinic, None, month="2026-11")
    december = audit_view.list_events(clinic, None, month="2026-12")
    assert "ran a report (late)" in [r.what for r in november]
    assert "ran a report (early)" not in [r.what for r in november]
    assert [r.what for r in december][:1] == ["ran a report (early)"]
    assert all(r.at.startswith("2026-11") for r in november)
    assert audit_view.list_events(clinic, None, month="2026-10") == []
    assert december[-1].action == "read.audit"  # the review is December's too


def test_filters_by_person_and_patient(clinic) -> None:
    record_read(clinic, PHYSICIAN, Read.PATIENT, mrn="T1002")
    mine = audit_view.list_events(clinic, None, person="dr blake test")
    assert {r.actor for r in mine} == {PHYSICIAN}
    about = audit_view.list_events(clinic, None, mrn="t1002")
    assert about and {r.mrn for r in about} == {"T1002"}
    with pytest.raises(NotFound, match="No patient has MRN 'T9999'"):
        audit_view.list_events(clinic, None, mrn="T9999")
    with pytest.raises(UserError, match="YYYY-MM"):
        audit_view.list_events(clinic, None, month="November")


def test_locked_sign_ins_are_listed(clinic, clock) -> None:
    for _ in range(5):
        with pytest.raises(Refused):
            credentials.verify(clinic, NURSE, "not-the-password")
        clock.advance(timedelta(seconds=20))
    (locked,) = audit_view.locked_sign_ins(clinic)
    assert locked.name == NURSE and locked.until > clock.now()
    rows = audit_view.list_events(clinic, None)
    assert "sign-in locked" in [r.what for r in rows]
    assert "wrong password (5 in a row)" in [r.what for r in rows]
    assert audit.check(clinic).ok


def test_a_clock_set_back_across_the_month_edge_keeps_each_event_in_its_month(clinic,
                                                                                clock) -> None:
    # The month is found in chain order; a clock put back by hours (a wrong time zone set
    # and corrected) writes an earlier time after a later one, and both stay where they are.
    clock.advance(timedelta(days=27, hours=15))  # 2026-12-01 06:00 UTC, 01:00 in New York
    record_read(clinic, NURSE, Read.REPORT, detail="december")
    clock.jump(timedelta(hours=-2))  # 23:00 on 30 November in New York
    record_read(clinic, NURSE, Read.REPORT, detail="november, written later")
    november = [r.what for r in audit_view.list_events(clinic, None, month="2026-11")]
    december = [r.what for r in audit_view.list_events(clinic, None, month="2026-12")]
    assert "ran a report (november, written later)" in november
    assert "ran a report (december)" not in november
    assert "ran a report (december)" in december
    assert "ran a report (november, written later)" not in december
