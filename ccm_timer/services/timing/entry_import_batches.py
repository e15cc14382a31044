"""Writing checked imported entries in short batches, all or nothing.

The pattern of the roster import (services/people/roster_batches.py): each batch is its own
short IMMEDIATE transaction, sized from the last one's measured time to stay well under a
second, with roster_batches.PAUSE between batches so a waiting timer always gets in.

What differs is how an import is taken back. Time entries are never deleted (the database
refuses it, and the audit chain would report a recorded entry as deleted outside CCM
Timer), so a failed or killed import is taken back by voiding what it wrote, in batches,
each new version audited like any void: none of its time counts, and the trail shows why.
The import's record is its audit events (no table needs adding): "entry.import.begin"
names the process, each "entry.import.batch" carries the evidence hash of the entries it
wrote (audit.append's `origins`, one event per batch as the chain expects of an import),
and "entry.import" or "entry.import.rollback" ends it. An import begun but never ended,
whose process no longer runs, is taken back at the next start (take_back_interrupted).
"""

from __future__ import annotations

import bisect
import json
import os
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, select, text, update
from sqlmodel import Session, SQLModel, col

from ccm_timer.services.context import AppContext
from ccm_timer.services.import_states import ENTRY_BATCH, ENTRY_BEGIN, ENTRY_DONE, ENTRY_ROLLBACK
from ccm_timer.services.people import roster_batches
from ccm_timer.services.security import audit
from ccm_timer.services.timing import entry_import_rollup
from ccm_timer.store import hashes
from ccm_timer.store.instants import from_db_text, to_db_text
from ccm_timer.store.models import EntrySource, EntryState, Interval, RosterImport, TimeEntry
from ccm_timer.store.types import new_id

if TYPE_CHECKING:
    from ccm_timer.services.timing.entry_import import Row

BUDGET = 0.3  # seconds a batch aims to hold the write lock (the promise: under a second)
FIRST_BATCH, MIN_BATCH, MAX_BATCH = 500, 50, 20_000
BEGIN, BATCH, DONE, ROLLBACK = ENTRY_BEGIN, ENTRY_BATCH, ENTRY_DONE, ENTRY_ROLLBACK
ENTITY = "entry_import"
TAKEN_BACK = "the import was taken back"


@dataclass(frozen=True)
class ImportResult(roster_batches.BatchedImport):
    """An entry import's outcome: entries written, in how many batches, how long each."""


class Clash(Exception):
    """Someone recorded time meanwhile that overlaps a row of the import."""

    def __init__(self, line: int) -> None:
        super().__init__(f"line {line}: time that overlaps it was recorded by someone else "
                         "while the file was imported")


def _table(model: type[SQLModel]) -> Table:
    return SQLModel.metadata.tables[str(model.__tablename__)]


def _max_rowid(session: Session) -> int:
    return int(session.connection().execute(
        text("SELECT coalesce(max(rowid), 0) FROM time_entry")).scalar_one())


class _Watch:
    """Entry versions others write while the import runs (rowids only grow): each batch
    holds those since its last look to every row of the import, written or not."""

    def __init__(self, rows: Sequence[Row], mark: int) -> None:
        self.mark = mark
        spans: dict[str, list[Row]] = defaultdict(list)
        for row in rows:
            spans[row.clinician_id.hex].append(row)
        self.rows = {k: sorted(v, key=lambda r: r.start) for k, v in spans.items()}
        self.ends = {k: [r.end for r in v] for k, v in self.rows.items()}

    def look(self, session: Session, now: datetime) -> None:
        found = session.connection().execute(text(
            "SELECT e.clinician_id, i.start_utc, i.end_utc FROM time_entry e JOIN interval i "
            "ON i.entry_id = e.id WHERE e.rowid > :m AND e.superseded_at IS NULL "
            "AND e.voided = 0"), {"m": self.mark})
        for who, start_text, end_text in found:
            ends = self.ends.get(who)
            if ends is None:
                continue
            start = from_db_text(start_text)
            end = from_db_text(end_text) if end_text else now
            # The rows do not overlap each other: sorted by start, their ends are sorted too.
            at = bisect.bisect_right(ends, start)
            if at < len(ends) and self.rows[who][at].start < end:
                raise Clash(self.rows[who][at].line)
        self.mark = _max_rowid(session)


