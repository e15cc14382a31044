"""Eligibility beyond time (core/billing/eligibility.py): the chronic conditions on file,
the consent's elements and the care plan's review, judged by the real rule files; and the
`[eligibility]` tables' parser refusing what it cannot trust."""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Mapping
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from ccm_timer.core.billing import (
    EnrollmentInput,
    MonthFlags,
    PatientMonthResult,
    PatientMonthTotals,
    RecordInput,
    RulesError,
    RuleSet,
    evaluate_patient_month,
    parse_rules,
)
from ccm_timer.core.billing.inputs import CONSENT_ELEMENTS
from ccm_timer.core.billing.warnings import CONSENT_WORDS

RULES_DIR = Path(__file__).resolve().parents[3] / "resources" / "billing_rules"
OLD_CONSENT = date(2024, 6, 1)
REVIEWED = date(2025, 3, 10)  # within 12 months of May 2025
MONTH = "2025-05"

CCM_45 = {("clinical_staff", "CCM"): 45}
PCM_30 = {("clinical_staff", "PCM"): 30}
RPM_20 = {("clinical_staff", "RPM"): 20}
CONTACT = MonthFlags(interactive_contact=True)


def raw(year: int) -> dict[str, Any]:
    return tomllib.loads((RULES_DIR / f"{year}.toml").read_text("utf-8"))


@cache
def rules(year: int) -> RuleSet:
    return parse_rules(raw(year))


def record(chronic: int, *, reviewed: date | None = REVIEWED, items: int = 3,
           conditions: int | None = None) -> RecordInput:
    return RecordInput(chronic_conditions=chronic,
                       conditions=chronic if conditions is None else conditions,
                       care_plan_items=items, care_plan_reviewed=reviewed)


def run(minutes: Mapping[tuple[str, str], float], program: str, rec: RecordInput | None, *,
        consent: frozenset[str] = frozenset(CONSENT_ELEMENTS), flags: MonthFlags | None = None,
        month: str = MONTH) -> PatientMonthResult:
    seconds: dict[tuple[str, str | None], int] = {k: round(m * 60) for k, m in minutes.items()}
    enrolled = [EnrollmentInput(program, OLD_CONSENT, consent_recorded=consent)]
    return evaluate_patient_month(PatientMonthTotals(seconds), enrolled, flags, month,
                                  rules(int(month[:4])), rec)


def held(result: PatientMonthResult) -> dict[str, str | None]:
    return {line.code: line.hold_reason for line in result.lines if line.held}


def billable(result: PatientMonthResult) -> list[str]:
    return [line.code for line in result.lines if not line.held]


def codes(result: PatientMonthResult) -> list[str]:
    """The warnings about eligibility: 2025's 99490 and 99457 amounts are unconfirmed
    estimates, warned on every billed month (tests/core/billing/test_programs.py)."""
    return [w.code for w in result.warnings if w.code != "payment_uncertain"]


# --- chronic conditions on file --------------------------------------------------------------


@pytest.mark.parametrize("found", [0, 1])
def test_ccm_is_held_short_of_two_chronic_conditions(found: int) -> None:
    result = run(CCM_45, "CCM", record(found, conditions=found + 1))
    assert billable(result) == []
    assert held(result) == {"99490": "fewer than 2 chronic condition(s) on file",
                            "99439": "fewer than 2 chronic condition(s) on file"}
    assert codes(result) == ["too_few_conditions"]
    message = result.warnings[0].message
    have = "none is recorded" if found == 0 else "1 is recorded"
    # What is missing, what is held, what to do and the source.
    assert message.startswith(f"CCM needs 2 chronic conditions on file and {have}")
    assert "2 claim lines are held until they are added to the patient record" in message
    assert "(CMS MLN909188)" in message and result.warnings[0].program == "CCM"


def test_ccm_bills_with_two_chronic_conditions() -> None:
    result = run(CCM_45, "CCM", record(2))
    assert billable(result) == ["99490", "99439"]
    assert codes(result) == []


def test_only_chronic_conditions_count() -> None:
    # Five conditions on file, one of them chronic: the count that matters is one.
    assert codes(run(CCM_45, "CCM", record(1, conditions=5))) == ["too_few_conditions"]


