"""Crash recovery: timers left running while no app was watching them.

The tray app writes a heartbeat (last instant seen alive) every 30 s. A running or paused
entry is an orphan when the app that was watching it is gone: its process is dead, the
machine rebooted, it quit leaving the timer running, or its heartbeat is stale. The time
after the last heartbeat was never observed, so it is never billed without a decision.
A timer started from the command line with no app running has no watcher and is not an
orphan: the person who started it is expected to stop it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy.dialects.sqlite import insert
from sqlmodel import Session, col, select

from ccm_timer.errors import UserError
from ccm_timer.services.context import AppContext
from ccm_timer.services.people import clinicians
from ccm_timer.services.security import audit
from ccm_timer.services.timing import entries, liveness
from ccm_timer.services.timing.entries import EntryView
from ccm_timer.store.models import EntryState, Heartbeat, TimeEntry

HEARTBEAT_SECONDS = liveness.HEARTBEAT_SECONDS


class Choice(StrEnum):
    KEEP = "keep"  # keep counting: the person was working the whole time
    STOP = "stop"  # stop at the last moment the app was seen alive (the safe default)
    DISCARD = "discard"  # void the entry


@dataclass(frozen=True)
class Orphan:
    entry: EntryView
    last_seen: datetime
    reason: str


def mark_alive(session: Session, ctx: AppContext, *, pid: int | None = None) -> None:
    """Upsert this workstation's heartbeat inside the caller's transaction.

    One statement, no read first: the tray runs it every 30 s for as long as it is open,
    and loading the row into the ORM to overwrite every field cost more than the write."""
    now = ctx.now()
    values = {"last_seen_utc": now, "monotonic_ns": ctx.clock.monotonic_ns(),
              "boot_id": liveness.boot_id(), "pid": os.getpid() if pid is None else pid}
    table = Heartbeat.__table__  # type: ignore[attr-defined]
    session.execute(insert(table).values(workstation=ctx.workstation, **values)
                    .on_conflict_do_update(index_elements=["workstation"], set_=values))
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Heartbeat):  # read earlier in this session: now out of date
            session.expire(obj)


def beat(ctx: AppContext, *, pid: int | None = None) -> None:
    """Record that the app on this workstation is alive (its own small transaction)."""
    with ctx.write() as session:
        mark_alive(session, ctx, pid=pid)


def release(ctx: AppContext) -> None:
    """The app quits cleanly: anything it leaves running becomes an orphan at next start."""
    with ctx.write() as session:
        row = session.get(Heartbeat, ctx.workstation)
        if row is not None:
            row.last_seen_utc = ctx.now()
            row.pid = 0
            session.add(row)


def _orphan_row(session: Session, ctx: AppContext, entry: TimeEntry) -> tuple[datetime, str] | None:
    row = session.get(Heartbeat, entry.workstation)
    if row is None:
        return None
    reason = liveness.orphaned(
        created_at=entry.created_at, recovered_at=entry.recovered_at,
        last_seen=row.last_seen_utc, pid=row.pid, beat_boot=row.boot_id,
        same_workstation=row.workstation == ctx.workstation, now=ctx.now(),
    )
    return (row.last_seen_utc, reason) if reason else None


def orphan_of(session: Session, ctx: AppContext, entry: TimeEntry) -> Orphan | None:
    found = _orphan_row(session, ctx, entry)
    if found is None:
        return None
    return Orphan(entries.view_of(session, ctx, entry.id), *found)


def pending(ctx: AppContext) -> list[Orphan]:
    with ctx.read() as session:
        live = session.exec(
            select(TimeEntry).where(
                col(TimeEntry.superseded_at).is_(None),
                col(TimeEntry.state).in_([EntryState.RUNNING, EntryState.PAUSED]),
            )
        )
        return [o for e in live if (o := orphan_of(session, ctx, e)) is not None]


def resolve(ctx: AppContext, ref: str, choice: Choice | str, actor: str | None = None) -> EntryView:
    choice = Choice(choice)
    if choice is Choice.DISCARD:
        # The void and the decision are one transaction: a crash keeps both or neither.
        with ctx.write() as session:
            entry = entries.find_entry(session, ref)
            found = _orphan_row(session, ctx, entry)
            if found is None:
                raise UserError("That timer does not need recovery.")
            who = clinicians.find(session, ctx, actor)
            voided = entries.void_in(session, ctx, entry, "discarded at crash recovery", who)
            audit.append(
                session, ctx=ctx, actor=who.name, action="recovery.discard",
                entity="time_entry", entity_id=voided.origin_id,
                after={"choice": "discard", "last_seen": found[0].isoformat()},
            )
            return entries.view_of(session, ctx, voided.id)
    now = ctx.now()
    with ctx.write() as session:
        entry = entries.find_entry(session, ref)
        found = _orphan_row(session, ctx, entry)
        if found is None:
            raise UserError("That timer does not need recovery.")
        last_seen, why = found
        who = clinicians.find(session, ctx, actor)
        spans = entries.intervals_of(session, [entry.id])[entry.id]
        before = entries.snapshot(entry, spans)
        if choice is Choice.STOP and entry.state is EntryState.RUNNING:
            # By its empty end, not its place: after the clock stepped back, the open
            # interval can start before a closed one.
            open_span = next(s for s in spans if s.end_utc is None)
            # Never end before the span began (a timer started after the last heartbeat).
            open_span.end_utc = max(last_seen, open_span.start_utc)
            session.add(open_span)
            entry.state = EntryState.STOPPED
        elif choice is Choice.STOP:
            entry.state = EntryState.STOPPED  # paused: nothing unobserved was counting
        entry.recovered_at = now
        session.add(entry)
        session.flush()
        spans = entries.intervals_of(session, [entry.id])[entry.id]
        audit.append(
            session, ctx=ctx, actor=who.name, action=f"recovery.{choice.value}",
            entity="time_entry", entity_id=entry.origin_id, before=before,
            after={**entries.snapshot(entry, spans), "choice": choice.value,
                   "last_seen": last_seen.isoformat(), "why": why},
        )
        return entries.view_of(session, ctx, entry.id)
