"""Is a patient's record complete enough to bill, today? The start dialog asks at every
selection, so this is one small read (the patient, their enrolments, the codes on file and
the last care-plan review) and never the ICD-10-CM code set: whether a code is chronic
comes from the chronic-condition list (chronic_list.py), what each program needs from the
rule file's `[eligibility]` tables (the same rules the month report holds lines by).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from sqlmodel import col, select

from ccm_timer.core.billing.inputs import CONSENT_ELEMENTS
from ccm_timer.core.billing.rules import Eligibility
from ccm_timer.core.enrolment import enrolled_on
from ccm_timer.core.month import months_before
from ccm_timer.services.context import AppContext
from ccm_timer.services.month.billing_rules import MissingBillingRules, rules_for_month
from ccm_timer.services.people import conditions, enrollments, patients
from ccm_timer.services.people.chronic_list import chronic_list
from ccm_timer.services.people.enrollments import DISCLOSURES, EnrollmentView
from ccm_timer.store.models import CarePlanItem, CarePlanReview

PARTS = ("conditions", "consent", "care_plan")
# A consent element (the rule file's name) in words, as EnrollmentView.consent_missing says it.
CONSENT_WORDS = {"method": "how it was given", "obtained_by": "who obtained it",
                 **{name.replace("-", "_"): f"the {name} disclosure" for name in DISCLOSURES}}


@dataclass(frozen=True)
class RecordStatus:
    mrn: str
    programs: tuple[str, ...]  # the programs the patient is enrolled in today
    problems: tuple[str, ...]  # what keeps the record from billing, short, most urgent first
    chronic_conditions: int = 0
    reviewed_on: date | None = None  # the care plan's last review, in the clinic's zone
    parts: frozenset[str] = frozenset()  # of PARTS: which part of the record is short

    @property
    def complete(self) -> bool:
        return not self.problems


def recorded(e: EnrollmentView) -> frozenset[str]:
    """The consent elements on file (CONSENT_ELEMENTS names), as the month report counts them."""
    found = {name.replace("-", "_") for name in e.disclosures}
    if e.consent_method in ("verbal", "written"):
        found.add("method")
    if e.consent_by:
        found.add("obtained_by")
    return frozenset(found)


def consent_missing(e: EnrollmentView, needed: Iterable[str]) -> tuple[str, ...]:
    """What the program's rule asks of a consent and this one lacks, in words; the date
    alone when there is no consent at all."""
    if e.consent_date is None:
        return ("the consent date",)
    wanted, have = set(needed), recorded(e)
    return tuple(CONSENT_WORDS[x] for x in CONSENT_ELEMENTS if x in wanted and x not in have)


def active(e: EnrollmentView, today: date) -> bool:
    """Enrolled today: not ended, not withdrawn."""
    return enrolled_on(e.withdrawn_on, e.end_date, today)


def _short(missing: tuple[str, ...]) -> str:
    """"who obtained it and 2 disclosures": the disclosures counted, the rest named."""
    told = [m for m in missing if m.endswith(" disclosure")]
    rest = [m for m in missing if m not in told]
    if len(told) > 1:
        rest.append(f"{len(told)} disclosures")
    else:
        rest += told
    return rest[0] if len(rest) == 1 else f"{', '.join(rest[:-1])} and {rest[-1]}"


def problems_for(programs: list[EnrollmentView], rules: Mapping[str, Eligibility],
                 chronic: int, reviewed_on: date | None, today: date,
                 has_plan: bool = True) -> list[tuple[str, str]]:
    """(part, words) for each problem, most urgent first."""
    out: list[tuple[str, str]] = []
    needed = max((rules[e.program.value].chronic_conditions for e in programs
                  if e.program.value in rules), default=0)
    if chronic < needed:
        which = "/".join(e.program.value for e in programs if e.program.value in rules
                         and rules[e.program.value].chronic_conditions > chronic)
        have = "no chronic condition" if chronic == 0 else (
            f"{chronic} chronic condition{'s' if chronic != 1 else ''}")
        out.append(("conditions", f"{have} ({which} needs {needed})"))
    for e in programs:
        rule = rules.get(e.program.value)
        if e.consent_date is None:
            out.append(("consent", f"no {e.program.value} consent"))
        elif rule is not None and (missing := consent_missing(e, rule.consent)):
            out.append(("consent", f"{e.program.value} consent missing {_short(missing)}"))
    plan_rules = [rules[e.program.value] for e in programs
                  if e.program.value in rules and rules[e.program.value].care_plan]
    if plan_rules:
        months = min(r.care_plan_review_months for r in plan_rules)
        if not has_plan:
            out.append(("care_plan", "no care plan"))
        elif reviewed_on is None:
            out.append(("care_plan", "care plan never reviewed"))
        elif reviewed_on < months_before(today, months):
            out.append(("care_plan", f"care plan not reviewed since {reviewed_on.isoformat()}"))
    return out


def record_status(ctx: AppContext, mrn: str) -> RecordStatus:
    """The patient's programs today and what their record lacks for billing them."""
    today = ctx.now().astimezone(ctx.zone).date()
    chronic = chronic_list(ctx.paths.settings_dir)
    with ctx.read() as session:
        patient = patients.find(session, mrn)
        enrolled = enrollments.for_patient(session, patient.id)
        codes = {c.code for c in conditions.current(session, patient.id)}
        last = session.exec(select(CarePlanReview.reviewed_at)
                            .where(CarePlanReview.patient_id == patient.id)
                            .order_by(col(CarePlanReview.reviewed_at).desc()).limit(1)).first()
        has_plan = session.exec(select(CarePlanItem.id).where(
            CarePlanItem.patient_id == patient.id, col(CarePlanItem.ended_at).is_(None))
            .limit(1)).first() is not None
    programs = [e for e in enrolled if active(e, today)]
    count = sum(1 for code in codes if chronic.is_chronic(code))
    reviewed_on = last.astimezone(ctx.zone).date() if last is not None else None
    rules: Mapping[str, Eligibility]
    try:
        rules = rules_for_month((today.year, today.month)).eligibility
    except MissingBillingRules:  # the report says so; no rules, nothing to judge here
        rules = {}
    found = problems_for(programs, rules, count, reviewed_on, today, has_plan)
    return RecordStatus(patient.mrn, tuple(e.program.value for e in programs),
                        tuple(text for _, text in found), count, reviewed_on,
                        frozenset(part for part, _ in found))
