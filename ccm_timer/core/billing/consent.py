"""Which consent a program's month is billed under, and from which day its time counts.

Consent "is obtained once prior to furnishing" CCM (Noridian JE, CCM questions and answers;
CMS MLN909188: documented in the record before services start), so no second before it
counts. The record holds the consent's date, not its hour: time counts from the start of the
consent day in the clinic's zone, the consent day included (consent is obtained before the
service that day). The month report splits the seconds there (store/month_time.py); the
engine holds and words what the consent decides.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Literal

from ccm_timer.core.billing.inputs import EnrollmentInput
from ccm_timer.core.month import YearMonth

Status = Literal["ok", "no_consent", "not_enrolled"]


def consent_status(
    program: str, enrollments: Sequence[EnrollmentInput], first: date, last: date
) -> tuple[Status, date | None, EnrollmentInput | None]:
    """("ok" | "no_consent" | "not_enrolled", the consent date that decided it, and for
    "ok" the consented enrollment). An enrollment that starts after the month with its
    consent dated after the month is "no_consent" with that date ("consent dated after this
    month"), not "not enrolled": the patient has agreed, only later."""
    mine = [e for e in enrollments if e.program == program]
    covering = [
        e for e in mine
        if (e.start_date is None or e.start_date <= last)
        and (e.end_date is None or e.end_date >= first)
    ]
    if not covering:
        later = [e.consent_date for e in mine
                 if e.consent_date is not None and e.consent_date > last
                 and (e.end_date is None or e.end_date >= first)]
        return ("no_consent", min(later), None) if later else ("not_enrolled", None, None)
    dated = [e.consent_date for e in covering if e.consent_date is not None]
    valid = [e for e in covering if e.consent_date is not None and e.consent_date <= last]
    if valid:
        first_valid = min(valid, key=lambda e: e.consent_date or last)
        return "ok", first_valid.consent_date, first_valid
    return "no_consent", min(dated) if dated else None, None


def consent_days(
    enrollments: Iterable[EnrollmentInput], programs: Iterable[str], month: YearMonth
) -> dict[str, date]:
    """Per program, the consent day inside `month` from which its time counts (a consent
    on or before the month's first day needs no split, and is absent)."""
    items = tuple(enrollments)
    first, last = month.first_day, month.last_day
    mine = {e.program for e in items}  # a program without an enrolment has no consent day
    out: dict[str, date] = {}
    for program in programs:
        if program not in mine:
            continue
        status, day, _ = consent_status(program, items, first, last)
        if status == "ok" and day is not None and day > first:
            out[program] = day
    return out