# The span columns are the span trigger's (migration 0005), set as each interval goes in.
# Writing the intervals first (deferred foreign keys) to spare that update is no gain: while
# a deferred violation is open, each entry inserted scans time_entry for rows superseding it
# (supersedes_id has no index), a whole table per row.
_ENTRY_SQL = ("INSERT INTO time_entry (id, origin_id, version, clinician_id, patient_id, "
              "category_id, program, note, source, state, workstation, tz_name, voided, "
              "created_at, created_by) VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)")
_SPAN_SQL = "INSERT INTO interval (id, entry_id, start_utc, end_utc) VALUES (?, ?, ?, ?)"
_SECOND = timedelta(seconds=1)


def _new_ids(count: int) -> list[str]:
    """`count` ids as stored (32 hex digits), from store/types.new_id: time-ordered and,
    within this process, never out of order, so entries of one instant keep the file's
    order (a hand-made UUID v7 with random low bits did not)."""
    return [new_id().hex for _ in range(count)]


@dataclass(frozen=True)
class _Batch:
    """One batch as SQLite stores it, and the evidence hash of each entry it writes."""

    rows: Sequence[Row]
    entries: list[tuple[Any, ...]]
    spans: list[tuple[Any, ...]]
    evidence: dict[str, str]


def _prepare(ctx: AppContext, rows: Sequence[Row], now: datetime, by: uuid.UUID | None
             ) -> _Batch:
    """The rows of one batch as SQLite stores them (ids as hex, instants as text, enums by
    name), made while no lock is held, with each entry's evidence hash from the same values:
    the row as the span trigger of migration 0005 leaves it (first start, last end, whole
    seconds floored) and its one interval, in hashes.ENTRY_COLUMNS order."""
    source, state = EntrySource.IMPORT.name, EntryState.STOPPED.name
    station, zone = ctx.workstation, ctx.settings.clinic_timezone
    created, creator = to_db_text(now), by.hex if by else None
    ids = _new_ids(2 * len(rows))
    entries, spans, evidence = [], [], {}
    for row, entry_id, span_id in zip(rows, ids[::2], ids[1::2], strict=True):
        patient = row.patient_id.hex if row.patient_id else None
        program = row.program.name if row.program else None
        start, end = to_db_text(row.start), to_db_text(row.end)
        seconds = (row.end - row.start) // _SECOND
        entries.append((entry_id, entry_id, row.clinician_id.hex, patient, row.category_id.hex,
                        program, row.note, source, state, station, zone, created, creator))
        span = (span_id, entry_id, start, end)
        spans.append(span)
        stored = (entry_id, entry_id, 1, None, None, row.clinician_id.hex, patient,
                  row.category_id.hex, program, row.note, source, state, station, zone, 0,
                  None, None, created, creator, None, start, end, seconds)
        evidence[entry_id] = hashes.rows_digest([stored], [span])
    return _Batch(rows, entries, spans, evidence)


def _begin(ctx: AppContext, rows: int, actor: str) -> uuid.UUID:
    import_id = new_id()
    with ctx.write() as session:
        audit.append(session, ctx=ctx, actor=actor, action=BEGIN, entity=ENTITY,
                     entity_id=import_id,
                     after={"rows": rows, "owner": f"{ctx.workstation}#{os.getpid()}"})
    return import_id