def test_complex_and_practitioner_ccm_are_held_too() -> None:
    flags = MonthFlags(complex_mdm=True, care_plan_revised=True)
    complex_ccm = run({("clinical_staff", "CCM"): 90}, "CCM", record(1), flags=flags)
    assert set(held(complex_ccm)) == {"99487", "99489"} and billable(complex_ccm) == []
    # The practitioner's own 30 minutes (99491, or the staff codes when they pay more).
    personal = run({("practitioner", "CCM"): 30}, "CCM", record(1))
    assert held(personal) and billable(personal) == []
    assert set(held(personal).values()) == {"fewer than 2 chronic condition(s) on file"}


@pytest.mark.parametrize(("found", "bills"), [(0, False), (1, True), (2, True)])
def test_pcm_needs_one_chronic_condition(found: int, bills: bool) -> None:
    result = run(PCM_30, "PCM", record(found))
    assert (billable(result) == ["99426"]) is bills
    if not bills:
        assert held(result) == {"99426": "fewer than 1 chronic condition(s) on file"}
        assert result.warnings[0].message.startswith(
            "PCM needs 1 chronic condition on file and none is recorded")


@pytest.mark.parametrize("month", ["2025-05", "2026-05"])
def test_rpm_needs_no_condition(month: str) -> None:
    result = run(RPM_20, "RPM", record(0, reviewed=None, items=0), flags=CONTACT, month=month)
    assert billable(result) == ["99457"]
    assert codes(result) == []  # nor a care plan


def test_no_record_skips_the_condition_check() -> None:
    # record=None: the caller has no record to judge (a unit test of the time rules).
    result = run(CCM_45, "CCM", None)
    assert billable(result) == ["99490", "99439"] and codes(result) == []


def test_no_time_no_warning_but_the_reason_stands() -> None:
    # Enrolled with no minutes: nothing to hold, so nothing to warn about.
    result = run({}, "CCM", record(0))
    assert result.lines == () and result.warnings == ()


# --- the consent's elements ------------------------------------------------------------------


@pytest.mark.parametrize("element", CONSENT_ELEMENTS)
def test_each_missing_consent_element_holds_the_lines(element: str) -> None:
    result = run(CCM_45, "CCM", record(2), consent=frozenset(CONSENT_ELEMENTS) - {element})
    assert billable(result) == []
    assert held(result) == {"99490": "the CCM consent is incomplete",
                            "99439": "the CCM consent is incomplete"}
    assert codes(result) == ["consent_incomplete"]
    message = result.warnings[0].message
    assert f"does not record {CONSENT_WORDS[element]};" in message
    assert "held until the consent is completed in the patient record" in message
    assert "(CMS MLN909188)" in message


def test_every_missing_element_is_named_once() -> None:
    result = run(CCM_45, "CCM", record(2), consent=frozenset())
    message = result.warnings[0].message
    for element in CONSENT_ELEMENTS:
        assert message.count(CONSENT_WORDS[element]) == 1, element


def test_a_complete_consent_bills() -> None:
    assert billable(run(CCM_45, "CCM", record(2))) == ["99490", "99439"]


def test_rpm_asks_only_for_its_own_elements() -> None:
    # RPM's rule lists method and who obtained it, not the CCM disclosures.
    partial = frozenset({"method", "obtained_by"})
    assert billable(run(RPM_20, "RPM", None, consent=partial, flags=CONTACT)) == ["99457"]
    result = run(RPM_20, "RPM", None, consent=frozenset({"method"}), flags=CONTACT)
    assert held(result) == {"99457": "the RPM consent is incomplete"}


def test_short_conditions_and_consent_give_both_reasons() -> None:
    result = run(CCM_45, "CCM", record(1), consent=frozenset(CONSENT_ELEMENTS) - {"method"})
    assert held(result)["99490"] == ("the CCM consent is incomplete; fewer than 2 chronic "
                                     "condition(s) on file")
    assert codes(result) == ["consent_incomplete", "too_few_conditions"]


# --- the care plan's review (a warning, never a hold) -----------------------------------------


