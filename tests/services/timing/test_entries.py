from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from ccm_timer.core.access import Action
from ccm_timer.errors import UserError
from ccm_timer.services.people import access, clinicians
from ccm_timer.services.people.access import Refused
from ccm_timer.services.timing import entries, timers
from tests.fixtures.clinic import (
    NURSE,
    PHYSICIAN,
    corrector,
    give_passwords,
    set_billing_practitioner,
    signer,
)

START = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)


def _add(ctx, minutes=20, start=START, **kw):
    kw.setdefault("patient_mrn", "T1001")
    kw.setdefault("category_slug", "care-plan")
    return entries.add_manual(ctx, start=start, end=start + timedelta(minutes=minutes), **kw)


def test_manual_entry(clinic):
    view = _add(clinic, note="Reviewed plan")
    assert (view.source, view.seconds, view.version, view.program) == ("manual", 1200, 1, "CCM")


def test_overlap_refused_naming_the_other_entry(clinic):
    first = _add(clinic)
    with pytest.raises(UserError, match=str(first.id)[:13]):
        _add(clinic, start=START + timedelta(minutes=10))
    # Back to back is fine, and another clinician may overlap.
    _add(clinic, start=START + timedelta(minutes=20))
    _add(clinic, start=START + timedelta(minutes=5), clinician="Dr Blake Test")


def test_overlap_with_a_running_timer_refused(clinic, clock):
    timers.start(clinic, patient_mrn="T1001", category_slug="phone-call")
    clock.advance(600)
    with pytest.raises(UserError, match="still running"):
        _add(clinic, minutes=5, start=clock.now() - timedelta(minutes=7))


@pytest.mark.parametrize(
    "minutes, start, words",
    [(0, START, "not after"), (-5, START, "not after"),
     (10, datetime(2030, 1, 1, tzinfo=UTC), "future")],
)
def test_bad_times(clinic, minutes, start, words):
    with pytest.raises(UserError, match=words):
        _add(clinic, minutes=minutes, start=start)


def test_edit_writes_a_new_version_and_keeps_the_original(clinic):
    first = _add(clinic, note="first")
    with pytest.raises(UserError, match="reason"):
        entries.edit(clinic, str(first.id), reason=" ", note="x", by=corrector(clinic))
    edited = entries.edit(clinic, str(first.id)[:13], reason="typo", note="second",
                          end=START + timedelta(minutes=15), by=corrector(clinic))
    assert (edited.version, edited.note, edited.seconds) == (2, "second", 900)
    assert edited.supersedes_id == first.id and edited.origin_id == first.id
    history = entries.history(clinic, str(first.id))
    assert [(v.version, v.note, v.seconds, v.superseded) for v in history] == [
        (1, "first", 1200, True), (2, "second", 900, False)]
    assert [v.id for v in entries.list_entries(clinic)] == [edited.id]
    # The old version is evidence: the database itself refuses to change it.
    with pytest.raises(Exception, match="superseded"):
        with clinic.write() as s:
            s.exec(text("UPDATE time_entry SET note = 'forged' WHERE id = :id"),
                   params={"id": first.id.hex})


def test_edit_may_not_create_an_overlap(clinic):
    a = _add(clinic)
    _add(clinic, start=START + timedelta(minutes=30))
    with pytest.raises(UserError, match="overlaps"):
        entries.edit(clinic, str(a.id), reason="longer", end=START + timedelta(minutes=40),
                     by=corrector(clinic))
    # Editing an entry against its own earlier version is not an overlap.
    assert entries.edit(clinic, str(a.id), reason="shorter",
                        end=START + timedelta(minutes=10), by=corrector(clinic)).seconds == 600


def test_void_needs_a_reason_and_keeps_the_entry(clinic):
    a = _add(clinic)
    voided = entries.void(clinic, str(a.id), reason="wrong patient", by=corrector(clinic))
    assert voided.voided and voided.void_reason == "wrong patient" and voided.version == 2
    assert entries.list_entries(clinic) == []
    assert [v.voided for v in entries.list_entries(clinic, include_voided=True)] == [True]
    with pytest.raises(UserError, match="already voided"):
        entries.void(clinic, str(a.id), reason="again", by=corrector(clinic))