def _write_batch(ctx: AppContext, batch: _Batch, watch: _Watch, import_id: uuid.UUID,
                 actor: str, aside: bool) -> tuple[float, float]:
    """One batch in its own IMMEDIATE transaction (`aside`: the month rollup is set aside,
    entry_import_rollup.py); the seconds the lock was held, and of those the rows' own (up
    to the audit event and the COMMIT, which cost about the same for any size)."""
    with ctx.write() as session:
        conn = session.connection()  # BEGIN IMMEDIATE: the lock is held from here
        started = time.monotonic()
        watch.look(session, ctx.now())
        if aside:
            entry_import_rollup.keep_aside(conn)
        conn.exec_driver_sql(_ENTRY_SQL, batch.entries)
        conn.exec_driver_sql(_SPAN_SQL, batch.spans)
        watch.mark = _max_rowid(session)
        rows_took = time.monotonic() - started
        audit.append(session, ctx=ctx, actor=actor, action=BATCH, entity=ENTITY,
                     entity_id=import_id, evidence=batch.evidence,
                     after={"entries": len(batch.rows),
                            "lines": [batch.rows[0].line, batch.rows[-1].line]})
    return time.monotonic() - started, rows_took  # through the COMMIT


def write(ctx: AppContext, rows: Sequence[Row], mark: int, *, actor: str,
          actor_id: uuid.UUID | None = None,
          on_batch: Callable[[int, int], None] | None = None,
          batch_rows: int | None = None) -> ImportResult:
    """Write `rows` (every one checked; `mark`: the highest entry rowid when they were) in
    batches, as `actor`. The next batch is prepared in the pause after each write (the pause
    only sleeps what preparing it left). Any failure, a kill's KeyboardInterrupt included,
    voids what was written. A large import sets the month rollup aside and builds it again
    at its end (entry_import_rollup.py)."""
    # An idle connection held meanwhile: each batch's session closing is then not the
    # database's last connection, which copies the whole -wal file back at every close.
    with ctx.engine.connect():
        return _write(ctx, rows, mark, actor, actor_id, on_batch, batch_rows)


def _write(ctx: AppContext, rows: Sequence[Row], mark: int, actor: str,
           actor_id: uuid.UUID | None, on_batch: Callable[[int, int], None] | None,
           batch_rows: int | None) -> ImportResult:
    aside = entry_import_rollup.set_aside(ctx, len(rows))
    import_id = _begin(ctx, len(rows), actor)
    watch, seconds, size, done = _Watch(rows, mark), [], batch_rows or FIRST_BATCH, 0
    try:
        batch = _prepare(ctx, rows[:size], ctx.now(), actor_id)
        while True:
            held, rows_took = _write_batch(ctx, batch, watch, import_id, actor, aside)
            seconds.append(held)
            paused = time.monotonic()
            done += len(batch.rows)
            if batch_rows is None:  # aim each batch at the budget from the last one's time
                # Set aside, what follows the rows (the audit event, the fsync) is about the
                # same for any size; kept, the rollup's drain in the COMMIT grows with them.
                grows = rows_took if aside else held
                per_row = max(grows, 1e-4) / len(batch.rows)
                room = max(BUDGET - (held - grows), BUDGET / 4)
                size = max(MIN_BATCH, min(MAX_BATCH, int(room / per_row), size * 2))
            if on_batch is not None:
                on_batch(done, len(rows))
            if done >= len(rows):
                break
            batch = _prepare(ctx, rows[done:done + size], ctx.now(), actor_id)
            time.sleep(max(0.0, roster_batches.PAUSE - (time.monotonic() - paused)))
        with ctx.write() as session:
            audit.append(session, ctx=ctx, actor=actor, action=DONE, entity=ENTITY,
                         entity_id=import_id, after={"entries": len(rows)})
    except BaseException as exc:
        take_back(ctx, import_id, str(exc) if isinstance(exc, Clash) else type(exc).__name__)
        raise
    finally:
        if aside:
            entry_import_rollup.restore(ctx)
    return ImportResult(len(rows), str(import_id), tuple(seconds))


def _origins(session: Session, import_id: str) -> list[str]:
    """The entries an import wrote: the evidence of its batch events."""
    found: list[str] = []
    for (evidence,) in session.connection().execute(text(
            "SELECT evidence FROM audit_event WHERE action = :a AND entity_id = :i "
            "ORDER BY seq"), {"a": BATCH, "i": import_id}):
        found += json.loads(evidence) if evidence else []
    return found


