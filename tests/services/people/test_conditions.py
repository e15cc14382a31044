"""A patient's conditions: ICD-10-CM codes checked against the real code set, with their
descriptions, since-dates and whether each counts as chronic; removal keeps history; every
change audited."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlmodel import select

from ccm_timer.core.access import Action
from ccm_timer.errors import NotFound, UserError
from ccm_timer.services.people import access, clinicians, conditions, patients
from ccm_timer.services.people.access import Refused
from ccm_timer.services.people.chronic_list import FILE_NAME
from ccm_timer.services.security import audit
from ccm_timer.store.models import AuditEvent, Condition
from tests.fixtures.clinic import NURSE, PHYSICIAN, remover, signer


def _events(ctx, action: str) -> list[AuditEvent]:
    with ctx.read() as s:
        pid = patients.find(s, "T1002").id
        return [e for e in audit.history(s, pid) if e.action == action]


def _rows(ctx) -> list[tuple]:
    with ctx.read() as s:
        return sorted((c.code, c.removed_at is None) for c in s.exec(select(Condition)))


def test_add_checks_the_code_and_keeps_its_description(clinic) -> None:
    view = conditions.add(clinic, "T1002", " e119 ", date(2019, 4, 1))
    assert (view.code, view.description, view.since) == (
        "E11.9", "Type 2 diabetes mellitus without complications", date(2019, 4, 1))
    assert (view.chronic, view.category) == (True, "Diabetes")
    assert view.to_dict() == {"code": "E11.9",
                              "description": "Type 2 diabetes mellitus without complications",
                              "since": "2019-04-01", "chronic": True,
                              "chronic_category": "Diabetes"}
    acute = conditions.add(clinic, "T1002", "J06.9")  # an acute infection: on file, not chronic
    assert (acute.chronic, acute.category, acute.since) == (False, None, None)
    assert [c.code for c in conditions.list_for(clinic, "T1002")] == ["E11.9", "J06.9"]
    [first, second] = _events(clinic, "condition.add")
    assert json.loads(first.after) == {"condition": str(view.id), "code": "E11.9",
                                       "since": "2019-04-01"}
    assert json.loads(second.after)["code"] == "J06.9"
    assert first.actor == "admin"


@pytest.mark.parametrize("typed, says", [
    ("E99.999X", "E99.999X is not in the ICD-10-CM code set"),
    ("diabetes", "'diabetes' is not an ICD-10-CM code"),
    ("E11", "E11 is a category, not a billable code; use one of its codes such as E11.00"),
    ("", "is not an ICD-10-CM code"),
])
def test_a_bad_code_is_one_sentence_and_nothing_is_written(clinic, typed, says) -> None:
    before = _rows(clinic)
    with pytest.raises(UserError) as info:
        conditions.add(clinic, "T1002", typed)
    message = str(info.value)
    assert says in message and "nothing was written" in message
    assert message.endswith(".") and "\n" not in message
    assert _rows(clinic) == before and not _events(clinic, "condition.add")


def test_duplicate_and_future_since_refused(clinic) -> None:
    conditions.add(clinic, "T1002", "I10")
    with pytest.raises(UserError, match="I10 is already on T1002's problem list"):
        conditions.add(clinic, "T1002", "i10")
    today = clinic.now().astimezone(clinic.zone).date()  # 3 November 2026
    with pytest.raises(UserError, match="since-date 2026-11-04 is in the future"):
        conditions.add(clinic, "T1002", "E78.5", date(2026, 11, 4))
    assert conditions.add(clinic, "T1002", "E78.5", today).since == today
    assert len(_events(clinic, "condition.add")) == 2
    with pytest.raises(NotFound, match="No patient has MRN 'NOPE'"):
        conditions.add(clinic, "NOPE", "I10")


def test_removal_is_attested_by_a_clinician(clinic) -> None:
    conditions.add(clinic, "T1002", "J06.9")
    clinicians.add(clinic, name="Morgan Billing", credential="CPC", role="office",
                   duties=("billing",))
    for who, words in ((access.named(clinic, NURSE), "must give their password"),
                       (signer(clinic, PHYSICIAN, Action.CORRECT_ENTRY),
                        "must give their password"),
                       (access.named(clinic, "Morgan Billing"), "may not remove a condition")):
        with pytest.raises(Refused, match=words):
            conditions.remove(clinic, "T1002", "J06.9", "resolved", by=who)
    assert [c.code for c in conditions.list_for(clinic, "T1002")] == ["J06.9"]
    assert not _events(clinic, "condition.remove")
    conditions.remove(clinic, "T1002", "J06.9", "resolved",
                      by=signer(clinic, PHYSICIAN, Action.REMOVE_CONDITION))
    [event] = _events(clinic, "condition.remove")
    assert event.actor == PHYSICIAN


def test_removal_needs_a_reason_and_keeps_history(clinic, clock) -> None:
    from datetime import timedelta

    nurse = remover(clinic)
    conditions.add(clinic, "T1002", "E11.9", date(2019, 4, 1))
    conditions.add(clinic, "T1002", "J06.9")
    for reason in ("", "   "):
        with pytest.raises(UserError, match="Give a reason for removing the condition"):
            conditions.remove(clinic, "T1002", "J06.9", reason, by=nurse)
    with pytest.raises(UserError, match="the reason"):
        conditions.remove(clinic, "T1002", "J06.9", "x" * 501, by=nurse)
    with pytest.raises(NotFound, match="I10 is not on T1002's problem list"):
        conditions.remove(clinic, "T1002", "I10", "resolved", by=nurse)
    assert not _events(clinic, "condition.remove")
    clock.advance(timedelta(hours=2))
    gone = conditions.remove(clinic, "T1002", "j069", " resolved ", by=nurse)
    assert (gone.code, gone.removed_by, gone.removal_reason) == ("J06.9", NURSE, "resolved")
    assert gone.removed_at == clinic.now()
    assert [c.code for c in conditions.list_for(clinic, "T1002")] == ["E11.9"]
    history = conditions.list_for(clinic, "T1002", history=True)
    assert [(c.code, c.removal_reason) for c in history] == [("E11.9", None),
                                                            ("J06.9", "resolved")]
    removed = history[1].history_dict()
    assert (removed["removed_by"], removed["removal_reason"]) == (NURSE, "resolved")
    assert removed["removed_at"] == clinic.now().isoformat()
    assert removed["added_at"] < removed["removed_at"]
    [event] = _events(clinic, "condition.remove")
    assert json.loads(event.before) == {"condition": str(gone.id), "code": "J06.9"}
    assert json.loads(event.after) == {"condition": str(gone.id), "reason": "resolved"}
    # removed, it may be added again, and a second removal is its own history row
    conditions.add(clinic, "T1002", "J06.9")
    assert [c.code for c in conditions.list_for(clinic, "T1002", history=True)] == [
        "E11.9", "J06.9", "J06.9"]
    assert audit.check(clinic).ok


def test_chronic_from_the_shipped_list_and_the_clinic_override(clinic) -> None:
    for code in ("E11.9", "I10", "J44.9", "F32.A", "M54.50"):
        conditions.add(clinic, "T1002", code)
    shipped = {c.code: c.chronic for c in conditions.list_for(clinic, "T1002")}
    assert shipped == {"E11.9": True, "I10": True, "J44.9": True, "F32.A": True,
                       "M54.50": False}
    # The clinic counts low back pain as chronic and hypertension not (its own judgement).
    (clinic.paths.settings_dir / FILE_NAME).write_text(
        'schema = 1\nnot_chronic = ["I10"]\n\n[[category]]\nname = "Chronic back pain"\n'
        'codes = ["M54.5"]\n', encoding="utf-8")
    overridden = {c.code: (c.chronic, c.category)
                  for c in conditions.list_for(clinic, "T1002")}
    assert overridden["M54.50"] == (True, "Chronic back pain")
    assert overridden["I10"] == (False, None)
    assert overridden["E11.9"] == (True, "Diabetes")


def test_a_broken_override_file_is_one_sentence(clinic) -> None:
    conditions.add(clinic, "T1002", "I10")
    (clinic.paths.settings_dir / FILE_NAME).write_text("schema = [", encoding="utf-8")
    with pytest.raises(UserError, match="is not valid TOML"):
        conditions.list_for(clinic, "T1002")


def test_a_code_recorded_on_two_workstations_is_listed_and_removed_once(clinic) -> None:
    """A bundle from another workstation brings its own row of a code this one has too
    (merge_guard keeps both, by id): the list shows the code once, and removing it removes
    every current row of it, so it never lingers on the problem list."""
    conditions.add(clinic, "T1002", "E11.9", date(2019, 4, 1))
    with clinic.write() as s:  # the other workstation's copy, as a bundle import writes it
        pid = patients.find(s, "T1002").id
        s.add(Condition(patient_id=pid, code="E11.9", description="Type 2 diabetes mellitus "
                        "without complications", since=date(2019, 4, 1),
                        added_at=clinic.now(), added_by="ws-other"))
    assert [c.code for c in conditions.list_for(clinic, "T1002")] == ["E11.9"]
    conditions.remove(clinic, "T1002", "E11.9", "entered in error", by=remover(clinic))
    assert conditions.list_for(clinic, "T1002") == []
    with clinic.read() as s:
        rows = s.exec(select(Condition).where(Condition.patient_id == pid)).all()
    assert len(rows) == 2 and all(r.removal_reason == "entered in error" for r in rows)
    assert len(_events(clinic, "condition.remove")) == 2
