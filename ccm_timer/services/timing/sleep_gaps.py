"""What to do with a sleep or clock-jump gap inside a running timer (reliability R2.5, R2.6).

The tray notices the gap (core.clock_watch) and asks; this module records the answer. Each
decision is one IMMEDIATE transaction that changes the intervals and appends a `timer.gap`
audit event carrying both clocks' readings, so the gap stays visible whatever was chosen.
"""

from __future__ import annotations

import uuid
from enum import StrEnum

from sqlmodel import Session

from ccm_timer.core.clock_watch import Gap, GapKind
from ccm_timer.errors import UserError
from ccm_timer.services.context import AppContext
from ccm_timer.services.people import clinicians
from ccm_timer.services.security import audit
from ccm_timer.services.timing import entries
from ccm_timer.services.timing.entry_values import EntryView
from ccm_timer.store.models import EntryState, Interval, TimeEntry


class GapChoice(StrEnum):
    KEEP = "keep"  # the person worked through it: count it
    EXCLUDE = "exclude"  # cut the gap out and keep timing (the default)
    STOP = "stop"  # stop the timer where the gap began


def _containing(spans: list[Interval], gap: Gap) -> Interval | None:
    """The interval the gap fell in: started before it, and still open or ended after it.
    The open interval is looked at first, whatever its start: after an earlier step back of
    the clock it may start before intervals that closed earlier."""
    open_ = [s for s in spans if s.end_utc is None]
    closed = [s for s in reversed(spans) if s.end_utc is not None]
    for span in open_ + closed:
        if span.start_utc > gap.wall_before:
            continue
        if gap.kind is GapKind.BACKWARD:
            return span if span.end_utc is None else None
        if span.end_utc is None or span.end_utc >= gap.wall_after:
            return span
        return None
    return None


def _live(session: Session, entry_id: uuid.UUID) -> TimeEntry:
    entry = entries.find_entry(session, str(entry_id))  # follows to the current version
    if entry.voided or entry.state not in (EntryState.RUNNING, EntryState.PAUSED):
        raise UserError(
            "That timer was stopped in the meantime; edit the entry if the gap must come out."
        )
    return entry


def resolve(
    ctx: AppContext, entry_id: uuid.UUID, gap: Gap, choice: GapChoice | str,
    actor: str | None = None,
) -> EntryView:
    """Apply the user's decision about `gap` to the live entry and audit it."""
    choice = GapChoice(choice)
    with ctx.write() as session:
        who = clinicians.find(session, ctx, actor)
        entry = _live(session, entry_id)
        spans = entries.intervals_of(session, [entry.id])[entry.id]
        before = entries.snapshot(entry, spans)
        if choice is not GapChoice.KEEP:
            span = _containing(spans, gap)
            if span is None:
                raise UserError(
                    "The timer no longer covers that gap (it was changed in the meantime); "
                    "nothing was changed."
                )
            was_open = span.end_utc is None
            later_end = span.end_utc
            # Never end before the span began: the clock may have been set back past it.
            span.end_utc = max(gap.wall_before, span.start_utc)
            session.add(span)
            if choice is GapChoice.EXCLUDE:
                # After a step back past the start, this interval begins before the one just
                # closed; the timer finds the open interval by its empty end, not its place.
                session.add(
                    Interval(entry_id=entry.id, start_utc=gap.wall_after,
                             end_utc=None if was_open else later_end)
                )
            else:
                if not was_open:
                    raise UserError(
                        "The timer was paused or changed after the gap; stop it from the "
                        "menu instead."
                    )
                entry.state = EntryState.STOPPED
                session.add(entry)
        session.flush()
        spans = entries.intervals_of(session, [entry.id])[entry.id]
        audit.append(
            session, ctx=ctx, actor=who.name, action="timer.gap", entity="time_entry",
            entity_id=entry.origin_id, before=before,
            after={**entries.snapshot(entry, spans), "choice": choice.value,
                   "gap": gap.to_dict()},
        )
        return entries.view_of(session, ctx, entry.id)
