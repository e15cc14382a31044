"""Where time added by hand may go without overlapping the person's own time: the default
the add-by-hand dialog offers, so Add straight away records instead of being refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import or_
from sqlmodel import col, select

from ccm_timer.services.context import AppContext
from ccm_timer.services.people import clinicians
from ccm_timer.store.models import Interval, TimeEntry

TRIES = 48  # each step moves before one entry in the way; a day's work is far fewer


def _minute(instant: datetime) -> datetime:
    """Down to the whole minute: the dialog shows hours and minutes."""
    return instant.replace(second=0, microsecond=0)


def free_slot(ctx: AppContext, clinician: str | None, minutes: int = 15
              ) -> tuple[datetime, datetime]:
    """`minutes` whole minutes in one local day with none of the clinician's current time
    in them, ending as late as possible: now, else just before the earliest of the entries
    in the way (the one just stopped, a timer still running), and so on back. Falls back to
    the `minutes` before now when the day has no such gap."""
    now = ctx.now()
    length = timedelta(minutes=minutes)
    midnight = _minute(now).astimezone(ctx.zone).replace(hour=0, minute=0)
    fallback = (max(midnight, _minute(now) - length).astimezone(UTC), _minute(now))
    since = now - timedelta(days=1) - length
    with ctx.read() as session:
        who = clinicians.find(session, ctx, clinician)
        spans = [(s, e or now) for s, e in session.exec(
            select(Interval.start_utc, Interval.end_utc)
            .join(TimeEntry, col(TimeEntry.id) == Interval.entry_id)
            .where(TimeEntry.clinician_id == who.id, col(TimeEntry.superseded_at).is_(None),
                   col(TimeEntry.voided).is_(False), col(Interval.start_utc) < now,
                   or_(col(Interval.end_utc).is_(None), col(Interval.end_utc) > since)))]
    end = fallback[1]
    for _ in range(TRIES):
        start = end - length
        if start.astimezone(ctx.zone).date() != end.astimezone(ctx.zone).date():
            return fallback  # the dialog has one date: a slot never crosses midnight
        in_way = [s for s, e in spans if s < end and e > start]
        if not in_way:
            return start, end
        end = _minute(min(in_way))
    return fallback
