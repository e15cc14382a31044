"""The 2026 APCM behavioral-health add-ons (G0568, G0569, G0570), after the month's lines
are settled.

What the sources say (cms-billing-rules.md 2.7; CY 2026 PFS final rule CMS-1832-F as
summarised by Gill Compliance and FairPath): billed only with an APCM base code (G0556-G0558)
by the same practitioner in the same month; valued by crosswalk to 99492 (CoCM, first
month), 99493 (CoCM, later months) and 99484 (general BHI); not time-based; standalone 99484
or 99492-99494 are not billed for that patient-month.

What the app decides from that, each a rule-file key of the add-on:
- An add-on is considered only when its `work_program` (COCM or BHI) has time logged this
  month: the app cannot see the service elements, and logged work is the evidence of them.
  `first_month` splits G0568 from G0569 by the CoCM enrolment's first month.
- It is held while the APCM base line is held, or the work program is not enrolled or its
  consent is incomplete.
- The sources disagree on time (one coding site still gives the mirrored code's 70/60/20
  minutes), so below `work_minutes` the add-on is held with a warning naming the sources,
  rather than guessed billable.
- CoCM and general BHI are one a month (CMS-1654-F): of two add-ons the one worth more is
  kept. Against the standalone codes of the same work (`not_with`), the billable one worth
  more is kept (the add-on on a tie, the form CMS made for APCM practices); the other held.
Same practitioner: the engine bills every line for the patient's billing practitioner, so
an add-on and its base always share one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from ccm_timer.core.billing import program_warnings as pw
from ccm_timer.core.billing.consent import consent_status
from ccm_timer.core.billing.eligibility import judge
from ccm_timer.core.billing.exclusions import hold_lines
from ccm_timer.core.billing.inputs import EnrollmentInput, RecordInput
from ccm_timer.core.billing.money import cents
from ccm_timer.core.billing.month_conditions import is_first_month
from ccm_timer.core.billing.results import BillingWarning, ClaimLine
from ccm_timer.core.billing.rules import CodeRule, RuleSet

TRACK = "apcm_behavioral_health"


def add_bh_addons(
    lines: list[ClaimLine],
    rules: RuleSet,
    seconds_by_program: Mapping[str, int],
    enrollments: Sequence[EnrollmentInput],
    month: tuple[date, date],
    record: RecordInput | None,
    warnings: list[BillingWarning],
) -> list[ClaimLine]:
    """`lines` with the add-ons the month supports placed after their APCM base line, and
    the standalone lines they replace held."""
    if not rules.monthly_addons:
        return lines
    bases = {code for addon in rules.monthly_addons for code in addon.billed_with}
    base = next((x for x in lines if x.code in bases), None)
    if base is None:
        return lines
    first_day, last_day = month
    candidates: list[tuple[CodeRule, list[str]]] = []
    for addon in rules.monthly_addons:
        work = addon.work_program or ""
        seconds = seconds_by_program.get(work, 0)
        if base.code not in addon.billed_with or seconds <= 0:
            continue
        if addon.first_month is not None and addon.first_month is not is_first_month(
                work, enrollments, first_day, last_day):
            continue
        reasons = []
        if base.held:
            reasons.append(f"the APCM base code {base.code} it is added to is held")
        reasons.extend(_work_held(work, rules, enrollments, month, record))
        if reasons:
            warnings.append(pw.addon_held(addon, reasons))
        if addon.work_minutes is not None and seconds < addon.work_minutes * 60:
            reasons.append(f"{pw.program_words(work)} work is below the {addon.work_minutes} "
                           f"minutes of {addon.mirrors}, and whether the add-on needs them is "
                           "not confirmed")
            warnings.append(pw.addon_time_unconfirmed(addon, seconds))
        candidates.append((addon, reasons))
    if not candidates:
        return lines

    # One add-on a month: the billable one worth most, else the first considered.
    kept, kept_held = max(candidates, key=lambda c: (not c[1], cents(c[0].payment_usd)))
    out = list(lines)
    made: list[ClaimLine] = []
    for addon, reasons in candidates:
        if addon is not kept and not kept_held and kept.code in rules.conflicts.get(
                addon.code, frozenset()):
            reasons = [*reasons, f"{kept.code} is billed instead (CoCM or general BHI, one a "
                                 "month)"]
            warnings.append(pw.one_addon(addon, kept))
        elif not reasons:
            reasons = _against_standalone(addon, out, rules, warnings)
        made.append(ClaimLine(addon.code, addon.program, TRACK, 1, 0, addon.payment_usd,
                              bool(reasons), "; ".join(reasons) or None))
    at = out.index(base) + 1
    return out[:at] + made + out[at:]


def _against_standalone(addon: CodeRule, out: list[ClaimLine], rules: RuleSet,
                        warnings: list[BillingWarning]) -> list[str]:
    """Keep the add-on or the billable standalone lines of the same work, the one worth
    more; hold the other in `out`. The add-on's hold reasons ([] when it is billed)."""
    clash = rules.conflicts.get(addon.code, frozenset())
    standalone = [x for x in out if not x.held and x.code in clash]
    if not standalone:
        return []
    if cents(sum(x.payment_usd for x in standalone)) > cents(addon.payment_usd):
        warnings.append(pw.standalone_kept(addon, standalone))
        return [f"{', '.join(x.code for x in standalone)} bill the same work this month for "
                "more"]
    warnings.append(pw.addon_replaces(addon, standalone))
    held = hold_lines(standalone, f"billed as the APCM add-on {addon.code} instead")
    for old, new in zip(standalone, held, strict=True):
        out[out.index(old)] = new
    return []


def _work_held(program: str, rules: RuleSet, enrollments: Sequence[EnrollmentInput],
               month: tuple[date, date], record: RecordInput | None) -> list[str]:
    """What would hold the work program's own lines: enrolment, consent, its eligibility."""
    status, _, consented = consent_status(program, enrollments, *month)
    words = pw.program_words(program)
    if status == "not_enrolled":
        return [f"the patient is not enrolled in {words} this month"]
    if status == "no_consent":
        return [f"no {words} consent is on file for this month"]
    rule = rules.eligibility.get(program)
    if rule is None:
        return []
    held, _ = judge(rule, consented, record, 1, 0, month[1])
    return held
