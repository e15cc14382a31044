"""Eligibility beyond time: the chronic conditions on file, a complete consent and a
reviewed care plan. What each program needs is data (`[eligibility.<program>]` in the rule
file, with its source); this module reads it and judges one program's month.

A missing condition or consent element holds the lines (Medicare pays for neither without
them); a care plan never reviewed, or not within the rule's months, is a warning, because
the record of the review may live in the EHR.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from ccm_timer.core.billing import warnings as warn
from ccm_timer.core.billing.inputs import CONSENT_ELEMENTS, EnrollmentInput, RecordInput
from ccm_timer.core.billing.results import BillingWarning
from ccm_timer.core.billing.rules import Confidence, Eligibility, RulesError
from ccm_timer.core.month import months_before

_KEYS = frozenset({"chronic_conditions", "consent", "care_plan", "care_plan_review_months",
                   "cite", "source", "confidence", "note"})


def _text(d: Mapping[str, Any], key: str, where: str) -> str:
    value = d.get(key)
    if not isinstance(value, str) or not value.strip():
        raise RulesError(f"{where}.{key}: must be a non-empty string")
    return value


def _count(d: Mapping[str, Any], key: str, where: str, default: int) -> int:
    value = d.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise RulesError(f"{where}.{key}: must be a whole number, 0 or more")
    return value


def _one(program: str, d: Any) -> Eligibility:
    where = f"eligibility.{program}"
    if not isinstance(d, Mapping):
        raise RulesError(f"{where}: must be a table")
    if unknown := set(d) - _KEYS:
        raise RulesError(f"{where}: unknown key(s) {sorted(unknown)}")
    consent = d.get("consent", [])
    if not isinstance(consent, list) or any(c not in CONSENT_ELEMENTS for c in consent):
        raise RulesError(f"{where}.consent: must list consent elements from {CONSENT_ELEMENTS}")
    care_plan = d.get("care_plan", False)
    if not isinstance(care_plan, bool):
        raise RulesError(f"{where}.care_plan: must be true or false")
    try:
        confidence = Confidence(str(d.get("confidence")))
    except ValueError:
        raise RulesError(f"{where}.confidence: must be one of 'C', 'S', 'U'") from None
    return Eligibility(
        program=program,
        chronic_conditions=_count(d, "chronic_conditions", where, 0),
        consent=tuple(consent),
        care_plan=care_plan,
        care_plan_review_months=_count(d, "care_plan_review_months", where, 12) or 12,
        cite=_text(d, "cite", where),
        source=_text(d, "source", where),
        confidence=confidence,
    )


def parse_eligibility(raw: Any, programs: tuple[str, ...]) -> dict[str, Eligibility]:
    if not isinstance(raw, Mapping):
        raise RulesError("eligibility: must be a table of program tables")
    out = {}
    for program, body in raw.items():
        if program not in programs:
            raise RulesError(f"eligibility.{program}: not in the top-level programs list")
        out[program] = _one(program, body)
    return out


def judge(
    rule: Eligibility,
    enrollment: EnrollmentInput | None,
    record: RecordInput | None,
    line_count: int,
    seconds: int,
    last_day: date,
) -> tuple[list[str], list[BillingWarning]]:
    """(hold reasons, warnings) for one program's month. `enrollment` is the consented one
    that covers the month (None when there is none: the consent check has spoken)."""
    reasons: list[str] = []
    warnings: list[BillingWarning] = []
    program = rule.program
    if enrollment is not None:
        missing = [e for e in rule.consent if e not in enrollment.consent_recorded]
        if missing:
            reasons.append(f"the {program} consent is incomplete")
            if seconds:
                warnings.append(warn.consent_incomplete(rule, missing, line_count))
    if record is None:
        return reasons, warnings
    if record.chronic_conditions < rule.chronic_conditions:
        reasons.append(f"fewer than {rule.chronic_conditions} chronic condition(s) on file")
        if seconds:
            warnings.append(warn.too_few_conditions(rule, record.chronic_conditions,
                                                    line_count))
    if rule.care_plan and seconds:
        reviewed = record.care_plan_reviewed
        if reviewed is None:
            warnings.append(warn.care_plan_not_reviewed(rule, record.care_plan_items))
        elif reviewed < months_before(last_day, rule.care_plan_review_months):
            warnings.append(warn.care_plan_stale(rule, reviewed))
    return reasons, warnings
