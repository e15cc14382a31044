"""Timer use cases: start, pause, resume, stop, switch, status.

Each transition is one IMMEDIATE transaction that is committed before the function returns,
so whatever the caller shows afterwards is already on disk (reliability R1.2, R2.1). The
state machine itself is core.timer; this module only loads and stores it.

`watched_by_app=True` (the tray) writes this workstation's heartbeat in the same transaction
as the start, switch or resume: a crash before the next periodic heartbeat still leaves a
timer that crash recovery asks about, instead of one that looks started from the command line.

`at` (stop and switch) is the moment the person chose it, read by the tray before anything
else it does: a note typed or a gap settled meanwhile is not timed. It is never later than
now; the command line leaves it out, so its instant is when the command runs.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Session, col, select

from ccm_timer.core.clock import as_utc
from ccm_timer.core.timer import Span, Timer, TimerError, TimerState
from ccm_timer.errors import UserError
from ccm_timer.services.context import AppContext
from ccm_timer.services.people import clinicians
from ccm_timer.services.security import audit
from ccm_timer.services.timing import entries, entry_checks, liveness, recovery
from ccm_timer.services.timing.entry_values import EntryView, Status, timer_order
from ccm_timer.store.models import Clinician, EntrySource, EntryState, Interval, TimeEntry
from ccm_timer.store.types import new_id


def _live_entry(session: Session, clinician_id: uuid.UUID) -> TimeEntry | None:
    return session.exec(
        select(TimeEntry).where(
            TimeEntry.clinician_id == clinician_id,
            col(TimeEntry.superseded_at).is_(None),
            col(TimeEntry.state).in_([EntryState.RUNNING, EntryState.PAUSED]),
        )
    ).first()


def _in_timer_order(spans: list[Interval]) -> list[Interval]:
    return timer_order(spans, lambda s: s.id, lambda s: s.end_utc)


def _timer_of(entry: TimeEntry, spans: list[Interval]) -> Timer:
    return Timer(
        TimerState(entry.state.value),
        tuple(Span(s.start_utc, s.end_utc) for s in _in_timer_order(spans)),
    )


def _store(session: Session, entry: TimeEntry, spans: list[Interval], timer: Timer) -> None:
    """Write the timer's spans back: close the open interval, or add a new one. `timer` came
    from `_timer_of(entry, spans)`, so its spans pair with the stored ones in timer order."""
    ordered = _in_timer_order(spans)
    for stored, span in zip(ordered, timer.spans, strict=False):
        if stored.end_utc != span.end:
            stored.end_utc = span.end
            session.add(stored)
    for span in timer.spans[len(ordered) :]:
        session.add(Interval(entry_id=entry.id, start_utc=span.start, end_utc=span.end))
    entry.state = EntryState(timer.state.value)
    session.add(entry)
    session.flush()


def _instant(ctx: AppContext, at: datetime | None) -> datetime:
    """`at` (when the person chose the action), or now; never a moment still to come."""
    now = ctx.now()
    return now if at is None else min(as_utc(at), now)


def _transition(ctx: AppContext, clinician: str | None, action: str, note: str | None = None,
                watched_by_app: bool = False, at: datetime | None = None) -> EntryView:
    now = _instant(ctx, at)
    note = note and entry_checks.text(note)
    with ctx.write() as session:
        who = clinicians.find(session, ctx, clinician)
        entry = _live_entry(session, who.id)
        if entry is None:
            raise UserError(f"No timer is running for {who.name}; start one first.")
        entry_checks.refuse_foreign(ctx, entry)
        spans = entries.intervals_of(session, [entry.id])[entry.id]
        before = entries.snapshot(entry, spans)
        try:
            timer = getattr(_timer_of(entry, spans), action)(now)
        except TimerError as exc:
            raise UserError(f"The timer for {who.name} is {entry.state.value}: {exc}.") from None
        if note:
            entry.note = f"{entry.note}\n{note}".strip()
        _store(session, entry, spans, timer)
        spans = entries.intervals_of(session, [entry.id])[entry.id]
        audit.append(
            session, ctx=ctx, actor=who.name, action=f"timer.{action}", entity="time_entry",
            entity_id=entry.origin_id, before=before, after=entries.snapshot(entry, spans),
        )
        if watched_by_app:
            recovery.mark_alive(session, ctx)
        return entries.view_of(session, ctx, entry.id)


def _start_in(
    session: Session, ctx: AppContext, who: Clinician, patient_mrn: str | None, category_slug: str,
    note: str, program: str | None, now: datetime | None = None,
) -> TimeEntry:
    note = entry_checks.text(note)
    category, patient, the_program = entries.resolve_subject(
        session, category_slug, patient_mrn, program
    )
    now = ctx.now() if now is None else now
    live = _live_entry(session, who.id)
    if live is not None:
        raise UserError(
            f"A timer is already {live.state.value} for {who.name}; stop it first or switch "
            "to the new activity."
        )
    entry_id = new_id()
    entry = TimeEntry(
        id=entry_id, origin_id=entry_id, clinician_id=who.id,
        patient_id=patient.id if patient else None, category_id=category.id,
        program=the_program, note=note, source=EntrySource.TIMER,
        state=EntryState.RUNNING, workstation=ctx.workstation,
        tz_name=ctx.settings.clinic_timezone, created_at=now, created_by=who.id,
    )
    session.add(entry)
    session.flush()
    timer = Timer().start(now)
    _store(session, entry, [], timer)
    spans = entries.intervals_of(session, [entry.id])[entry.id]
    audit.append(
        session, ctx=ctx, actor=who.name, action="timer.start", entity="time_entry",
        entity_id=entry.id, after=entries.snapshot(entry, spans),
    )
    return entry


def start(
    ctx: AppContext, *, patient_mrn: str | None, category_slug: str, note: str = "",
    clinician: str | None = None, program: str | None = None, watched_by_app: bool = False,
) -> EntryView:
    with ctx.write() as session:
        who = clinicians.find(session, ctx, clinician)
        entry = _start_in(session, ctx, who, patient_mrn, category_slug, note, program)
        if watched_by_app:
            recovery.mark_alive(session, ctx)
        return entries.view_of(session, ctx, entry.id)


def switch(
    ctx: AppContext, *, patient_mrn: str | None, category_slug: str, note: str = "",
    clinician: str | None = None, program: str | None = None, watched_by_app: bool = False,
    at: datetime | None = None,
) -> tuple[EntryView | None, EntryView]:
    """Stop whatever runs and start the new activity, in one transaction: either both
    happen or neither does. The old entry ends at the very instant the new one begins."""
    now = _instant(ctx, at)
    with ctx.write() as session:
        who = clinicians.find(session, ctx, clinician)
        stopped = None
        live = _live_entry(session, who.id)
        if live is not None:
            entry_checks.refuse_foreign(ctx, live)
            spans = entries.intervals_of(session, [live.id])[live.id]
            before = entries.snapshot(live, spans)
            ended = _timer_of(live, spans).stop(now)
            # A stop never ends before its interval began (a clock stepped back): the new
            # entry then begins where the old one ended, never inside it.
            last_end = ended.spans[-1].end
            now = max(now, last_end) if last_end is not None else now
            _store(session, live, spans, ended)
            spans = entries.intervals_of(session, [live.id])[live.id]
            audit.append(
                session, ctx=ctx, actor=who.name, action="timer.stop", entity="time_entry",
                entity_id=live.origin_id, before=before, after=entries.snapshot(live, spans),
            )
            stopped = entries.view_of(session, ctx, live.id)
        entry = _start_in(session, ctx, who, patient_mrn, category_slug, note, program, now)
        if watched_by_app:
            recovery.mark_alive(session, ctx)
        return stopped, entries.view_of(session, ctx, entry.id)


def pause(ctx: AppContext, clinician: str | None = None) -> EntryView:
    return _transition(ctx, clinician, "pause")


def resume(ctx: AppContext, clinician: str | None = None, *,
           watched_by_app: bool = False) -> EntryView:
    return _transition(ctx, clinician, "resume", watched_by_app=watched_by_app)


def stop(ctx: AppContext, clinician: str | None = None, note: str | None = None, *,
         at: datetime | None = None) -> EntryView:
    return _transition(ctx, clinician, "stop", note, at=at)


def status(ctx: AppContext, clinician: str | None = None) -> Status:
    with ctx.read() as session:
        who = clinicians.find(session, ctx, clinician)
        entry = _live_entry(session, who.id)
        if entry is None:
            return Status(TimerState.IDLE, who.name, None)
        view = entries.view_of(session, ctx, entry.id)
        orphan = recovery.orphan_of(session, ctx, entry)
    warning = liveness.orphan_warning(orphan.last_seen) if orphan is not None else None
    return Status(view.state, who.name, view, warning)


def others_live(ctx: AppContext, clinician_id: str) -> tuple[str, ...]:
    """Names of the other clinicians with a live timer on this database: on a shared
    workstation nobody should leave one running unseen after switching to their own."""
    with ctx.read() as session:
        rows = session.exec(
            select(Clinician.name)
            .join(TimeEntry, col(TimeEntry.clinician_id) == Clinician.id)
            .where(
                col(TimeEntry.superseded_at).is_(None),
                col(TimeEntry.state).in_([EntryState.RUNNING, EntryState.PAUSED]),
                col(TimeEntry.clinician_id) != uuid.UUID(clinician_id),
            )
            .distinct()
        )
        return tuple(sorted(rows))