def test_a_plan_never_reviewed_warns_without_holding() -> None:
    result = run(CCM_45, "CCM", record(2, reviewed=None))
    assert billable(result) == ["99490", "99439"]
    assert codes(result) == ["care_plan_not_reviewed"]
    assert result.warnings[0].message.startswith("The care plan has never been reviewed")
    none = run(CCM_45, "CCM", record(2, reviewed=None, items=0))
    assert none.warnings[0].message.startswith("No care plan is on file")


@pytest.mark.parametrize(("reviewed", "stale"), [
    (date(2024, 5, 31), False),  # exactly 12 months before the month's end
    (date(2024, 5, 30), True),
    (date(2025, 5, 31), False),
])
def test_a_review_older_than_twelve_months_warns(reviewed: date, stale: bool) -> None:
    result = run(CCM_45, "CCM", record(2, reviewed=reviewed))
    assert billable(result) == ["99490", "99439"]
    assert codes(result) == (["care_plan_stale"] if stale else [])
    if stale:
        assert result.warnings[0].message == (
            "The care plan was last reviewed on 2024-05-30, more than 12 months before this "
            "month's end: review it before billing CCM (CMS MLN909188).")


# --- the rule file's [eligibility] tables ----------------------------------------------------


@pytest.mark.parametrize("year", [2025, 2026])
def test_the_real_tables(year: int) -> None:
    elig = rules(year).eligibility
    assert (elig["CCM"].chronic_conditions, elig["PCM"].chronic_conditions) == (2, 1)
    assert elig["RPM"].chronic_conditions == 0 and not elig["RPM"].care_plan
    assert elig["CCM"].consent == CONSENT_ELEMENTS and elig["CCM"].care_plan
    for rule in elig.values():
        assert rule.cite and rule.source


def _broken(change) -> dict[str, Any]:
    data = copy.deepcopy(raw(2025))
    change(data["eligibility"])
    return data


@pytest.mark.parametrize(("change", "words"), [
    (lambda e: e["CCM"].update(chronic=2), "eligibility.CCM: unknown key(s) ['chronic']"),
    (lambda e: e["CCM"].update(consent=["method", "signature"]),
     "eligibility.CCM.consent: must list consent elements"),
    (lambda e: e["CCM"].update(consent="method"), "eligibility.CCM.consent"),
    (lambda e: e.update(TCM={"cite": "x", "source": "y", "confidence": "C"}),
     "eligibility.TCM: not in the top-level programs list"),
    (lambda e: e["PCM"].update(chronic_conditions=-1),
     "eligibility.PCM.chronic_conditions: must be a whole number"),
    (lambda e: e["PCM"].update(chronic_conditions=True),
     "eligibility.PCM.chronic_conditions: must be a whole number"),
    (lambda e: e["PCM"].update(care_plan="yes"), "eligibility.PCM.care_plan: must be true"),
    (lambda e: e["RPM"].pop("cite"), "eligibility.RPM.cite: must be a non-empty string"),
    (lambda e: e["RPM"].update(confidence="X"), "eligibility.RPM.confidence"),
    (lambda e: e.update(BHI="consent"), "eligibility.BHI: must be a table"),
])
def test_bad_tables_are_refused(change, words: str) -> None:
    with pytest.raises(RulesError) as found:
        parse_rules(_broken(change))
    assert words in str(found.value)


def test_eligibility_must_be_a_table() -> None:
    data = copy.deepcopy(raw(2025))
    data["eligibility"] = ["CCM"]
    with pytest.raises(RulesError, match="eligibility: must be a table"):
        parse_rules(data)


def test_no_table_means_no_eligibility_rule() -> None:
    data = copy.deepcopy(raw(2025))
    del data["eligibility"]
    parsed = parse_rules(data)
    assert dict(parsed.eligibility) == {}
    seconds = {("clinical_staff", "CCM"): 45 * 60}
    result = evaluate_patient_month(
        PatientMonthTotals(seconds), [EnrollmentInput("CCM", OLD_CONSENT,
                                                      consent_recorded=frozenset())],
        None, MONTH, parsed, record(0))
    assert [line.code for line in result.lines if not line.held] == ["99490", "99439"]
