"""Which of a program's tracks apply to this patient-month, before any minute is counted.

Two kinds of rule decide it, both data in the rule file:
- a monthly code without time (APCM G0556-G0558) applies at the level the month's record
  supports: the chronic conditions on file (`chronic_conditions_min` / `_max`) and, for
  G0558, a Qualified Medicare Beneficiary as recorded (`qmb`); unknown QMB is not QMB;
- a first-month condition (`first_month`, CoCM 99492 / 99493) applies in the enrolment's
  first calendar month, or only in later ones. The first month is the month of the
  enrolment's start date (its consent date when no start is stored); with no enrolment
  covering the month it counts as a first month, so the longer first-month threshold is
  the one shown (the lines are held as not enrolled anyway).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from ccm_timer.core.billing.inputs import EnrollmentInput, RecordInput
from ccm_timer.core.billing.rules import CodeRule, RuleSet, Track

_NO_RECORD = RecordInput()


def is_first_month(program: str, enrollments: Sequence[EnrollmentInput], first_day: date,
                   last_day: date) -> bool:
    """Whether this month is the first calendar month of the program's enrolment."""
    starts = [
        e.start_date or e.consent_date for e in enrollments
        if e.program == program
        and (e.start_date is None or e.start_date <= last_day)
        and (e.end_date is None or e.end_date >= first_day)
    ]
    known = [d for d in starts if d is not None]
    if not known:
        return True
    return min(known) >= first_day


def level_fits(rule: CodeRule, record: RecordInput | None) -> bool:
    """A monthly code's level conditions against the month's record (None: an empty one)."""
    found = record or _NO_RECORD
    low, high = rule.chronic_conditions_min, rule.chronic_conditions_max
    if low is not None and found.chronic_conditions < low:
        return False
    if high is not None and found.chronic_conditions > high:
        return False
    return not rule.qmb or found.qmb is True


def month_fits(rule: CodeRule, first_month: bool) -> bool:
    return rule.first_month is None or rule.first_month is first_month


def applicable(
    rules: RuleSet,
    program: str,
    record: RecordInput | None,
    enrollments: Sequence[EnrollmentInput],
    first_day: date,
    last_day: date,
) -> tuple[Track, ...]:
    """The program's tracks this month, in rule-file order."""
    tracks = rules.tracks_by_program[program]
    if not any(t.base.monthly or t.base.first_month is not None for t in tracks):
        return tracks
    first = is_first_month(program, enrollments, first_day, last_day)
    return tuple(t for t in tracks
                 if month_fits(t.base, first) and (not t.base.monthly or level_fits(t.base,
                                                                                    record)))
