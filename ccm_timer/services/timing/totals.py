"""A patient's timed seconds in one clinic-calendar month (what the stop confirmation shows).

Every clinician's current, not voided time counts, as store/month_time.py counts it for the
month report: a running interval up to now, an interval crossing the month edge only its part
inside the month.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ccm_timer.core.month import month_of
from ccm_timer.services.context import AppContext
from ccm_timer.services.people import patients
from ccm_timer.services.timing.entry_values import EntryView
from ccm_timer.store.month_time import month_time


def patient_month_seconds(ctx: AppContext, mrn: str, at: datetime | None = None) -> int:
    now = ctx.now()
    with ctx.read() as session:
        patient = patients.find(session, mrn)
        time = month_time(session.connection(), month_of(at or now, ctx.zone), ctx.zone, now,
                          by=(), patient_id=patient.id)
    return sum(time.seconds.values())


@dataclass(frozen=True)
class Recorded:
    """What a stop recorded, for the confirmation: the entry and the patient's month."""

    entry: EntryView
    month_seconds: int | None  # None for program-level time (no patient)


def recorded(ctx: AppContext, entry: EntryView) -> Recorded:
    if entry.patient_mrn is None:
        return Recorded(entry, None)
    return Recorded(entry, patient_month_seconds(ctx, entry.patient_mrn, entry.end))