def _void_chunk(session: Session, ctx: AppContext, origins: list[str], why: str) -> int:
    """Void the current versions of `origins` that still count; their new versions and
    intervals are written as entries.void writes them, in bulk."""
    now = ctx.now()
    old = list(session.execute(select(_table(TimeEntry)).where(
        col(TimeEntry.origin_id).in_([uuid.UUID(o) for o in origins]),
        col(TimeEntry.superseded_at).is_(None), col(TimeEntry.voided).is_(False))).mappings())
    if not old:
        return 0
    spans = list(session.execute(select(_table(Interval)).where(
        col(Interval.entry_id).in_([r["id"] for r in old]))).mappings())
    new_ids = {r["id"]: new_id() for r in old}
    session.execute(update(TimeEntry).where(col(TimeEntry.id).in_(list(new_ids)))
                    .values(superseded_at=now))
    skip = ("span_start", "span_end", "span_seconds")
    session.connection().execute(_table(TimeEntry).insert(), [
        {**{k: v for k, v in r.items() if k not in skip}, "id": new_ids[r["id"]],
         "version": r["version"] + 1, "supersedes_id": r["id"], "superseded_at": None,
         "voided": True, "void_reason": why, "change_reason": why, "created_at": now,
         "created_by": None} for r in old])
    session.connection().execute(_table(Interval).insert(), [
        {"id": new_id(), "entry_id": new_ids[s["entry_id"]], "start_utc": s["start_utc"],
         "end_utc": s["end_utc"]} for s in spans])
    return len(old)


def take_back(ctx: AppContext, import_id: uuid.UUID, why: str) -> int:
    """Void, in short batches, what an import wrote (an entry edited meanwhile too: all or
    nothing); returns how many entries were voided."""
    with ctx.read() as session:
        origins = _origins(session, str(import_id))
    voided, step = 0, 2_000
    for at in range(0, len(origins), step):
        chunk = origins[at:at + step]
        with ctx.write() as session:
            count = 0
            for part in range(0, len(chunk), 500):  # under SQLite's variable limit
                count += _void_chunk(session, ctx, chunk[part:part + 500], TAKEN_BACK)
            if count:
                audit.append(session, ctx=ctx, actor=roster_batches.ACTOR,
                             action=f"{ROLLBACK}.batch", entity=ENTITY, entity_id=import_id,
                             origins=chunk, after={"voided": count})
            voided += count
        time.sleep(roster_batches.PAUSE)
    with ctx.write() as session:
        audit.append(session, ctx=ctx, actor=roster_batches.ACTOR, action=ROLLBACK,
                     entity=ENTITY, entity_id=import_id, after={"why": why, "voided": voided})
    return voided


def take_back_interrupted(ctx: AppContext) -> list[str]:
    """At start: take back every import begun and never ended whose process no longer runs
    (roster_batches' rule); returns their ids."""
    with ctx.read() as session:
        conn = session.connection()
        ended = set(conn.execute(text(
            "SELECT entity_id FROM audit_event WHERE action IN (:d, :r)"),
            {"d": DONE, "r": ROLLBACK}).scalars())
        begun = [r for r in conn.execute(text(
            "SELECT entity_id, after, at_utc FROM audit_event WHERE action = :b"),
            {"b": BEGIN}) if r[0] not in ended]
        records = []
        for import_id, after, at_utc in begun:
            last = conn.execute(text(
                "SELECT max(at_utc) FROM audit_event WHERE action = :a AND entity_id = :i"),
                {"a": BATCH, "i": import_id}).scalar()
            # The roster's liveness rule reads these two fields of its own record.
            record = RosterImport(owner=json.loads(after)["owner"], rows=0,
                                  started_at=from_db_text(at_utc),
                                  updated_at=from_db_text(last or at_utc))
            records.append((import_id, record))
    gone = [i for i, record in records if roster_batches._gone(record, ctx)]
    for import_id in gone:
        take_back(ctx, uuid.UUID(import_id), "the import stopped part-way")
    return gone
