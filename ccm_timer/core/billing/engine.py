"""The billing engine: one patient-month of time in, claim lines and warnings out.

Pure and deterministic. Per patient the work is proportional to the number of programs and
codes in the rule file, not to the number of entries: entries are reduced to seconds by
(role, program) first, by `totals_from_entries` or by the caller (for example in SQL).

Decisions, in order:
1. Each entry's program decides which code family its seconds feed, so no second reaches
   two programs. Program-level oversight time (program None) is reported, never billed.
2. Per program, every available track is scored on its own pool of seconds; the one worth
   most by the rule file's payments is chosen (the earlier-listed track on a tie, which puts
   staff tracks first). Only the chosen track makes lines, so no second feeds two codes.
3. Lines are held (kept, marked not billable, with a reason) when the patient is not enrolled
   or has no consent, when a required month fact is missing (RPM interactive contact), or
   when the code cannot be billed with a more valuable code of another program.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from ccm_timer.core.billing import warnings as warn
from ccm_timer.core.billing.inputs import (
    EnrollmentInput,
    EntryInput,
    MonthFlags,
    PatientMonthInput,
    PatientMonthTotals,
    totals_from_entries,
)
from ccm_timer.core.billing.results import (
    BillingWarning,
    ClaimLine,
    NextThreshold,
    PatientMonthResult,
    TrackChoice,
)
from ccm_timer.core.billing.rules import ROLES, RuleSet, TimeBasis
from ccm_timer.core.billing.tracks import TrackOutcome, evaluate_track, pool_seconds
from ccm_timer.core.month import YearMonth, as_month

_NO_FLAGS = MonthFlags()


def _cents(value: float) -> int:
    # Compare money in whole cents so float noise cannot break a tie.
    return round(value * 100)


def _consent_status(
    program: str, enrollments: Sequence[EnrollmentInput], ym: YearMonth
) -> tuple[str, date | None]:
    """("ok" | "no_consent" | "not_enrolled", the consent date that decided it)."""
    first, last = ym.first_day, ym.last_day
    covering = [
        e for e in enrollments
        if e.program == program
        and (e.start_date is None or e.start_date <= last)
        and (e.end_date is None or e.end_date >= first)
    ]
    if not covering:
        return "not_enrolled", None
    dated = [e.consent_date for e in covering if e.consent_date is not None]
    valid = [d for d in dated if d <= last]
    if valid:
        return "ok", min(valid)
    return "no_consent", min(dated) if dated else None


def _flags_text(rules: RuleSet, flags: Iterable[str]) -> str:
    return " and ".join(rules.flag_descriptions.get(f, f.replace("_", " ")) for f in flags)


def _pick(outcomes: list[TrackOutcome]) -> TrackOutcome:
    """The track worth most; on a tie a staff-time track, then the earlier-listed one."""
    # max() keeps the first of equal keys, and `outcomes` is in rule-file order.
    return max(outcomes, key=lambda o: (_cents(o.value_usd), o.track.time is TimeBasis.STAFF))


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


def _hold(lines: list[ClaimLine], reason: str) -> list[ClaimLine]:
    return [
        ClaimLine(x.code, x.program, x.track, x.units, x.seconds, x.payment_usd, True,
                  reason if x.hold_reason is None else f"{x.hold_reason}; {reason}")
        for x in lines
    ]


def evaluate_patient_month(
    totals: PatientMonthTotals,
    enrollments: Sequence[EnrollmentInput],
    flags: MonthFlags | None,
    month: YearMonth | tuple[int, int] | str,
    rules: RuleSet,
) -> PatientMonthResult:
    """Claim lines, next thresholds and warnings for one patient's calendar month.

    `totals.seconds` maps (role, program) to seconds already clipped to the month; minutes
    never carry over between months because each month is evaluated on its own totals.
    """
    ym = as_month(month)
    if rules.year != ym.year:
        raise ValueError(f"the {rules.year} rules cannot price {ym}; load the {ym.year} rules")
    flags = flags or _NO_FLAGS

    by_role = dict.fromkeys(ROLES, 0)
    staff: dict[str, int] = {}
    practitioner: dict[str, int] = {}
    program_level = 0
    for (role, program), seconds in totals.seconds.items():
        if role not in by_role:
            raise ValueError(f"unknown role {role!r}; expected one of {ROLES}")
        if seconds < 0:
            raise ValueError(f"negative seconds for ({role}, {program})")
        if program is None:
            program_level += seconds
            continue
        by_role[role] += seconds
        side = practitioner if role == "practitioner" else staff
        side[program] = side.get(program, 0) + seconds

    known = list(rules.programs)
    extra = sorted({*staff, *practitioner} - set(known))
    by_program = {
        p: staff.get(p, 0) + practitioner.get(p, 0)
        for p in known + extra
        if staff.get(p, 0) + practitioner.get(p, 0) > 0
    }
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
        for track in rules.tracks_by_program.get(program, ()):
            outcome = evaluate_track(track, pool_seconds(track, s_staff, s_prac))
            if all(flags.has(f) for f in track.requires):
                available.append(outcome)
            elif outcome.earned:
                gated.append(outcome)
        if not available:
            continue

        chosen = _pick(available)
        for outcome in gated:
            # Point it out only when the flag would change what is billed.
            if _cents(outcome.value_usd) > _cents(chosen.value_usd):
                missing = [f for f in outcome.track.requires if not flags.has(f)]
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
            if o.next_code is not None and o.next_at_seconds is not None:
                nexts.append(NextThreshold(program, o.track.name, o.next_code,
                                           o.next_at_seconds, o.next_at_seconds - o.pool_seconds,
                                           o is chosen))

        reasons: list[str] = []
        status, consent = _consent_status(program, enrollments, ym)
        line_count = int(chosen.base_units > 0) + int(chosen.addon_units > 0)
        if status == "not_enrolled":
            reasons.append(f"not enrolled in {program} this month")
            if seconds:
                warnings.append(warn.not_enrolled(program, seconds, line_count))
        elif status == "no_consent":
            reasons.append(f"no {program} consent on file for this month")
            if seconds:
                warnings.append(warn.no_consent(program, line_count, consent))
        elif consent is not None and consent > ym.first_day and seconds:
            warnings.append(warn.consent_during_month(program, consent))
        missing = [f for f in chosen.track.hold_unless if not flags.has(f)]
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

    lines = _resolve_exclusions(groups, rules, warnings)

    for program in extra:
        warnings.append(warn.unknown_program(program, by_program[program], rules.year))
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
    )


def _resolve_exclusions(
    groups: dict[str, tuple[list[ClaimLine], float, bool]],
    rules: RuleSet,
    warnings: list[BillingWarning],
) -> list[ClaimLine]:
    """Keep the compatible set of programs worth most; hold the lines of the others.

    Programs clash when one's code lists the other's in `not_with` (PCM and CCM by the same
    practitioner). The kept set maximises billable value, then held value, then rule-file
    order. An exhaustive search is cheap (at most 2^6 sets) and, unlike a greedy pass, never
    lets more minutes produce a smaller billable total.
    """
    programs = [p for p in rules.programs if p in groups]
    codes = [{line.code for line in groups[p][0]} for p in programs]
    n = len(programs)
    clash = [0] * n
    for i in range(n):
        reach = set().union(*(rules.conflicts.get(c, frozenset()) for c in codes[i]))
        for j in range(n):
            if i != j and reach & codes[j]:
                clash[i] |= 1 << j
                clash[j] |= 1 << i
    if not any(clash):
        return [line for p in programs for line in groups[p][0]]

    def score(mask: int) -> tuple[int, int, int]:
        billable = held = order = 0
        for i in range(n):
            if mask >> i & 1:
                _, value, is_held = groups[programs[i]]
                if is_held:
                    held += _cents(value)
                else:
                    billable += _cents(value)
                order += 1 << (n - 1 - i)  # earlier programs weigh more on a tie
        return billable, held, order

    compatible = (m for m in range(1 << n) if all(not (m >> i & 1) or not clash[i] & m
                                                   for i in range(n)))
    keep = max(compatible, key=score)
    out: list[ClaimLine] = []
    for i, program in enumerate(programs):
        lines = groups[program][0]
        if keep >> i & 1:
            out.extend(lines)
            continue
        j = next(j for j in range(n) if keep >> j & 1 and clash[i] >> j & 1)
        other_program = programs[j]
        code, other = next(
            (c, o) for c in sorted(codes[i])
            for o in sorted(rules.conflicts.get(c, frozenset())) if o in codes[j]
        )
        warnings.append(warn.excluded(program, code, other, other_program))
        out.extend(_hold(lines, f"cannot be billed with {other} ({other_program}) in the same "
                                "month by the same practitioner"))
    return out


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
    ym = as_month(month)
    return [
        evaluate_patient_month(p.totals, p.enrollments, p.flags, ym, rules) for p in patients
    ]
