"""One track per program per month: the one worth more, the staff track on a tie."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

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
from ccm_timer.core.month import YearMonth

RULES_DIR = Path(__file__).resolve().parents[2] / "resources" / "billing_rules"
CONSENT = YearMonth(2024, 1).first_day


@cache
def rules(year: int) -> RuleSet:
    return parse_rules(tomllib.loads((RULES_DIR / f"{year}.toml").read_text("utf-8")))


def code(program: str, time: str, payment: float, **extra: Any) -> dict[str, Any]:
    return {"name": "test code", "program": program, "time": time, "payment_usd": payment,
            "payment_source": "test", "payment_confidence": "U", "confidence": "U", **extra}


def mini_rules(staff_pay: float, prac_pay: float, practitioner_first: bool = False) -> RuleSet:
    staff = ("S1", code("CCM", "staff", staff_pay, track="staff", threshold_minutes=20,
                        not_with=["P1"]))
    prac = ("P1", code("CCM", "practitioner", prac_pay, track="prac", threshold_minutes=30))
    pairs = [prac, staff] if practitioner_first else [staff, prac]
    return parse_rules({"schema": 1, "year": 2025, "conversion_factor_usd": 32.3465,
                        "programs": ["CCM"], "codes": dict(pairs)})


def run(
    staff_min: float, prac_min: float, rule_set: RuleSet | None = None,
    flags: MonthFlags | None = None, program: str = "CCM",
) -> PatientMonthResult:
    seconds: dict[tuple[str, str | None], int] = {
        ("clinical_staff", program): round(staff_min * 60),
        ("practitioner", program): round(prac_min * 60),
    }
    rule_set = rule_set or rules(2025)
    return evaluate_patient_month(
        PatientMonthTotals(seconds), [EnrollmentInput(program, CONSENT)], flags,
        YearMonth(rule_set.year, 4), rule_set,
    )


@pytest.mark.parametrize(
    ("staff", "prac", "chosen", "alternative", "codes"),
    [
        (25, 35, "ccm_staff", "ccm_practitioner", ["99490", "99439"]),  # 60 min pooled
        (5, 60, "ccm_staff", "ccm_practitioner", ["99490", "99439"]),  # $151.86 vs $139.41
        (0, 90, "ccm_practitioner", "ccm_staff", ["99491", "99437"]),  # $196.66 vs $151.86
        (0, 30, "ccm_practitioner", "ccm_staff", ["99491"]),  # $82.16 vs $60.00
        (10, 30, "ccm_staff", "ccm_practitioner", ["99490", "99439"]),  # 40 pooled: $105.93
        (0, 0, "ccm_staff", "ccm_practitioner", []),  # nothing earned: staff, by the tie rule
    ],
)
def test_ccm_track_choice(
    staff: int, prac: int, chosen: str, alternative: str, codes: list[str]
) -> None:
    result = run(staff, prac)
    choice = result.ccm_track
    assert choice is not None
    assert (choice.chosen, choice.alternative) == (chosen, alternative)
    assert [line.code for line in result.lines] == codes
    assert choice.chosen_value_usd >= (choice.alternative_value_usd or 0)
    # Only the chosen track makes lines: no minute reaches two CCM codes.
    assert {line.track for line in result.lines} <= {chosen}


def test_choice_reports_both_values_and_pools() -> None:
    choice = run(25, 35).ccm_track
    assert choice is not None
    assert choice.to_dict() == {
        "program": "CCM",
        "chosen": "ccm_staff",
        "chosen_minutes": 60,
        "chosen_value_usd": 151.86,
        "alternative": "ccm_practitioner",
        "alternative_minutes": 35,
        "alternative_value_usd": 82.16,
    }


def test_complex_alternative_is_named_only_when_flagged() -> None:
    flagged = MonthFlags(complex_mdm=True, care_plan_revised=True)
    result = run(95, 0, flags=flagged)
    choice = result.ccm_track
    assert choice is not None and choice.chosen == "ccm_complex"
    assert choice.alternative == "ccm_staff"  # $151.86 beats the practitioner track's $0
    unflagged = run(95, 0).ccm_track
    assert unflagged is not None and unflagged.chosen == "ccm_staff"
    assert unflagged.alternative == "ccm_practitioner"


@pytest.mark.parametrize("practitioner_first", [False, True])
def test_tie_goes_to_the_staff_track_whatever_the_file_order(practitioner_first: bool) -> None:
    tie = mini_rules(50.0, 50.0, practitioner_first)
    result = run(0, 30, tie)  # staff pool 30 -> S1 ($50), practitioner 30 -> P1 ($50)
    assert result.ccm_track is not None
    assert (result.ccm_track.chosen, result.ccm_track.alternative) == ("staff", "prac")
    assert [line.code for line in result.lines] == ["S1"]


def test_one_cent_more_wins_over_the_tie_rule() -> None:
    result = run(0, 30, mini_rules(50.0, 50.01))
    assert [line.code for line in result.lines] == ["P1"]
    result = run(0, 30, mini_rules(50.01, 50.0))
    assert [line.code for line in result.lines] == ["S1"]


def test_float_noise_does_not_break_a_tie() -> None:
    result = run(0, 30, mini_rules(0.1 + 0.2, 0.3))
    assert [line.code for line in result.lines] == ["S1"]


@pytest.mark.parametrize(
    ("staff", "chosen", "codes"),
    [(9.99, "rpm_20", []), (15, "rpm_10", ["99470"]), (19.99, "rpm_10", ["99470"]),
     (20, "rpm_20", ["99457"]), (45, "rpm_20", ["99457", "99458"])],
)
def test_rpm_2026_picks_99470_or_99457(staff: float, chosen: str, codes: list[str]) -> None:
    result = run(staff, 0, rules(2026), MonthFlags(interactive_contact=True), "RPM")
    choice = result.track_for("RPM")
    assert choice is not None and choice.chosen == chosen
    assert [line.code for line in result.lines] == codes


def test_next_threshold_per_track() -> None:
    result = run(25, 10)  # staff pool 35 min, practitioner 10 min
    nexts = {(n.track, n.code): (n.seconds_needed, n.chosen) for n in result.next}
    assert nexts == {
        ("ccm_staff", "99439"): (5 * 60, True),
        ("ccm_practitioner", "99491"): (20 * 60, False),
    }
    as_dict = [n.to_dict() for n in result.next if n.chosen]
    assert as_dict == [{"program": "CCM", "track": "ccm_staff", "code": "99439",
                        "threshold_minutes": 40, "seconds_needed": 300, "minutes_needed": 5,
                        "chosen": True}]


def test_seconds_needed_rounds_minutes_up() -> None:
    result = run(19 + 59 / 60, 0)
    staff_next = [n for n in result.next if n.track == "ccm_staff"][0]
    assert (staff_next.code, staff_next.seconds_needed) == ("99490", 1)
    assert staff_next.to_dict()["minutes_needed"] == 1


def test_capped_track_has_no_next() -> None:
    result = run(60, 0)
    assert [n.track for n in result.next] == ["ccm_practitioner"]
