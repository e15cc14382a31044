"""A patient's timed seconds in one clinic-calendar month (what the stop confirmation shows).

Every clinician's current, not voided time counts; a running interval counts up to now, and
an interval crossing the month edge counts only its part inside the month.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_
from sqlmodel import col, select

from ccm_timer.core.month import clip_seconds, month_bounds_utc, month_of
from ccm_timer.services.context import AppContext
from ccm_timer.services.people import patients
from ccm_timer.services.timing.entry_values import EntryView
from ccm_timer.store.models import Interval, TimeEntry


def patient_month_seconds(ctx: AppContext, mrn: str, at: datetime | None = None) -> int:
    now = ctx.now()
    lo, hi = month_bounds_utc(month_of(at or now, ctx.zone), ctx.zone)
    with ctx.read() as session:
        patient = patients.find(session, mrn)
        rows = session.exec(
            select(Interval.start_utc, Interval.end_utc)
            .join(TimeEntry, col(TimeEntry.id) == Interval.entry_id)
            .where(
                TimeEntry.patient_id == patient.id,
                col(TimeEntry.superseded_at).is_(None),
                col(TimeEntry.voided).is_(False),
                col(Interval.start_utc) < hi,
                or_(col(Interval.end_utc).is_(None), col(Interval.end_utc) > lo),
            )
        ).all()
    return sum(clip_seconds(start, end or now, lo, hi) for start, end in rows)


@dataclass(frozen=True)
class Recorded:
    """What a stop recorded, for the confirmation: the entry and the patient's month."""

    entry: EntryView
    month_seconds: int | None  # None for program-level time (no patient)


def recorded(ctx: AppContext, entry: EntryView) -> Recorded:
    if entry.patient_mrn is None:
        return Recorded(entry, None)
    return Recorded(entry, patient_month_seconds(ctx, entry.patient_mrn, entry.end))