def test_month_filter_uses_clinic_zone(clinic, clock):
    clock.advance(timedelta(days=40))
    # 2026-11-30 23:30 in New York is already December in UTC.
    late = datetime(2026, 12, 1, 4, 30, tzinfo=UTC)
    _add(clinic, minutes=40, start=late)
    assert len(entries.list_entries(clinic, month="2026-11")) == 1
    assert len(entries.list_entries(clinic, month="2026-12")) == 1  # crosses midnight
    assert entries.list_entries(clinic, month="2026-10") == []


def test_unknown_entry(clinic):
    with pytest.raises(UserError, match="no entry"):
        entries.void(clinic, "0123456789", reason="x", by=corrector(clinic))


def _versions(ctx, entry) -> list[int]:
    return [v.version for v in entries.history(ctx, str(entry.id))]


def test_a_correction_is_attested_by_the_entrys_own_clinician(clinic):
    mine = _add(clinic)
    for who in (access.named(clinic, NURSE), signer(clinic, NURSE, Action.REMOVE_CONDITION)):
        with pytest.raises(Refused, match="must give their password at that moment"):
            entries.edit(clinic, str(mine.id), reason="typo", note="x", by=who)
        with pytest.raises(Refused, match="must give their password at that moment"):
            entries.void(clinic, str(mine.id), reason="duplicate", by=who)
    assert _versions(clinic, mine) == [1]


def test_a_nurse_may_not_correct_a_colleagues_entry(clinic):
    clinicians.add(clinic, name="Casey Aide", credential="MA", role="clinical_staff")
    give_passwords(clinic, ("Casey Aide",))
    theirs = _add(clinic, clinician="Casey Aide")
    nurse = corrector(clinic)
    with pytest.raises(Refused, match="Avery Nurse may correct only their own entries; this "
                                      "one is Casey Aide's"):
        entries.edit(clinic, str(theirs.id), reason="typo", note="x", by=nurse)
    with pytest.raises(Refused, match="only their own entries"):
        entries.void(clinic, str(theirs.id), reason="duplicate", by=nurse)
    # Nor hand her own time to a colleague: it would be time logged as someone else.
    mine = _add(clinic, start=START + timedelta(hours=1))
    with pytest.raises(Refused, match="this one would be Casey Aide's"):
        entries.edit(clinic, str(mine.id), reason="was hers", clinician="Casey Aide", by=nurse)
    assert _versions(clinic, theirs) == [1] and _versions(clinic, mine) == [1]
    aide = signer(clinic, "Casey Aide", Action.CORRECT_ENTRY)
    assert entries.edit(clinic, str(theirs.id), reason="typo", note="x", by=aide).version == 2


def test_the_billing_practitioner_corrects_entries_on_their_patients(clinic):
    nurses = _add(clinic)  # on T1001
    doctor = corrector(clinic, PHYSICIAN)
    with pytest.raises(Refused, match="Dr Blake Test may correct only their own entries, or "
                                      "those on patients they are the billing practitioner "
                                      "of; this one is Avery Nurse's"):
        entries.void(clinic, str(nurses.id), reason="duplicate", by=doctor)
    set_billing_practitioner(clinic, "T1001", PHYSICIAN)
    # Nor by moving it to a patient he is not the billing practitioner of (T1002).
    with pytest.raises(Refused, match="this one would be Avery Nurse's"):
        entries.edit(clinic, str(nurses.id), reason="wrong patient", patient_mrn="T1002",
                     by=doctor)
    edited = entries.edit(clinic, str(nurses.id), reason="typo", note="fixed", by=doctor)
    assert (edited.version, edited.clinician) == (2, NURSE)
    [event] = [e for e in _audit(clinic) if e.action == "entry.edit"]
    assert event.actor == PHYSICIAN


def _audit(ctx):
    from sqlmodel import select

    from ccm_timer.store.models import AuditEvent

    with ctx.read() as session:
        return list(session.exec(select(AuditEvent)))
