"""One clinician's day (clinic time zone): every current entry touching it, and the total,
so a nurse can check at the end of a shift that nothing is missing.

An entry crossing midnight counts only its part inside the day; a running timer counts up
to now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from ccm_timer.core.month import clip_seconds
from ccm_timer.core.timer import TimerState
from ccm_timer.services.context import AppContext
from ccm_timer.services.people import clinicians
from ccm_timer.services.timing import entries
from ccm_timer.services.timing.entry_values import EntryView


@dataclass(frozen=True)
class DayEntry:
    entry: EntryView
    seconds: int  # the part inside the day

    @property
    def live(self) -> bool:
        return self.entry.state != TimerState.STOPPED


@dataclass(frozen=True)
class DaySummary:
    day: date
    zone: str
    clinician: str
    entries: tuple[DayEntry, ...]

    @property
    def total_seconds(self) -> int:
        return sum(e.seconds for e in self.entries)

    @property
    def patient_seconds(self) -> int:
        """Time toward patients' programs (program-level oversight is never billed)."""
        return sum(e.seconds for e in self.entries if e.entry.patient_mrn is not None)


def day_bounds_utc(day: date, zone: tzinfo) -> tuple[datetime, datetime]:
    """[start, end) of a local calendar day as UTC instants (23 or 25 hours at a DST change)."""
    start = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return start, end


def day_summary(ctx: AppContext, clinician: str | None = None,
                day: date | None = None) -> DaySummary:
    """`clinician` is a name or id (the default clinician if None); `day` defaults to today
    in the clinic's time zone."""
    zone = ctx.zone
    now = ctx.now()
    day = day or now.astimezone(zone).date()
    lo, hi = day_bounds_utc(day, zone)
    with ctx.read() as session:
        who = clinicians.find(session, ctx, clinician)
        name = who.name
    views = entries.list_entries(ctx, clinician=str(who.id), since=lo, until=hi)
    with ctx.read() as session:
        spans = entries.intervals_of(session, [v.id for v in views])
    found = tuple(
        DayEntry(view, sum(clip_seconds(s.start_utc, s.end_utc or now, lo, hi)
                           for s in spans[view.id]))
        for view in views
    )
    return DaySummary(day, zone.key, name, found)
