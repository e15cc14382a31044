"""The care plan service: items dated and attributed, problems linked to conditions on the
list, reviews with reviewer and time, every change audited, bad input refused whole."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlmodel import select

from ccm_timer.errors import NotFound, UserError
from ccm_timer.services.people import care_plan, conditions
from ccm_timer.services.security import audit
from ccm_timer.store.models import AuditEvent, CarePlanItem, CarePlanReview
from tests.fixtures.clinic import NURSE, PHYSICIAN, T0, remover


def _events(ctx, prefix="care_plan.") -> list[AuditEvent]:
    with ctx.read() as session:
        return [e for e in session.exec(select(AuditEvent).order_by(AuditEvent.seq))
                if e.action.startswith(prefix)]


def _rows(ctx) -> tuple[int, int]:
    with ctx.read() as session:
        return (len(list(session.exec(select(CarePlanItem)))),
                len(list(session.exec(select(CarePlanReview)))))


def test_items_are_dated_attributed_grouped_and_audited(clinic, clock):
    problem = care_plan.add(clinic, "T1001", "problem", "  Type 2 diabetes  ",
                            condition="e11.9", actor=PHYSICIAN)
    clock.advance(timedelta(minutes=5))
    intervention = care_plan.add(clinic, "T1001", "Intervention", "Weekly call")
    goal = care_plan.add(clinic, "T1001", "goal", "A1c below 8%", condition="E11.9",
                         actor=PHYSICIAN)
    assert (problem.text, problem.condition_code, problem.created_by) == (
        "Type 2 diabetes", "E11.9", PHYSICIAN)
    assert problem.created_at == T0 and intervention.created_by == NURSE
    plan = care_plan.show(clinic, "T1001")
    assert [i.kind for i in plan.items] == ["problem", "goal", "intervention"]
    assert plan.of_kind("goal") == (goal,)
    assert (plan.reviewed_at, plan.reviewed_by, plan.substantial) == (None, None, False)
    assert plan.to_dict()["items"][0] == {
        "id": str(problem.id), "kind": "problem", "text": "Type 2 diabetes",
        "condition": "E11.9", "created_at": T0.isoformat(), "created_by": PHYSICIAN}
    events = _events(clinic)
    assert [e.action for e in events] == ["care_plan.add"] * 3
    assert [e.actor for e in events] == [PHYSICIAN, NURSE, PHYSICIAN]
    first = json.loads(events[0].after)
    assert first["item"] == str(problem.id) and first["condition"] == "E11.9"
    assert first["by_role"] == "practitioner" and first["establishes"] is True
    assert json.loads(events[1].after)["establishes"] is False
    with clinic.read() as session:
        assert audit.verify(session).ok


def test_a_problem_may_stand_without_a_condition(clinic):
    item = care_plan.add(clinic, "T1001", "problem", "Lives alone, no transport",
                         actor=PHYSICIAN)
    assert item.condition_code is None


def test_clinical_staff_establishing_the_plan_is_cautioned_not_refused(clinic):
    first = care_plan.add(clinic, "T1002", "problem", "Heart failure")  # the nurse
    assert first.notice is not None and "Noridian" in first.notice
    assert "--as" in first.notice and NURSE in first.notice
    assert care_plan.add(clinic, "T1002", "goal", "Weigh daily").notice is None  # revising
    by_doctor = care_plan.add(clinic, "T1003", "problem", "x", actor=PHYSICIAN)
    assert by_doctor.notice is None


def test_a_review_records_who_when_and_how_much(clinic, clock):
    care_plan.add(clinic, "T1001", "problem", "Diabetes", actor=PHYSICIAN)
    clock.advance(timedelta(days=2))
    plan = care_plan.review(clinic, "T1001", as_name=PHYSICIAN, substantial=True)
    assert (plan.reviewed_at, plan.reviewed_by, plan.substantial) == (
        T0 + timedelta(days=2), PHYSICIAN, True)
    with clinic.read() as session:
        [row] = session.exec(select(CarePlanReview))
        assert row.reviewer_id == plan.reviewer_id and row.reviewer_id is not None
    clock.advance(timedelta(days=1))
    again = care_plan.review(clinic, "T1001")  # the default clinician, a plain review
    assert (again.reviewed_by, again.substantial) == (NURSE, False)
    assert care_plan.show(clinic, "T1001") == again
    [_, review, plain] = _events(clinic)
    assert review.action == "care_plan.review" and review.actor == PHYSICIAN
    assert json.loads(review.after)["substantial"] is True
    assert json.loads(plain.after)["substantial"] is False


def test_ending_keeps_the_item_in_the_history(clinic, clock):
    goal = care_plan.add(clinic, "T1001", "goal", "A1c below 8%", actor=PHYSICIAN)
    clock.advance(timedelta(hours=1))
    ended = care_plan.end(clinic, str(goal.id)[:13], "Goal met", actor=PHYSICIAN)
    assert (ended.ended_at, ended.ended_by, ended.end_reason) == (
        T0 + timedelta(hours=1), PHYSICIAN, "Goal met")
    assert care_plan.show(clinic, "T1001").items == ()
    assert [h.id for h in care_plan.history(clinic, "T1001")] == [goal.id]
    with pytest.raises(UserError, match="already ended on 2026-11-03 by Dr Blake Test"):  # by UUID
        care_plan.end(clinic, goal.id, "again")
    event = _events(clinic)[-1]
    assert event.action == "care_plan.end" and json.loads(event.after)["reason"] == "Goal met"


def test_a_condition_must_be_on_the_list(clinic):
    with pytest.raises(UserError, match="J45.909 is not on T1001's condition list; add it "
                       "first with `ccm-timer patient condition add --mrn T1001 --icd10 "
                       "J45.909`"):
        care_plan.add(clinic, "T1001", "problem", "Asthma", condition="j45909")
    conditions.remove(clinic, "T1001", "I10", "entered in error", by=remover(clinic))
    with pytest.raises(UserError, match="I10 is not on T1001's condition list"):
        care_plan.add(clinic, "T1001", "goal", "BP below 140/90", condition="I10")
    assert _rows(clinic) == (0, 0) and _events(clinic) == []


@pytest.mark.parametrize(("call", "error", "words"), [
    (lambda c: care_plan.add(c, "T1001", "task", "x"), UserError,
     "must be problem, goal or intervention"),
    (lambda c: care_plan.add(c, "T1001", "goal", "a\x07b"), UserError, "control character"),
    (lambda c: care_plan.add(c, "T1001", "goal", "a\u202eb"), UserError, "text-direction"),
    (lambda c: care_plan.add(c, "T1001", "goal", ""), UserError, "goal text is empty"),
    (lambda c: care_plan.add(c, "T1001", "goal", "x" * 1001), UserError, "longer than 1,000"),
    (lambda c: care_plan.add(c, "T1001", "goal", "x", condition="sugar"), UserError,
     "not an ICD-10-CM code"),
    (lambda c: care_plan.add(c, "T9999", "goal", "x"), NotFound, "No patient has MRN"),
    (lambda c: care_plan.add(c, "T1001", "goal", "x", actor="Nobody"), NotFound,
     "no clinician 'Nobody'"),
    (lambda c: care_plan.review(c, "T1001"), UserError, "no care plan to review"),
    (lambda c: care_plan.end(c, "abc", "x"), UserError, "not a care-plan item id"),
    (lambda c: care_plan.end(c, "0123456789", "x"), NotFound, "no care-plan item"),
])
def test_bad_input_is_one_sentence_and_writes_nothing(clinic, call, error, words):
    with pytest.raises(error) as found:
        call(clinic)
    message = str(found.value)
    assert words in message and "\n" not in message and message.endswith((".", ")."))
    assert _rows(clinic) == (0, 0) and _events(clinic) == []


def test_ending_needs_a_reason(clinic):
    goal = care_plan.add(clinic, "T1001", "goal", "x", actor=PHYSICIAN)
    with pytest.raises(UserError, match="reason is empty"):
        care_plan.end(clinic, str(goal.id), "  ")
    assert care_plan.show(clinic, "T1001").items[0].ended_at is None


def test_no_clinician_at_all(ctx):
    from ccm_timer.services.people import patients

    patients.add(ctx, mrn="T1", name="Testpatient, Ada")
    with pytest.raises(UserError, match="No clinician is set"):
        care_plan.add(ctx, "T1", "goal", "x")
