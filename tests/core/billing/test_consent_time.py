"""No second before consent counts (issue 15, items 4 and 6), in the engine.

Sources: Noridian JE, Chronic Care Management Questions and Answers: consent "is obtained
once prior to furnishing" CCM; CMS MLN909188: consent documented in the record before
services start (cms-billing-rules.md section 2.1). The month report splits the seconds at
the start of the consent day (store/month_time.py); the engine shows the part before apart.
"""

from __future__ import annotations

import tomllib
from datetime import date
from functools import cache
from pathlib import Path

from ccm_timer.core.billing import (
    EnrollmentInput,
    PatientMonthResult,
    PatientMonthTotals,
    RuleSet,
    evaluate_patient_month,
    parse_rules,
)
from ccm_timer.core.billing.consent import consent_days, consent_status
from ccm_timer.core.month import YearMonth

RULES_DIR = Path(__file__).resolve().parents[3] / "resources" / "billing_rules"
OCT = YearMonth(2026, 10)
MIN = 60


@cache
def rules() -> RuleSet:
    return parse_rules(tomllib.loads((RULES_DIR / "2026.toml").read_text("utf-8")))


def run(counted: int, enrollment: EnrollmentInput,
        before: dict[str, int] | None) -> PatientMonthResult:
    totals = PatientMonthTotals({("clinical_staff", "CCM"): counted} if counted else {},
                                before_consent=before)
    return evaluate_patient_month(totals, [enrollment], None, str(OCT), rules())


def codes(result: PatientMonthResult) -> list[str]:
    return [w.code for w in result.warnings]


def test_consent_on_the_15th_15_minutes_before_and_10_after_bill_nothing():
    # The case: consent 10-15; 15 min on 10-05 and 10 min on 10-20. Pooled, 25 min
    # made 99490; counted from the consent day, 10 min make nothing.
    consent = EnrollmentInput("CCM", date(2026, 10, 15), date(2026, 10, 15))
    result = run(10 * MIN, consent, {"CCM": 15 * MIN})
    assert result.lines == ()
    assert dict(result.seconds_before_consent) == {"CCM": 15 * MIN}
    assert result.seconds_by_program == {"CCM": 10 * MIN}
    [said] = [w.message for w in result.warnings if w.code == "consent_during_month"]
    assert said == (
        "The CCM consent is dated 2026-10-15: the 15 min logged for CCM before that day is "
        "shown apart and not counted, because consent is obtained before the service is "
        "furnished (Noridian JE).")
    data = result.to_dict()
    assert data["seconds"]["before_consent"] == {"CCM": 900}
    assert data["minutes"]["before_consent"] == {"CCM": 15}
    # The same 25 minutes all after the consent day bill 99490.
    assert [x.code for x in run(25 * MIN, consent, {}).billable_lines] == ["99490"]


def test_a_mid_month_consent_with_nothing_before_it_says_nothing():
    consent = EnrollmentInput("CCM", date(2026, 10, 15))
    result = run(25 * MIN, consent, {})
    assert "consent_during_month" not in codes(result)
    assert [x.code for x in result.billable_lines] == ["99490"]


def test_a_caller_that_did_not_split_is_told_to_check():
    # before_consent None: the engine cannot know, and says the rule.
    result = run(25 * MIN, EnrollmentInput("CCM", date(2026, 10, 15)), None)
    [said] = [w.message for w in result.warnings if w.code == "consent_during_month"]
    assert "time before that day does not count" in said


def test_a_consent_dated_after_the_month_is_said_so_not_not_enrolled():
    # Item 6: the service stores the consent date as the enrolment's start.
    later = EnrollmentInput("CCM", date(2026, 11, 3), date(2026, 11, 3))
    result = run(25 * MIN, later, {})
    assert "not_enrolled" not in codes(result)
    assert [(x.code, x.held, x.hold_reason) for x in result.lines] == [
        ("99490", True, "CCM consent dated after this month")]
    [said] = [w.message for w in result.warnings if w.code == "no_consent"]
    assert said == ("CCM consent dated after this month (2026-11-03): time before consent "
                    "never counts, so 1 claim line is held, not billable.")
    # An enrolment that starts after the month with an older consent is not enrolled.
    moved = EnrollmentInput("CCM", date(2026, 9, 1), date(2026, 11, 3))
    assert consent_status("CCM", [moved], OCT.first_day, OCT.last_day)[0] == "not_enrolled"


def test_consent_days_are_the_consents_inside_the_month_after_its_first_day():
    items = [EnrollmentInput("CCM", date(2026, 10, 15)),
             EnrollmentInput("RPM", date(2026, 10, 1)),  # the first day: nothing before it
             EnrollmentInput("PCM", date(2026, 9, 30)),
             EnrollmentInput("BHI", date(2026, 11, 1))]  # after the month: held, not split
    assert consent_days(items, ("CCM", "PCM", "BHI", "RPM"), OCT) == {
        "CCM": date(2026, 10, 15)}
