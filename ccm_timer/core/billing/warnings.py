"""Warning codes and their plain-English sentences.

Codes are stable identifiers for programs and tests; sentences are for people and may be
reworded. No patient identifier ever appears here: entry ids are opaque.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from ccm_timer.core.billing.inputs import LongEntry, OtherPractitionerTime, Overlap
from ccm_timer.core.billing.results import BillingWarning
from ccm_timer.core.billing.rules import Eligibility, TimeBasis, Track
from ccm_timer.core.billing.tracks import TrackOutcome

NO_CONSENT = "no_consent"
CONSENT_DURING_MONTH = "consent_during_month"
NOT_ENROLLED = "not_enrolled"
OVER_CAP = "over_cap"
OVERLAP = "overlap"
LONG_ENTRY = "long_entry"
PROGRAM_LEVEL_TIME = "program_level_time"
EXCLUDED_SAME_MONTH = "excluded_same_month"
FLAG_MISSING = "flag_missing"  # lines held until a month flag is set (RPM contact)
FLAG_REQUIRED = "flag_required"  # a track not considered because a flag is unset
BOTH_ROLES = "both_roles"
UNKNOWN_PROGRAM = "unknown_program"
CONSENT_INCOMPLETE = "consent_incomplete"
TOO_FEW_CONDITIONS = "too_few_conditions"
CARE_PLAN_NOT_REVIEWED = "care_plan_not_reviewed"
CARE_PLAN_STALE = "care_plan_stale"
OTHER_PRACTITIONER = "other_practitioner"  # another practitioner's time, shown apart
NO_BILLING_PRACTITIONER = "no_billing_practitioner"

# How each consent element (inputs.CONSENT_ELEMENTS) is named in a sentence.
CONSENT_WORDS = {
    "method": "how it was given (verbal or written)",
    "obtained_by": "who obtained it",
    "cost_sharing": "that cost sharing applies",
    "one_practitioner": "that only one practitioner can bill the service in a month",
    "right_to_stop": "that the patient may stop at any time",
}


# Programs whose stored name is not how people say it; the others (CCM, PCM, BHI, RPM,
# APCM...) are said as they are.
PROGRAM_WORDS = {"CPO_HOME_HEALTH": "care plan oversight (home health)",
                 "CPO_HOSPICE": "care plan oversight (hospice)", "COCM": "CoCM"}


def _said(program: str) -> str:
    return PROGRAM_WORDS.get(program, program)


def duration(seconds: int) -> str:
    """"19 min 59 s", "75 min", "5 h 10 min": exact, never rounded up."""
    minutes, secs = divmod(seconds, 60)
    if minutes >= 240:
        hours, mins = divmod(minutes, 60)
        return f"{hours} h {mins} min" if mins else f"{hours} h"
    if minutes == 0:
        return f"{secs} s"
    return f"{minutes} min {secs} s" if secs else f"{minutes} min"


def money(value: float) -> str:
    return f"${value:,.2f}"


def _lines(count: int) -> str:
    return "1 claim line is" if count == 1 else f"{count} claim lines are"


def codes(track: Track) -> str:
    """A track as people name it: its codes, "99490/99439"."""
    return "/".join(track.codes)


def _families(tracks: Iterable[Track]) -> str:
    return " or ".join(codes(t) for t in tracks)


def _whose(track: Track) -> str:
    if track.time is TimeBasis.PRACTITIONER:
        return "the billing practitioner's own time"
    return "clinical-staff time"


def no_consent(program: str, line_count: int, consent: date | None) -> BillingWarning:
    if consent is not None:  # time before consent never counts (Noridian JE)
        tail = (f"so {_lines(line_count)} held, not billable." if line_count
                else "so its time cannot be billed.")
        return BillingWarning(
            NO_CONSENT, f"{_said(program)} consent dated after this month ({consent.isoformat()}): "
            f"time before consent never counts, {tail}", program)
    if line_count:
        tail = f"{_lines(line_count)} held, not billable, until consent is documented."
    else:
        tail = "its time is recorded but cannot be billed until consent is documented."
    return BillingWarning(NO_CONSENT, f"No {_said(program)} consent is on file: {tail}", program)


def consent_during_month(program: str, consent: date, seconds: int) -> BillingWarning:
    """Time logged before a consent dated inside the month: shown apart, never counted."""
    return BillingWarning(
        CONSENT_DURING_MONTH,
        f"The {_said(program)} consent is dated {consent.isoformat()}: the {duration(seconds)} "
        f"logged for {_said(program)} before that day is shown apart and not counted, because "
        "consent is obtained before the service is furnished (Noridian JE).",
        program,
    )


def consent_unsplit(program: str, consent: date) -> BillingWarning:
    """A consent inside the month when the caller did not split the time at its day."""
    return BillingWarning(
        CONSENT_DURING_MONTH,
        f"The {_said(program)} consent is dated {consent.isoformat()}, inside this month: time "
        "before that day does not count; check that none of it was counted.",
        program,
    )


def not_enrolled(program: str, seconds: int, line_count: int) -> BillingWarning:
    tail = f"{_lines(line_count)} held." if line_count else "it cannot be billed."
    return BillingWarning(
        NOT_ENROLLED,
        f"{duration(seconds)} was logged for {_said(program)}, but the patient is not enrolled in "
        f"{_said(program)} this month; {tail}",
        program,
    )


def over_cap(outcome: TrackOutcome) -> BillingWarning:
    track = outcome.track
    assert track.addon is not None
    units = track.addon.max_units
    return BillingWarning(
        OVER_CAP,
        f"{_said(track.program)} has {duration(outcome.pool_seconds)} of {_whose(track)} toward "
        f"{codes(track)}; {track.addon.code} is billed at most {units} "
        f"time{'s' if units != 1 else ''} a month, so "
        f"{duration(outcome.over_cap_seconds)} cannot be billed.",
        track.program,
    )


def overlap(found: Overlap) -> BillingWarning:
    return BillingWarning(
        OVERLAP,
        f"Entries {found.entry_a} and {found.entry_b} overlap by {duration(found.seconds)}: "
        "the same minutes may be counted twice; correct one of them.",
        None,
        (found.entry_a, found.entry_b),
    )


def long_entry(found: LongEntry) -> BillingWarning:
    return BillingWarning(
        LONG_ENTRY,
        f"Entry {found.entry_id} is {duration(found.seconds)} long (over 4 hours): check that "
        "the timer was not left running.",
        None,
        (found.entry_id,),
    )


def program_level_time(seconds: int) -> BillingWarning:
    return BillingWarning(
        PROGRAM_LEVEL_TIME,
        f"{duration(seconds)} of program-level oversight time is reported separately and is "
        "never billed per patient.",
    )


def excluded(program: str, code: str, other_code: str, other_program: str) -> BillingWarning:
    return BillingWarning(
        EXCLUDED_SAME_MONTH,
        f"{_said(program)} ({code}) cannot be billed in the same month as {_said(other_program)} "
        f"({other_code}) by the same practitioner: the {_said(program)} lines are held; bill them "
        "only if a different practitioner furnished them.",
        program,
    )


def flag_missing(program: str, codes: Iterable[str], needs: str) -> BillingWarning:
    return BillingWarning(
        FLAG_MISSING,
        f"{_said(program)} {', '.join(codes)} needs {needs}; none is recorded, so the line "
        "is held.",
        program,
    )


def flag_required(outcome: TrackOutcome, needs: str) -> BillingWarning:
    track = outcome.track
    return BillingWarning(
        FLAG_REQUIRED,
        f"{_said(track.program)} time ({duration(outcome.pool_seconds)}) would support "
        f"{track.base.code} ({track.base.name}), worth {money(outcome.value_usd)}, which needs "
        f"{needs}; flag the month if that applies.",
        track.program,
    )


def both_roles(
    program: str, staff: int, practitioner: int, chosen: TrackOutcome, other: TrackOutcome
) -> BillingWarning:
    head = (f"{_said(program)} has {duration(staff)} of clinical-staff time and "
            f"{duration(practitioner)} of the billing practitioner's own time")
    if chosen.track.time is TimeBasis.STAFF and other.value_usd <= 0:
        tail = (f"the billing practitioner's minutes count with the staff's toward "
                f"{codes(chosen.track)}.")
    else:
        tail = (f"{_said(program)} is billed one way a month: {codes(chosen.track)} on "
                f"{_whose(chosen.track)} ({money(chosen.value_usd)}) rather than "
                f"{codes(other.track)} on {_whose(other.track)} ({money(other.value_usd)})")
        if chosen.track.time is TimeBasis.PRACTITIONER:
            tail += ", so the clinical-staff minutes are not billed this month"
        tail += "."
    return BillingWarning(BOTH_ROLES, f"{head}; {tail}", program)


def other_practitioner(item: OtherPractitionerTime, tracks: Sequence[Track]) -> BillingWarning:
    """Another practitioner's minutes: never the billing practitioner's own (NGS Medicare:
    "time only the billing practitioner spends"); clinical-staff time only `as_staff`."""
    own = [t for t in tracks if t.time is TimeBasis.PRACTITIONER]
    staff = [t for t in tracks if t.time is TimeBasis.STAFF]
    head = (f"{item.name}'s {duration(item.seconds)} of {_said(item.program)} time "
            f"{'is' if item.seconds < 120 else 'are'} not the billing practitioner's own time")
    parts = [f"they are not counted toward {_families(own)}"] if own else []
    why = f" ({item.why})" if item.why else ""
    if staff and item.as_staff:
        parts.append(f"they count as clinical-staff time toward {_families(staff)}{why}")
    elif staff:
        parts.append(f"nor toward {_families(staff)} as clinical-staff time{why}" if own
                     else f"they are not counted toward {_families(staff)}{why}")
    elif why:
        parts[-1] += why
    tail = ", ".join(parts) if parts else "they are not counted"
    return BillingWarning(OTHER_PRACTITIONER, f"{head}; {tail}.", item.program)


def no_billing_practitioner(program: str, seconds: int, track_codes: Sequence[str],
                            line_count: int) -> BillingWarning:
    """Practitioner time on a patient with no billing practitioner named: whose own time it
    is cannot be told, so the codes that need it are not billed."""
    held = (f"{_lines(line_count)} held" if line_count
            else f"{'/'.join(track_codes)} cannot be billed")
    return BillingWarning(
        NO_BILLING_PRACTITIONER,
        f"{duration(seconds)} of {_said(program)} practitioner time was logged, but the "
        "patient has no billing practitioner named, so whether it is the billing "
        f"practitioner's own time cannot be told: {held} until one is named with `ccm-timer "
        "patient "
        "practitioner --mrn MRN --practitioner NAME`.",
        program,
    )


def unknown_program(program: str, seconds: int, year: int) -> BillingWarning:
    return BillingWarning(
        UNKNOWN_PROGRAM,
        f"{duration(seconds)} was logged for {_said(program)}, which has no codes in the {year} "
        "rules; it is reported, not billed.",
        program,
    )


def _and(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _held(line_count: int, until: str) -> str:
    if line_count:
        return f"{_lines(line_count)} held until {until}"
    return f"its time cannot be billed until {until}"


def consent_incomplete(rule: Eligibility, missing: list[str], line_count: int) -> BillingWarning:
    told = [CONSENT_WORDS[m] for m in missing]
    return BillingWarning(
        CONSENT_INCOMPLETE,
        f"The {_said(rule.program)} consent on file does not record {_and(told)}; "
        f"{_held(line_count, 'the consent is completed in the patient record')} "
        f"({rule.cite}).",
        rule.program,
    )


def too_few_conditions(rule: Eligibility, found: int, line_count: int) -> BillingWarning:
    need = rule.chronic_conditions
    have = "none is" if found == 0 else ("1 is" if found == 1 else f"{found} are")
    return BillingWarning(
        TOO_FEW_CONDITIONS,
        f"{_said(rule.program)} needs {need} chronic condition{'s' if need != 1 else ''} on "
        f"file and {have} recorded; {_held(line_count, 'they are added to the patient record')} "
        f"({rule.cite}).",
        rule.program,
    )


def care_plan_not_reviewed(rule: Eligibility, items: int) -> BillingWarning:
    what = ("No care plan is on file" if items == 0
            else "The care plan has never been reviewed")
    return BillingWarning(
        CARE_PLAN_NOT_REVIEWED,
        f"{what}: {_said(rule.program)} needs a comprehensive care plan for every billed month; "
        f"record it and its review before billing ({rule.cite}).",
        rule.program,
    )


def care_plan_stale(rule: Eligibility, reviewed: date) -> BillingWarning:
    return BillingWarning(
        CARE_PLAN_STALE,
        f"The care plan was last reviewed on {reviewed.isoformat()}, more than "
        f"{rule.care_plan_review_months} months before this month's end: review it before "
        f"billing {_said(rule.program)} ({rule.cite}).",
        rule.program,
    )
