"""The care plan as the month report sees it (services/month/month_record.py): "care plan
revised" for complex CCM derived from the month's changes (and still set by hand), and the
warnings for a plan never reviewed or not reviewed within 12 months."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from ccm_timer.core.clock import ManualClock
from ccm_timer.services.month import month_flags, report
from ccm_timer.services.people import access, care_plan, conditions, patients
from ccm_timer.services.timing import entries
from tests.fixtures.clinic import NURSE, PHYSICIAN, add_people

START = datetime(2025, 10, 1, 14, 0, tzinfo=UTC)  # 10:00 in New York
NOVEMBER = datetime(2025, 11, 3, 15, 0, tzinfo=UTC)
COMPLEX = ["99487", "99489"]  # 90 staff minutes with complex MDM and a revised plan
PLAIN = ["99490", "99439"]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


def to(clock: ManualClock, when: datetime) -> None:
    assert when >= clock.now(), "the clock only moves forward here"
    clock.advance(when - clock.now())


@pytest.fixture
def plan(ctx, clock):
    """T2001 (CCM, complete consent, E11.9 and I10) with a plan the physician established
    and reviewed in October 2025, its ids by kind; the clock on 3 November."""
    add_people(ctx, mrns=())
    patients.add(ctx, mrn="T2001", name="Testpatient, Ada", program="CCM",
                 consent=date(2025, 9, 2), consent_method="verbal", consent_by=NURSE,
                 disclosures="cost-sharing,one-practitioner,right-to-stop")
    conditions.add(ctx, "T2001", "E11.9", date(2019, 4, 1))
    conditions.add(ctx, "T2001", "I10", date(2015, 6, 1))
    items = {kind: care_plan.add(ctx, "T2001", kind, text, condition=code, actor=PHYSICIAN).id
             for kind, text, code in (
                 ("problem", "Type 2 diabetes, A1c above goal", "E11.9"),
                 ("goal", "A1c below 8% by March", "E11.9"),
                 ("intervention", "Monthly call: medications, diet", None))}
    care_plan.review(ctx, "T2001", as_name=PHYSICIAN, substantial=True)
    to(clock, NOVEMBER)
    return items


def complex_month(ctx, clock, ym="2025-11", day=date(2025, 11, 4)):
    """90 staff minutes on `day` with complex MDM set by hand; the report for `ym`."""
    start = datetime(day.year, day.month, day.day, 15, 0, tzinfo=UTC)
    to(clock, max(clock.now(), start + timedelta(minutes=90)))
    entries.add_manual(ctx, patient_mrn="T2001", category_slug="care-plan", start=start,
                       end=start + timedelta(minutes=90))
    month_flags.set_flags(ctx, "T2001", ym, complex_mdm=True,
                          by=access.named(ctx, PHYSICIAN))
    return bill(ctx, ym)


def bill(ctx, ym):
    p = report.month_report(ctx, ym).patient("T2001")
    assert p is not None
    return p


def billable(p) -> list[str]:
    return [line.code for line in p.result.lines if not line.held]


def codes(p) -> list[str]:
    return [w.code for w in p.result.warnings]


def test_an_unchanged_plan_does_not_revise_the_month(ctx, clock, plan):
    p = complex_month(ctx, clock)
    assert p.record.revised_in_month is False
    assert billable(p) == PLAIN
    # The engine points out what complex CCM still needs.
    assert "flag_required" in codes(p)


def test_the_octobers_substantial_review_revised_october_only(ctx, clock, plan):
    october = complex_month(ctx, clock, "2025-10", date(2025, 10, 2))
    assert october.record.revised_in_month is True
    assert billable(october) == COMPLEX
    assert bill(ctx, "2025-11").record.revised_in_month is False


def test_a_substantial_review_in_the_month_sets_complex_ccms_flag(ctx, clock, plan):
    care_plan.review(ctx, "T2001", as_name=PHYSICIAN, substantial=True)
    p = complex_month(ctx, clock)
    assert p.record.revised_in_month is True
    assert billable(p) == COMPLEX
    # Derived for the report, not written into the month's flags.
    assert month_flags.get_flags(ctx, "T2001", "2025-11").care_plan_revised is False


def test_a_review_that_is_not_substantial_does_not(ctx, clock, plan):
    care_plan.review(ctx, "T2001", as_name=PHYSICIAN)
    p = complex_month(ctx, clock)
    assert p.record.revised_in_month is False and billable(p) == PLAIN
    assert p.record.last_review is not None and p.record.last_review.substantial is False


@pytest.mark.parametrize("kind", ["goal", "problem"])
def test_a_goal_or_problem_added_in_the_month_does(ctx, clock, plan, kind):
    care_plan.add(ctx, "T2001", kind, "Home blood pressure below 140/90", condition="I10",
                  actor=PHYSICIAN)
    p = complex_month(ctx, clock)
    assert p.record.revised_in_month is True and billable(p) == COMPLEX


@pytest.mark.parametrize("kind", ["goal", "problem"])
def test_a_goal_or_problem_ended_in_the_month_does(ctx, clock, plan, kind):
    care_plan.end(ctx, str(plan[kind]), "met", actor=PHYSICIAN)
    p = complex_month(ctx, clock)
    assert p.record.revised_in_month is True and billable(p) == COMPLEX
    assert kind not in {i.kind for i in p.record.care_plan}


def test_an_intervention_alone_does_not(ctx, clock, plan):
    care_plan.add(ctx, "T2001", "intervention", "Refer to diabetes education",
                  condition="E11.9")
    care_plan.end(ctx, str(plan["intervention"]), "replaced")
    p = complex_month(ctx, clock)
    assert p.record.revised_in_month is False and billable(p) == PLAIN


def test_a_change_after_the_month_does_not_revise_it(ctx, clock, plan):
    p = complex_month(ctx, clock)
    to(clock, datetime(2025, 12, 1, 5, 0, tzinfo=UTC))  # 00:00, 1 December in New York
    care_plan.add(ctx, "T2001", "goal", "Walk 20 minutes a day", actor=PHYSICIAN)
    p = bill(ctx, "2025-11")
    assert p.record.revised_in_month is False and billable(p) == PLAIN


def test_the_hand_set_flag_still_works(ctx, clock, plan):
    month_flags.set_flags(ctx, "T2001", "2025-11", care_plan_revised=True,
                          by=access.named(ctx, PHYSICIAN))
    p = complex_month(ctx, clock)
    assert p.record.revised_in_month is False and billable(p) == COMPLEX


def test_the_hand_set_flag_alone_without_a_plan(ctx, clock):
    # A clinic whose plan lives in its EHR keeps setting the flag by hand.
    add_people(ctx, mrns=())
    patients.add(ctx, mrn="T2001", name="Testpatient, Ada", program="CCM",
                 consent=date(2025, 9, 2), consent_method="verbal", consent_by=NURSE,
                 disclosures="cost-sharing,one-practitioner,right-to-stop")
    conditions.add(ctx, "T2001", "E11.9", date(2019, 4, 1))
    conditions.add(ctx, "T2001", "I10", date(2015, 6, 1))
    month_flags.set_flags(ctx, "T2001", "2025-11", care_plan_revised=True)
    p = complex_month(ctx, clock)
    assert billable(p) == COMPLEX
    # 2025's 99487 amount is an unconfirmed estimate: said so (issue 15).
    assert codes(p) == ["care_plan_not_reviewed", "payment_uncertain"]
    assert p.result.warnings[0].message == (
        "No care plan is on file: CCM needs a comprehensive care plan for every billed month; "
        "record it and its review before billing (CMS MLN909188).")


# --- the review's age --------------------------------------------------------------------------


def test_a_plan_never_reviewed_is_a_warning_not_a_hold(ctx, clock):
    add_people(ctx, mrns=())
    patients.add(ctx, mrn="T2001", name="Testpatient, Ada", program="CCM",
                 consent=date(2025, 9, 2), consent_method="verbal", consent_by=NURSE,
                 disclosures="cost-sharing,one-practitioner,right-to-stop")
    conditions.add(ctx, "T2001", "E11.9", date(2019, 4, 1))
    conditions.add(ctx, "T2001", "I10", date(2015, 6, 1))
    care_plan.add(ctx, "T2001", "problem", "Type 2 diabetes", condition="E11.9",
                  actor=PHYSICIAN)
    to(clock, NOVEMBER)
    entries.add_manual(ctx, patient_mrn="T2001", category_slug="phone-call",
                       start=NOVEMBER - timedelta(hours=1),
                       end=NOVEMBER - timedelta(minutes=35))
    p = bill(ctx, "2025-11")
    assert billable(p) == ["99490"]
    assert codes(p) == ["care_plan_not_reviewed", "payment_uncertain"]  # 2025's 99490 amount
    assert p.result.warnings[0].message == (
        "The care plan has never been reviewed: CCM needs a comprehensive care plan for every "
        "billed month; record it and its review before billing (CMS MLN909188).")
    assert p.record.last_review is None and len(p.record.care_plan) == 1
    # Reviewed now (in November): the warning goes.
    care_plan.review(ctx, "T2001", as_name=PHYSICIAN)
    assert codes(bill(ctx, "2025-11")) == ["payment_uncertain"]


@pytest.mark.parametrize(("review_day", "stale"), [
    (date(2025, 10, 1), True),
    (date(2025, 11, 29), True),
    (date(2025, 11, 30), False),  # 12 months to the day before 30 November 2026
    (date(2026, 6, 1), False),
])
def test_a_review_more_than_twelve_months_before_the_months_end(ctx, clock, plan, review_day,
                                                                 stale):
    # The review at 23:30 in New York: the clinic's date, not UTC's, is what counts.
    at = datetime(review_day.year, review_day.month, review_day.day, 23, 30) \
        .replace(tzinfo=ctx.zone).astimezone(UTC)
    if at > clock.now():
        to(clock, at)
        care_plan.review(ctx, "T2001", as_name=PHYSICIAN)
    to(clock, datetime(2026, 11, 4, 15, 0, tzinfo=UTC))
    entries.add_manual(ctx, patient_mrn="T2001", category_slug="phone-call",
                       start=clock.now() - timedelta(hours=1),
                       end=clock.now() - timedelta(minutes=35))
    p = bill(ctx, "2026-11")
    assert p.record.last_review is not None
    assert p.record.last_review.at.astimezone(ctx.zone).date() == review_day
    assert billable(p) == ["99490"]
    assert codes(p) == (["care_plan_stale"] if stale else [])
    if stale:
        assert p.result.warnings[0].message == (
            f"The care plan was last reviewed on {review_day.isoformat()}, more than 12 "
            "months before this month's end: review it before billing CCM (CMS MLN909188).")


def test_a_review_after_the_month_does_not_count_for_it(ctx, clock, plan):
    to(clock, datetime(2026, 11, 4, 15, 0, tzinfo=UTC))
    entries.add_manual(ctx, patient_mrn="T2001", category_slug="phone-call",
                       start=clock.now() - timedelta(hours=1),
                       end=clock.now() - timedelta(minutes=35))
    to(clock, datetime(2026, 12, 2, 15, 0, tzinfo=UTC))
    care_plan.review(ctx, "T2001", as_name=PHYSICIAN)
    entries.add_manual(ctx, patient_mrn="T2001", category_slug="phone-call",
                       start=clock.now() - timedelta(hours=1),
                       end=clock.now() - timedelta(minutes=35))
    assert codes(bill(ctx, "2026-11")) == ["care_plan_stale"]
    december = bill(ctx, "2026-12")
    assert billable(december) == ["99490"] and codes(december) == []
