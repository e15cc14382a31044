"""APCM and CoCM in the billing engine (issue 15), judged by the real rule files.

Sources (cms-billing-rules.md): APCM G0556-G0558, CY 2025 PFS final rule CMS-1807-F via
AAFP, Bass Berry, Foley, McDonald Hopkins (section 2.7): monthly, no time, level by chronic
conditions and QMB, bundles CCM and PCM for the same practitioner. The 2026 add-ons
G0568-G0570, CY 2026 PFS final rule CMS-1832-F (2.7): with the APCM base code, same
practitioner and month, valued as 99492 / 99493 / 99484, not with standalone 99484 or
99492-99494. CoCM 99492-99494 and G2214, CMS-1654-F and CPT 2018 (2.3): 70 minutes in the
first month, 60 in later ones, 30 more each; CoCM or general BHI, one a month."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from datetime import date
from functools import cache
from pathlib import Path

import pytest

from ccm_timer.core.billing import (
    EnrollmentInput,
    MonthFlags,
    PatientMonthResult,
    PatientMonthTotals,
    RecordInput,
    RuleSet,
    evaluate_patient_month,
    parse_rules,
)
from ccm_timer.core.billing.inputs import CONSENT_ELEMENTS

RULES_DIR = Path(__file__).resolve().parents[3] / "resources" / "billing_rules"
OLD = date(2025, 1, 6)
REVIEWED = date(2026, 3, 2)
MONTH = "2026-04"


@cache
def rules(year: int) -> RuleSet:
    return parse_rules(tomllib.loads((RULES_DIR / f"{year}.toml").read_text("utf-8")))


def record(chronic: int, qmb: bool | None = None) -> RecordInput:
    return RecordInput(chronic_conditions=chronic, conditions=chronic, care_plan_items=2,
                       care_plan_reviewed=REVIEWED, qmb=qmb)


def enrolled(*programs: str, start: date = OLD, consent: date | None = OLD,
             recorded: frozenset[str] = frozenset(CONSENT_ELEMENTS)) -> list[EnrollmentInput]:
    return [EnrollmentInput(p, consent, start, None, recorded) for p in programs]


def run(minutes: Mapping[tuple[str, str], float], enrollments: Sequence[EnrollmentInput],
        rec: RecordInput | None, month: str = MONTH) -> PatientMonthResult:
    seconds: dict[tuple[str, str | None], int] = {k: round(m * 60) for k, m in minutes.items()}
    return evaluate_patient_month(PatientMonthTotals(seconds), enrollments, None, month,
                                  rules(int(month[:4])), rec)


def billable(result: PatientMonthResult) -> list[tuple[str, int]]:
    return [(x.code, x.units) for x in result.lines if not x.held]


def held(result: PatientMonthResult) -> dict[str, str | None]:
    return {x.code: x.hold_reason for x in result.lines if x.held}


def codes(result: PatientMonthResult) -> list[str]:
    return [w.code for w in result.warnings]


def warning(result: PatientMonthResult, code: str) -> str:
    return next(w.message for w in result.warnings if w.code == code)


# --- APCM: no time, the level from the record (CMS-1807-F) ------------------------------------


@pytest.mark.parametrize(("chronic", "qmb", "code"), [
    (0, None, "G0556"), (1, True, "G0556"),  # at most one chronic condition: level 1
    (2, False, "G0557"), (5, False, "G0557"),  # two or more: level 2
    (2, True, "G0558"), (3, True, "G0558"),  # two or more and a QMB: level 3
])
@pytest.mark.parametrize("year", [2025, 2026])
def test_apcm_bills_its_level_every_month_without_minutes(chronic: int, qmb: bool | None,
                                                         code: str, year: int) -> None:
    result = run({}, enrolled("APCM"), record(chronic, qmb), month=f"{year}-04")
    assert billable(result) == [(code, 1)]
    line = result.lines[0]
    assert (line.seconds, line.program) == (0, "APCM")  # no minute is consumed
    assert line.payment_usd == rules(year).codes[code].payment_usd
    assert result.next == ()  # nothing to reach: no time threshold


def test_unknown_qmb_with_two_conditions_is_level_2_with_a_warning() -> None:
    result = run({}, enrolled("APCM"), record(2, None))
    assert billable(result) == [("G0557", 1)]
    message = warning(result, "qmb_unknown")
    assert "not recorded" in message and "G0558" in message
    assert "`ccm-timer patient set --qmb yes`" in message
    # Recorded not a QMB, or level 1: nothing to point out.
    assert "qmb_unknown" not in codes(run({}, enrolled("APCM"), record(2, False)))
    assert "qmb_unknown" not in codes(run({}, enrolled("APCM"), record(1, None)))


def test_2026_apcm_amounts_are_estimates_and_say_so() -> None:
    # No 2026 APCM figure beyond one vendor page: U, warned (money is never silent).
    result = run({}, enrolled("APCM"), record(2, True))
    assert warning(result, "payment_uncertain").startswith(
        "The payment shown for G0558 ($117.00) is an estimate that could not be confirmed")
    assert "payment_uncertain" not in codes(run({}, enrolled("APCM"), record(2, True),
                                                 month="2025-04"))


def test_apcm_time_is_kept_but_bills_nothing_more() -> None:
    result = run({("clinical_staff", "APCM"): 45}, enrolled("APCM"), record(2, False))
    assert billable(result) == [("G0557", 1)]
    assert result.seconds_by_program == {"APCM": 2700}


@pytest.mark.parametrize(("enrollments", "reason"), [
    (enrolled("APCM", consent=None), "no APCM consent on file for this month"),
    (enrolled("APCM", recorded=frozenset({"method", "obtained_by"})),
     "the APCM consent is incomplete"),
])
def test_apcm_without_a_complete_consent_is_held_and_says_why(
        enrollments: list[EnrollmentInput], reason: str) -> None:
    result = run({}, enrollments, record(2, False))
    assert billable(result) == [] and held(result) == {"G0557": reason}
    assert warning(result, "monthly_held") == (
        f"APCM G0557 ($54.00) needs no minutes but is held: {reason}.")


def test_apcm_is_not_billed_without_an_enrolment() -> None:
    assert run({}, [], record(2, True)).lines == ()


# --- APCM with CCM and PCM: the same practitioner, one of them (reference 2.7, 2.9) -----------


def test_apcm_and_ccm_in_one_month_keep_the_one_worth_more() -> None:
    both = enrolled("APCM", "CCM")
    # 45 min of CCM: 99490 + 99439 ($114.13) beat G0557 ($54.00); APCM held with a warning.
    result = run({("clinical_staff", "CCM"): 45}, both, record(2, False))
    assert billable(result) == [("99490", 1), ("99439", 1)]
    assert "cannot be billed with" in (held(result)["G0557"] or "")
    assert "APCM (G0557) cannot be billed in the same month as CCM" in warning(
        result, "excluded_same_month")
    # 10 min of CCM earns nothing: APCM is billed alone.
    assert billable(run({("clinical_staff", "CCM"): 10}, both, record(2, False))) == [
        ("G0557", 1)]
    # A QMB's G0558 ($117.00) beats 99490 alone ($66.13).
    result = run({("clinical_staff", "CCM"): 25}, both, record(2, True))
    assert billable(result) == [("G0558", 1)] and list(held(result)) == ["99490"]


def test_apcm_and_pcm_in_one_month_keep_the_one_worth_more() -> None:
    result = run({("practitioner", "PCM"): 30}, enrolled("APCM", "PCM"), record(1, None))
    assert billable(result) == [("99424", 1)]  # $87.84 beats G0556 ($16.00)
    assert list(held(result)) == ["G0556"]


def test_apcm_bills_beside_rpm_and_bhi() -> None:
    # RPM, RTM, BHI and CoCM may be billed alongside APCM (reference 2.7).
    result = run({("clinical_staff", "BHI"): 20}, enrolled("APCM", "BHI"), record(2, False),
                 month="2025-04")
    assert billable(result) == [("G0557", 1), ("99484", 1)]


# --- CoCM: the first month from the enrolment's start (CMS-1654-F, CPT) -----------------------


@pytest.mark.parametrize(("minutes", "first", "later"), [
    (29, [], []),
    (30, [("G2214", 1)], [("G2214", 1)]),  # 30 min, any month
    (59, [("G2214", 1)], [("G2214", 1)]),
    (60, [("G2214", 1)], [("99493", 1)]),  # later months: 60 min
    (69, [("G2214", 1)], [("99493", 1)]),
    (70, [("99492", 1)], [("99493", 1)]),  # first month: 70 min
    (89, [("99492", 1)], [("99493", 1)]),
    (90, [("99492", 1)], [("99493", 1), ("99494", 1)]),
    (100, [("99492", 1), ("99494", 1)], [("99493", 1), ("99494", 1)]),
    (160, [("99492", 1), ("99494", 3)], [("99493", 1), ("99494", 3)]),
])
def test_cocm_codes_on_full_thresholds(minutes: int, first: list, later: list) -> None:
    # Full thresholds, not CPT's midpoint convention: the reference marks the midpoint [U].
    started_now = enrolled("COCM", start=date(2026, 4, 1), consent=date(2026, 4, 1))
    assert billable(run({("clinical_staff", "COCM"): minutes}, started_now, None)) == first
    assert billable(run({("clinical_staff", "COCM"): minutes}, enrolled("COCM"), None)) == later


def test_the_first_month_is_the_calendar_month_of_the_enrolment_start() -> None:
    minutes = {("clinical_staff", "COCM"): 75}
    mid = enrolled("COCM", start=date(2026, 4, 20), consent=date(2026, 4, 20))
    assert billable(run(minutes, mid, None))[0] == ("99492", 1)
    # The next month is a later month: 99493 from 60 minutes.
    assert billable(run(minutes, mid, None, month="2026-05"))[0] == ("99493", 1)
    # No start stored: the consent's date decides.
    no_start = [EnrollmentInput("COCM", date(2026, 3, 3), None)]
    assert billable(run(minutes, no_start, None, month="2026-03"))[0] == ("99492", 1)
    assert billable(run(minutes, no_start, None))[0] == ("99493", 1)


def test_the_practitioners_own_care_manager_work_counts_toward_cocm() -> None:
    result = run({("clinical_staff", "COCM"): 40, ("practitioner", "COCM"): 25},
                 enrolled("COCM"), None)
    assert billable(result) == [("99493", 1)]


def test_cocm_and_general_bhi_one_a_month() -> None:
    # CMS-1654-F: one practitioner chooses CoCM or general BHI for a month.
    result = run({("clinical_staff", "COCM"): 65, ("clinical_staff", "BHI"): 25},
                 enrolled("COCM", "BHI"), None)
    assert billable(result) == [("99493", 1)] and list(held(result)) == ["99484"]
    assert "excluded_same_month" in codes(result)


def test_cocm_without_consent_is_held() -> None:
    result = run({("clinical_staff", "COCM"): 65}, enrolled("COCM", consent=None), None)
    assert held(result) == {"99493": "no COCM consent on file for this month"}


def test_cocm_consent_needs_its_own_elements_only() -> None:
    # CMS-1654-F: verbal or written, documented, with the cost-sharing notice.
    partial = frozenset({"method", "obtained_by", "cost_sharing"})
    result = run({("clinical_staff", "COCM"): 65}, enrolled("COCM", recorded=partial), None)
    assert billable(result) == [("99493", 1)]


# --- The 2026 APCM behavioral-health add-ons (CMS-1832-F) ------------------------------------


def addon_month(cocm: float = 0, bhi: float = 0, *, start: date = OLD, chronic: int = 2,
                cocm_consent: date | None = OLD,
                apcm_consent: date | None = OLD) -> PatientMonthResult:
    enrollments = [*enrolled("APCM", consent=apcm_consent),
                   *enrolled("COCM", start=start, consent=cocm_consent), *enrolled("BHI")]
    minutes = {("clinical_staff", "COCM"): cocm, ("clinical_staff", "BHI"): bhi}
    return run({k: v for k, v in minutes.items() if v}, enrollments, record(chronic, False))


def test_g0569_replaces_99493_in_a_later_month() -> None:
    # 65 min of CoCM: 99493 and G0569 bill the same work; valued alike ($126.92), the add-on
    # is kept (the form CMS made for APCM practices) and 99493 held with a warning.
    result = addon_month(cocm=65)
    assert billable(result) == [("G0557", 1), ("G0569", 1)]
    assert held(result) == {"99493": "billed as the APCM add-on G0569 instead"}
    assert "CMS does not pay both" in warning(result, "addon_replaces_standalone")
    addon = next(x for x in result.lines if x.code == "G0569")
    assert (addon.program, addon.seconds) == ("APCM", 0)


def test_g0568_in_the_cocm_enrolments_first_month() -> None:
    result = addon_month(cocm=75, start=date(2026, 4, 2), cocm_consent=date(2026, 4, 2))
    assert billable(result) == [("G0557", 1), ("G0568", 1)]
    assert list(held(result)) == ["99492"]


def test_standalone_cocm_worth_more_is_kept_and_the_add_on_held() -> None:
    # 95 min: 99493 + 99494 ($184.70) bill the work for more than G0569 ($126.92).
    result = addon_month(cocm=95)
    assert billable(result) == [("G0557", 1), ("99493", 1), ("99494", 1)]
    assert held(result) == {"G0569": "99493, 99494 bill the same work this month for more"}
    assert "standalone_instead_of_addon" in codes(result)


def test_below_the_mirrored_minutes_the_add_on_is_held_naming_the_sources() -> None:
    # The sources disagree on time (not time-based per CMS-1832-F summaries; one coding site
    # gives the 60 minutes of 99493): held with a warning, not guessed billable.
    result = addon_month(cocm=25)
    assert billable(result) == [("G0557", 1)]
    assert "below the 60 minutes of 99493" in (held(result)["G0569"] or "")
    message = warning(result, "addon_time_unconfirmed")
    assert "25 min of CoCM work" in message and "CMS-1832-F" in message
    assert "Gill Compliance" in message and "Medicare contractor" in message


def test_no_logged_work_no_add_on() -> None:
    assert [x.code for x in addon_month().lines] == ["G0557"]


def test_g0570_replaces_99484() -> None:
    result = addon_month(bhi=25)
    assert billable(result) == [("G0557", 1), ("G0570", 1)]  # $55.00 each: the add-on kept
    assert held(result) == {"99484": "billed as the APCM add-on G0570 instead"}


def test_one_behavioral_health_add_on_a_month() -> None:
    # CoCM and BHI work in one month: CoCM's 99493 is kept over 99484 (CMS-1654-F), and of
    # the two add-ons G0569 ($126.92) over G0570 ($55.00).
    result = addon_month(cocm=65, bhi=25)
    assert billable(result) == [("G0557", 1), ("G0569", 1)]
    assert "G0569 is billed instead" in (held(result)["G0570"] or "")
    assert "one_addon_a_month" in codes(result)


def test_the_add_on_needs_a_billable_apcm_base_code() -> None:
    # APCM held (no consent): the add-on is held too, and standalone 99493 stays billable.
    result = addon_month(cocm=65, apcm_consent=None)
    assert billable(result) == [("99493", 1)]
    assert "the APCM base code G0557 it is added to is held" in (held(result)["G0569"] or "")
    # APCM held because CCM is worth more the same month: the same.
    ccm = run({("clinical_staff", "CCM"): 60, ("clinical_staff", "COCM"): 65},
              [*enrolled("APCM", "CCM", "COCM")], record(2, False))
    assert ("99493", 1) in billable(ccm) and "G0569" in held(ccm)


def test_the_add_on_needs_the_work_programs_consent() -> None:
    result = addon_month(cocm=65, cocm_consent=None)
    assert "no CoCM consent is on file for this month" in (held(result)["G0569"] or "")
    assert "G0569" not in dict(billable(result))


def test_no_add_on_without_apcm() -> None:
    result = run({("clinical_staff", "COCM"): 65}, enrolled("COCM"), record(2, False))
    assert [x.code for x in result.lines] == ["99493"]


def test_2025_has_no_add_ons() -> None:
    # G0568-G0570 are new for CY 2026.
    result = run({("clinical_staff", "COCM"): 65}, enrolled("APCM", "COCM"), record(2, False),
                 month="2025-04")
    assert [x.code for x in result.lines] == ["G0557", "99493"]


# --- Payer edits (MUEs) are warnings, not refusals; CPT caps stay caps ------------------------


def test_past_a_payer_edit_the_units_count_with_a_warning() -> None:
    # 99437's limit of 2 is an MUE (PayerReady), not a CPT cap: 150 min of the billing
    # practitioner's own time is 99491 + 4 x 99437, the 2 past the edit warned.
    result = run({("practitioner", "CCM"): 150}, enrolled("CCM"), record(2))
    assert billable(result) == [("99491", 1), ("99437", 4)]
    message = warning(result, "past_payer_edit")
    assert message.startswith("99437 has 4 units this month, 2 more than the 2 a payer's edit")
    assert "may be denied" in message
    # At the edit: no warning.
    assert "past_payer_edit" not in codes(run({("practitioner", "CCM"): 90}, enrolled("CCM"),
                                              record(2)))


def test_99458_past_its_edit_of_three() -> None:
    # CMS MUE file since July 2023 (Telecare-USA): 3 units of 99458.
    seconds = {("clinical_staff", "RPM"): 100 * 60}
    result = evaluate_patient_month(PatientMonthTotals(seconds), enrolled("RPM"),
                                    MonthFlags(interactive_contact=True), MONTH, rules(2026),
                                    record(0))
    assert billable(result) == [("99457", 1), ("99458", 4)]
    assert "past_payer_edit" in codes(result)


def test_a_cpt_cap_still_refuses() -> None:
    # 99439 at most twice (CY 2020 rule for G2058, carried to 99439): over_cap, no edit.
    result = run({("clinical_staff", "CCM"): 85}, enrolled("CCM"), record(2))
    assert billable(result) == [("99490", 1), ("99439", 2)]
    assert "over_cap" in codes(result) and "past_payer_edit" not in codes(result)


# --- Money is never silent --------------------------------------------------------------------


def test_every_billed_unconfirmed_payment_is_named_once() -> None:
    result = run({("clinical_staff", "PCM"): 65}, enrolled("PCM"), record(1))
    assert billable(result) == [("99426", 1), ("99427", 1)]  # both U in 2026
    assert codes(result).count("payment_uncertain") == 1
    assert warning(result, "payment_uncertain") == (
        "The payments shown for 99426 ($63.46) and 99427 ($52.11) are estimates that could not "
        "be confirmed in the CMS fee schedule: check the amount before relying on this "
        "month's total.")
    # A held line bills nothing: no payment warning for it.
    held_only = run({("clinical_staff", "PCM"): 65}, enrolled("PCM", consent=None), record(1))
    assert "payment_uncertain" not in codes(held_only)
    # Sourced amounts (S): no warning.
    sourced = run({("clinical_staff", "CCM"): 25}, enrolled("CCM"), record(2))
    assert "payment_uncertain" not in codes(sourced)
