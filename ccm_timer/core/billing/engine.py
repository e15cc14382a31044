"""The billing engine: one patient-month of time in, claim lines and warnings out.

Pure and deterministic. Per patient the work is proportional to the number of programs and
codes in the rule file, not to the number of entries: entries are reduced to seconds by
(role, program) first, by `totals_from_rows` / `totals_from_entries` or by the caller (for
example in SQL).

Decisions, in order:
1. Each entry's program decides which code family its seconds feed, so no second reaches
   two programs. Program-level oversight time (program None) is reported, never billed.
   Whose seconds they are decides which tracks count them (whose_time.py): a code that
   needs the billing practitioner's own time never counts another practitioner's, and
   time before a program's consent day is left out by the caller and shown apart
   (consent.py).
2. Per program, every available track is scored on its own pool of seconds; the one worth
   most by the rule file's payments is chosen (on a tie a staff-time track, then the
   earlier-listed one). Only the chosen track makes lines, so no second feeds two codes.
3. Lines are held (kept, marked not billable, with a reason) when the patient is not enrolled
   or has no consent, when the consent or the chronic conditions on file fall short of the
   program's eligibility rule (eligibility.py), when a required month fact is missing (RPM
   interactive contact), or when the code cannot be billed in the same month with a code of
   another program that was kept (see exclusions.py for which is kept).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from functools import cache

from ccm_timer.core.billing import program_warnings
from ccm_timer.core.billing import warnings as warn
from ccm_timer.core.billing.apcm_addons import add_bh_addons
from ccm_timer.core.billing.consent import consent_status
from ccm_timer.core.billing.eligibility import judge
from ccm_timer.core.billing.exclusions import resolve_exclusions
from ccm_timer.core.billing.inputs import (
    EnrollmentInput,
    EntryInput,
    MonthFlags,
    PatientMonthInput,
    PatientMonthTotals,
    RecordInput,
    totals_from_entries,
)
from ccm_timer.core.billing.money import cents
from ccm_timer.core.billing.month_conditions import applicable
from ccm_timer.core.billing.results import (
    BillingWarning,
    ClaimLine,
    NextThreshold,
    PatientMonthResult,
    TrackChoice,
)
from ccm_timer.core.billing.rules import FLAGS, RuleSet, TimeBasis
from ccm_timer.core.billing.tracks import TrackOutcome, evaluate_track, pool_seconds
from ccm_timer.core.billing.whose_time import pools
from ccm_timer.core.month import YearMonth, as_month

_NO_FLAGS = MonthFlags()


@cache
def _flags_on(flags: MonthFlags) -> frozenset[str]:
    return frozenset(f for f in FLAGS if getattr(flags, f))


def _flags_text(rules: RuleSet, flags: Iterable[str]) -> str:
    return " and ".join(rules.flag_descriptions.get(f, f.replace("_", " ")) for f in flags)


def _pick(outcomes: list[TrackOutcome]) -> TrackOutcome:
    """The track worth most; on a tie a staff-time track, then the earlier-listed one."""
    # max() keeps the first of equal keys, and `outcomes` is in rule-file order.
    return max(outcomes, key=lambda o: (cents(o.value_usd), o.track.time is TimeBasis.STAFF))


def _lines_for(outcome: TrackOutcome, reasons: list[str]) -> list[ClaimLine]:
    track = outcome.track
    reason = "; ".join(reasons) or None
    held = bool(reasons)
    lines = []
    if outcome.base_units:
        base = track.base
        lines.append(ClaimLine(base.code, track.program, track.name, 1, outcome.base_seconds,
                               base.payment_usd, held, reason))
    if outcome.addon_units and track.addon is not None:
        addon = track.addon
        lines.append(ClaimLine(addon.code, track.program, track.name, outcome.addon_units,
                               outcome.addon_seconds, outcome.addon_units * addon.payment_usd,
                               held, reason))
    return lines


def _month_context(
    month: YearMonth | tuple[int, int] | str, rules: RuleSet
) -> tuple[YearMonth, date, date]:
    ym = as_month(month)
    if rules.year != ym.year:
        raise ValueError(f"the {rules.year} rules cannot price {ym}; load the {ym.year} rules")
    return ym, ym.first_day, ym.last_day


def evaluate_patient_month(
    totals: PatientMonthTotals,
    enrollments: Sequence[EnrollmentInput],
    flags: MonthFlags | None,
    month: YearMonth | tuple[int, int] | str,
    rules: RuleSet,
    record: RecordInput | None = None,
) -> PatientMonthResult:
    """Claim lines, next thresholds and warnings for one patient's calendar month.

    `totals.seconds` maps (role, program) to seconds already clipped to the month; minutes
    never carry over between months because each month is evaluated on its own totals.
    """
    return _evaluate(totals, enrollments, flags, _month_context(month, rules), rules, record)


def _evaluate(
    totals: PatientMonthTotals,
    enrollments: Sequence[EnrollmentInput],
    flags: MonthFlags | None,
    context: tuple[YearMonth, date, date],
    rules: RuleSet,
    record: RecordInput | None = None,
) -> PatientMonthResult:
    ym, first_day, last_day = context
    on = _flags_on(flags or _NO_FLAGS)

    whose = pools(totals)
    # staff: what clinical-staff codes count; practitioner: the billing practitioner's own.
    by_role, staff, practitioner = whose.by_role, whose.staff, whose.own
    program_level = whose.program_level
    known = rules.programs
    by_program = whose.by_program(known)
    extra = [p for p in by_program if p not in known]
    before_consent = totals.before_consent
    enrolled_programs = {e.program for e in enrollments}

    warnings: list[BillingWarning] = []
    tracks: list[TrackChoice] = []
    nexts: list[NextThreshold] = []
    # program -> (its lines, value of its chosen track, held before exclusions)
    groups: dict[str, tuple[list[ClaimLine], float, bool]] = {}

    for program in known:
        seconds = by_program.get(program, 0)
        if not seconds and program not in enrolled_programs:
            continue
        s_staff, s_prac = staff.get(program, 0), practitioner.get(program, 0)
        available: list[TrackOutcome] = []
        gated: list[TrackOutcome] = []  # tracks a month flag would have made available
        for track in applicable(rules, program, record, enrollments, first_day, last_day):
            outcome = evaluate_track(track, pool_seconds(track, s_staff, s_prac))
            if on.issuperset(track.requires):
                available.append(outcome)
            elif outcome.earned:
                gated.append(outcome)
        if not available:
            continue

        chosen = _pick(available)
        for outcome in gated:
            # Point it out only when the flag would change what is billed.
            if cents(outcome.value_usd) > cents(chosen.value_usd):
                missing = [f for f in outcome.track.requires if f not in on]
                warnings.append(warn.flag_required(outcome, _flags_text(rules, missing)))
        rest = [o for o in available if o is not chosen]
        alternative = _pick(rest) if rest else None
        tracks.append(TrackChoice(
            program, chosen.track.name, chosen.pool_seconds, chosen.value_usd,
            None if alternative is None else alternative.track.name,
            None if alternative is None else alternative.pool_seconds,
            None if alternative is None else alternative.value_usd,
        ))
        for o in available:
            if o.next_at_seconds is not None:
                nexts.append(NextThreshold(program, o.track.name, o.next_code or "",
                                           o.next_at_seconds, o.next_at_seconds - o.pool_seconds,
                                           o is chosen))

        reasons: list[str] = []
        status, consent, consented = consent_status(program, enrollments, first_day,
                                                    last_day)
        line_count = int(chosen.base_units > 0) + int(chosen.addon_units > 0)
        if status == "not_enrolled":
            reasons.append(f"not enrolled in {program} this month")
            if seconds:
                warnings.append(warn.not_enrolled(program, seconds, line_count))
        elif status == "no_consent":
            reasons.append(f"{program} consent dated after this month" if consent is not None
                           else f"no {program} consent on file for this month")
            if seconds:
                warnings.append(warn.no_consent(program, line_count, consent))
        elif consent is not None and consent > first_day:
            if before_consent is None:
                if seconds:  # the caller did not split the month at the consent day
                    warnings.append(warn.consent_unsplit(program, consent))
            elif before_consent.get(program):
                warnings.append(warn.consent_during_month(program, consent,
                                                          before_consent[program]))
        if not totals.billing_practitioner and s_prac:
            own = [o for o in (*available, *gated)
                   if o.track.time is TimeBasis.PRACTITIONER and o.earned]
            if chosen.track.time is TimeBasis.PRACTITIONER:
                reasons.append("no billing practitioner is named for the patient")
            if own:
                warnings.append(warn.no_billing_practitioner(
                    program, s_prac, own[0].track.codes,
                    line_count if chosen.track.time is TimeBasis.PRACTITIONER else 0))
        if (rule := rules.eligibility.get(program)) is not None:
            held, found = judge(rule, consented, record, line_count, seconds, last_day)
            reasons.extend(held)
            warnings.extend(found)
        missing = [f for f in chosen.track.hold_unless if f not in on]
        if missing:
            needs = _flags_text(rules, missing)
            reasons.append(f"needs {needs}")
            if chosen.earned:
                warnings.append(warn.flag_missing(program, chosen.track.codes[:line_count], needs))
        if chosen.over_cap_seconds:
            warnings.append(warn.over_cap(chosen))
        if s_staff and s_prac and alternative is not None and alternative.track.time != (
            chosen.track.time
        ):
            warnings.append(warn.both_roles(program, s_staff, s_prac, chosen, alternative))

        lines = _lines_for(chosen, reasons)
        if lines:
            groups[program] = (lines, chosen.value_usd, bool(reasons))

    warnings.extend(program_warnings.held_without_time(groups, by_program, rules))
    lines = resolve_exclusions(groups, rules, warnings)
    lines = add_bh_addons(lines, rules, by_program, enrollments, (first_day, last_day), record,
                          warnings)
    warnings.extend(program_warnings.for_lines(lines, rules, record))

    for program in extra:
        warnings.append(warn.unknown_program(program, by_program[program], rules.year))
    order = {p: i for i, p in enumerate((*known, *extra))}
    for item in sorted(whose.others, key=lambda o: (order.get(o.program, len(order)),
                                                     o.name)):
        warnings.append(warn.other_practitioner(item,
                                                rules.tracks_by_program.get(item.program, ())))
    warnings.extend(warn.overlap(o) for o in totals.overlaps)
    warnings.extend(warn.long_entry(e) for e in totals.long_entries)
    if program_level:
        warnings.append(warn.program_level_time(program_level))

    return PatientMonthResult(
        month=str(ym),
        rules_year=rules.year,
        seconds_by_role=by_role,
        seconds_by_program=by_program,
        program_level_seconds=program_level,
        lines=tuple(lines),
        next=tuple(nexts),
        tracks=tuple(tracks),
        warnings=tuple(warnings),
        seconds_before_consent={p: s for p, s in (before_consent or {}).items() if s},
        others=tuple(whose.others),
    )


def evaluate_entries(
    entries: Iterable[EntryInput],
    enrollments: Sequence[EnrollmentInput],
    flags: MonthFlags | None,
    month: YearMonth | tuple[int, int] | str,
    rules: RuleSet,
) -> PatientMonthResult:
    """`evaluate_patient_month` for callers holding one patient's entries for the month."""
    return evaluate_patient_month(totals_from_entries(entries), enrollments, flags, month, rules)


def evaluate_many(
    patients: Iterable[PatientMonthInput],
    month: YearMonth | tuple[int, int] | str,
    rules: RuleSet,
) -> list[PatientMonthResult]:
    """Evaluate many patient-months against one rule set; results keep the input order."""
    context = _month_context(month, rules)
    return [_evaluate(p.totals, p.enrollments, p.flags, context, rules, p.record)
            for p in patients]
