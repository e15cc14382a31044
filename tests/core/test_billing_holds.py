"""Lines that are earned but held: consent, enrollment, month facts, same-month exclusions."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from datetime import date
from functools import cache
from pathlib import Path

import pytest

from ccm_timer.core.billing import (
    EnrollmentInput,
    MonthFlags,
    PatientMonthResult,
    PatientMonthTotals,
    RuleSet,
    evaluate_patient_month,
    parse_rules,
)

RULES_DIR = Path(__file__).resolve().parents[2] / "resources" / "billing_rules"
OLD_CONSENT = date(2024, 6, 1)


@cache
def rules(year: int) -> RuleSet:
    return parse_rules(tomllib.loads((RULES_DIR / f"{year}.toml").read_text("utf-8")))


def run(
    minutes: Mapping[tuple[str, str], float],
    enrollments: list[EnrollmentInput],
    flags: MonthFlags | None = None,
    month: str = "2025-05",
) -> PatientMonthResult:
    seconds: dict[tuple[str, str | None], int] = {k: round(m * 60) for k, m in minutes.items()}
    year = int(month[:4])
    return evaluate_patient_month(PatientMonthTotals(seconds), enrollments, flags, month,
                                  rules(year))


def held(result: PatientMonthResult) -> dict[str, str | None]:
    return {line.code: line.hold_reason for line in result.lines if line.held}


def billable(result: PatientMonthResult) -> list[str]:
    return [line.code for line in result.lines if not line.held]


def warning_codes(result: PatientMonthResult) -> list[str]:
    return [w.code for w in result.warnings]


STAFF_CCM_45 = {("clinical_staff", "CCM"): 45}


# 2025's 99490 and 99426 amounts are unconfirmed estimates (payment_confidence U): every
# month that bills them says so (issue 15: money is never silent).
UNSURE = "payment_uncertain"


def test_consented_enrollment_bills() -> None:
    result = run(STAFF_CCM_45, [EnrollmentInput("CCM", OLD_CONSENT)])
    assert billable(result) == ["99490", "99439"]
    assert warning_codes(result) == [UNSURE]
    assert "99490 ($60.00)" in result.warnings[0].message


def test_no_consent_holds_every_line_with_a_reason() -> None:
    result = run(STAFF_CCM_45, [EnrollmentInput("CCM", None, date(2025, 1, 1))])
    assert billable(result) == []
    assert held(result) == {"99490": "no CCM consent on file for this month",
                            "99439": "no CCM consent on file for this month"}
    assert warning_codes(result) == ["no_consent"]
    assert "2 claim lines are held" in result.warnings[0].message


def test_consent_after_the_month_is_no_consent_for_it() -> None:
    result = run(STAFF_CCM_45, [EnrollmentInput("CCM", date(2025, 6, 2))])
    assert billable(result) == []
    assert warning_codes(result) == ["no_consent"]
    assert "2025-06-02" in result.warnings[0].message


def test_consent_inside_the_month_bills_but_warns() -> None:
    result = run(STAFF_CCM_45, [EnrollmentInput("CCM", date(2025, 5, 14))])
    assert billable(result) == ["99490", "99439"]
    assert warning_codes(result) == ["consent_during_month", UNSURE]
    assert warning_codes(run(STAFF_CCM_45, [EnrollmentInput("CCM", date(2025, 5, 1))])) == [
        UNSURE]


def test_time_below_threshold_without_consent_still_warns() -> None:
    result = run({("clinical_staff", "CCM"): 5}, [EnrollmentInput("CCM", None)])
    assert result.lines == ()
    assert warning_codes(result) == ["no_consent"]
    assert "cannot be billed until consent" in result.warnings[0].message


@pytest.mark.parametrize(
    "enrollment",
    [
        None,
        EnrollmentInput("PCM", OLD_CONSENT),  # another program
        EnrollmentInput("CCM", OLD_CONSENT, date(2024, 1, 1), date(2025, 4, 30)),  # ended
        EnrollmentInput("CCM", OLD_CONSENT, date(2025, 6, 1)),  # starts next month
    ],
)
def test_not_enrolled_this_month_holds(enrollment: EnrollmentInput | None) -> None:
    result = run(STAFF_CCM_45, [] if enrollment is None else [enrollment])
    assert billable(result) == []
    assert set(held(result).values()) == {"not enrolled in CCM this month"}
    assert "not_enrolled" in warning_codes(result)


@pytest.mark.parametrize(
    ("start", "end"),
    [(date(2025, 5, 31), None), (None, date(2025, 5, 1)), (date(2025, 5, 10), date(2025, 5, 20))],
)
def test_enrollment_touching_the_month_counts(start: date | None, end: date | None) -> None:
    result = run(STAFF_CCM_45, [EnrollmentInput("CCM", OLD_CONSENT, start, end)])
    assert billable(result) == ["99490", "99439"]


def test_rpm_without_interactive_contact_is_held() -> None:
    minutes = {("clinical_staff", "RPM"): 25}
    enrolled = [EnrollmentInput("RPM", OLD_CONSENT)]
    result = run(minutes, enrolled)
    assert billable(result) == []
    assert "real-time interactive" in (held(result)["99457"] or "")
    assert warning_codes(result) == ["flag_missing"]
    assert billable(run(minutes, enrolled, MonthFlags(interactive_contact=True))) == ["99457"]
    result_2026 = run({("clinical_staff", "RPM"): 12}, enrolled, None, "2026-05")
    assert list(held(result_2026)) == ["99470"]


def test_hold_reasons_accumulate() -> None:
    result = run({("clinical_staff", "RPM"): 25}, [EnrollmentInput("RPM", None)])
    reason = held(result)["99457"] or ""
    assert "no RPM consent" in reason and "interactive" in reason


CONSENTED_ALL = [EnrollmentInput(p, OLD_CONSENT)
                 for p in ("CCM", "PCM", "BHI", "RPM", "CPO_HOME_HEALTH", "CPO_HOSPICE")]


def test_pcm_and_ccm_the_more_valuable_is_kept() -> None:
    # CCM 20 min ($60.00) vs PCM 30 min ($61.46): PCM kept, CCM held.
    result = run({("clinical_staff", "CCM"): 20, ("clinical_staff", "PCM"): 30}, CONSENTED_ALL)
    assert billable(result) == ["99426"]
    assert "cannot be billed with 99426 (PCM)" in (held(result)["99490"] or "")
    assert warning_codes(result) == ["excluded_same_month", UNSURE]
    # CCM 40 min ($105.93) vs PCM 30 min: CCM kept, PCM held.
    result = run({("clinical_staff", "CCM"): 40, ("clinical_staff", "PCM"): 30}, CONSENTED_ALL)
    assert billable(result) == ["99490", "99439"]
    assert list(held(result)) == ["99426"]
    warning = result.warnings[0]
    assert (warning.code, warning.program) == ("excluded_same_month", "PCM")


def test_exclusion_prefers_the_billable_program() -> None:
    # CCM is worth more but has no consent: the consented PCM is kept.
    enrollments = [EnrollmentInput("CCM", None), EnrollmentInput("PCM", OLD_CONSENT)]
    result = run({("clinical_staff", "CCM"): 60, ("clinical_staff", "PCM"): 30}, enrollments)
    assert billable(result) == ["99426"]
    reason = held(result)["99490"] or ""
    assert "no CCM consent" in reason and "99426 (PCM)" in reason


def test_ccm_with_cpo_is_treated_as_a_conflict() -> None:
    minutes = {("clinical_staff", "CCM"): 20, ("practitioner", "CPO_HOME_HEALTH"): 30}
    result = run(minutes, CONSENTED_ALL)
    assert billable(result) == ["G0181"]  # $84.10 vs $60.00
    assert list(held(result)) == ["99490"]


def test_exclusion_keeps_the_best_compatible_set() -> None:
    # CCM clashes with both PCM and CPO; PCM and CPO do not clash with each other.
    # CCM 60 ($151.86) vs PCM 30 ($61.46) + G0181 ($84.10) = $145.56: CCM wins alone.
    minutes = {("clinical_staff", "CCM"): 60, ("clinical_staff", "PCM"): 30,
               ("practitioner", "CPO_HOME_HEALTH"): 30}
    result = run(minutes, CONSENTED_ALL)
    assert billable(result) == ["99490", "99439"]
    assert sorted(held(result)) == ["99426", "G0181"]
    # CCM 40 ($105.93) is worth less than PCM + CPO together ($145.56), though more than each.
    minutes[("clinical_staff", "CCM")] = 40
    result = run(minutes, CONSENTED_ALL)
    assert billable(result) == ["99426", "G0181"]
    assert sorted(held(result)) == ["99439", "99490"]


def test_programs_that_may_share_a_month_all_bill() -> None:
    minutes = {("clinical_staff", "CCM"): 20, ("clinical_staff", "BHI"): 20,
               ("clinical_staff", "RPM"): 20}
    result = run(minutes, CONSENTED_ALL, MonthFlags(interactive_contact=True))
    assert billable(result) == ["99490", "99484", "99457"]
    assert warning_codes(result) == [UNSURE]  # 2025's 99490 and 99484 amounts
    assert "99490 ($60.00) and 99484 ($53.26)" in result.warnings[0].message


def test_to_dict_of_a_held_line() -> None:
    result = run({("clinical_staff", "BHI"): 20}, [EnrollmentInput("BHI", None)])
    assert [line.to_dict() for line in result.lines] == [{
        "code": "99484", "program": "BHI", "track": "bhi_staff", "units": 1, "seconds": 1200,
        "minutes": 20, "payment_usd": 53.26, "held": True,
        "hold_reason": "no BHI consent on file for this month",
    }]
