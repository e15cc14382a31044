"""Writing a checked roster in short batches, all or nothing.

One transaction for a whole roster held the write lock for minutes (100,000 rows: about
120 s), and every timer start and stop waited behind it. Each batch is now its own short
IMMEDIATE transaction, sized from the last one's measured time to stay well under a second,
with a pause between batches longer than SQLite's longest busy-handler sleep (100 ms), so a
waiting timer always gets in rather than losing every race to the next batch.

All or nothing across transactions: every row was checked before the first batch
(roster.py), so what can still fail part-way is the machine (a kill, a full disk) or a race
(someone adds one of the roster's MRNs at the front desk meanwhile). The import is recorded
first (roster_import, "writing") and each patient it writes is listed under its id
(roster_import_patient); a failure takes back what was written, batch by batch, and marks
the import "taken back", and an import whose process was killed is taken back at the next
start. While an import runs, others may see its first patients, as they would see any
patient added meanwhile; once it has ended nobody sees half of it. A patient who got time
recorded during those seconds is kept (time is never deleted) and the message says so.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, delete, select, text, update
from sqlmodel import Session, SQLModel, col

from ccm_timer.services.context import AppContext
from ccm_timer.services.import_states import ROSTER_DONE, ROSTER_TAKEN_BACK, ROSTER_WRITING
from ccm_timer.services.people.enrollments import DISCLOSURES
from ccm_timer.services.security import audit
from ccm_timer.store.models import (
    Condition,
    Enrollment,
    MonthApproval,
    Patient,
    PatientMonth,
    RosterImport,
    RosterImportPatient,
    TimeEntry,
)
from ccm_timer.store.types import new_id

if TYPE_CHECKING:
    from ccm_timer.services.people.roster import RosterRow

BUDGET = 0.1  # seconds a batch aims to hold the write lock (the promise: under a second)
FIRST_BATCH, MIN_BATCH, MAX_BATCH = 200, 25, 1_000
PAUSE = 0.12  # longer than SQLite's longest busy-handler sleep: a waiting writer gets in
STALE = timedelta(minutes=10)  # a "writing" import untouched this long is dead, whoever ran it
WRITING, DONE, TAKEN_BACK = ROSTER_WRITING, ROSTER_DONE, ROSTER_TAKEN_BACK
ACTOR = "admin"  # who the app is when it acts itself (a dead import taken back); a default


@dataclass(frozen=True)
class BatchedImport:
    """What an import written in batches did (the roster's, and the entry import's)."""

    imported: int
    import_id: str
    write_seconds: tuple[float, ...] = field(default=())  # each batch, BEGIN to COMMIT

    @property
    def writes(self) -> int:
        return len(self.write_seconds)

    @property
    def longest_write(self) -> float:
        return max(self.write_seconds, default=0.0)


@dataclass(frozen=True)
class ImportResult(BatchedImport):
    conditions: int = 0  # the patients' conditions written with them


class Clash(Exception):
    """Someone added one of the roster's MRNs while it was imported; `kept` counts the
    import's patients that had to stay when it was taken back."""

    def __init__(self, line: int, mrn: str) -> None:
        super().__init__(f"line {line}: MRN {mrn} was added by someone else while the roster "
                         "was imported")
        self.kept = 0


def _begin(ctx: AppContext, rows: int, actor: str) -> uuid.UUID:
    with ctx.write() as session:
        now = ctx.now()
        record = RosterImport(started_at=now, updated_at=now,
                              owner=f"{ctx.workstation}#{os.getpid()}", rows=rows)
        session.add(record)
        session.flush()
        audit.append(session, ctx=ctx, actor=actor, action="patient.import.begin",
                     entity="roster", entity_id=record.id, after={"rows": rows})
        return record.id


class _Watch:
    """Patients others add while the import runs: each batch reads the rows added since the
    last look (SQLite rowids only grow), so the check stays as small as one batch."""

    def __init__(self, mark: int) -> None:
        self.mark = mark
        self.ours: set[uuid.UUID] = set()
        self.others: set[str] = set()

    def look(self, session: Session) -> None:
        found = session.connection().execute(
            text("SELECT rowid, id, mrn FROM patient WHERE rowid > :m ORDER BY rowid"),
            {"m": self.mark}).all()
        for rowid, pid, mrn in found:
            self.mark = max(self.mark, rowid)
            if uuid.UUID(str(pid)) not in self.ours:
                self.others.add(mrn.upper())


@dataclass(frozen=True)
class _Batch:
    """One batch's rows, made ready before the write lock is taken (a UUID v7 and the
    audit payload cost more than the inserts)."""

    rows: Sequence[RosterRow]
    people: list[dict[str, Any]]
    enrolled: list[dict[str, Any]]
    conditions: list[dict[str, Any]]
    audit_after: dict[str, Any]


def _enrollment(row: RosterRow, pid: uuid.UUID,
                obtainers: Mapping[str, tuple[uuid.UUID, str]]) -> dict[str, Any]:
    by_id, by = obtainers[row.consent_by] if row.consent_by else (None, None)
    return {"id": new_id(), "patient_id": pid, "program": row.program,
            "consent_date": row.consent, "consent_method": row.consent_method,
            "start_date": row.consent, "end_date": None, "consent_by": by,
            "consent_by_id": by_id,
            **{column: name in row.disclosures for name, column in DISCLOSURES.items()},
            "consent_document_id": None, "withdrawn_on": None, "withdrawal_reason": None}


def _prepare(ctx: AppContext, rows: Sequence[RosterRow],
             obtainers: Mapping[str, tuple[uuid.UUID, str]], actor: str) -> _Batch:
    people: list[dict[str, Any]] = []
    enrolled: list[dict[str, Any]] = []
    coded: list[dict[str, Any]] = []
    now = ctx.now()
    for row in rows:
        pid = new_id()
        people.append({"id": pid, "mrn": row.mrn, "family_name": row.family,
                       "given_name": row.given, "birth_date": row.birth_date,
                       "billing_practitioner_id": None, "active": True})
        if row.program is not None:
            enrolled.append(_enrollment(row, pid, obtainers))
        coded += [{"id": new_id(), "patient_id": pid, "code": code, "description": text,
                   "since": None, "added_at": now, "added_by": actor, "removed_at": None,
                   "removed_by": None, "removal_reason": None}
                  for code, text in row.conditions]
    after = {"patients": [{"id": str(p["id"]), "mrn": p["mrn"]} for p in people],
             "enrollments": [{"patient": str(e["patient_id"]), "program": e["program"].value,
                              "consent_date": e["consent_date"],
                              "consent_method": e["consent_method"],
                              "consent_by": e["consent_by"],
                              "disclosures": [n for n, c in DISCLOSURES.items() if e[c]]}
                             for e in enrolled],
             "conditions": [{"patient": str(c["patient_id"]), "condition": str(c["id"]),
                             "code": c["code"]} for c in coded]}
    return _Batch(rows, people, enrolled, coded, after)


def _write_batch(session: Session, ctx: AppContext, import_id: uuid.UUID, batch: _Batch,
                 watch: _Watch, written: int, actor: str) -> None:
    watch.look(session)
    for row in batch.rows:
        if row.mrn.upper() in watch.others:
            raise Clash(row.line, row.mrn)
    watch.ours.update(p["id"] for p in batch.people)
    conn = session.connection()  # Core inserts: the ORM's bulk path costs several times more
    conn.execute(_table(Patient).insert(), batch.people)
    conn.execute(_table(RosterImportPatient).insert(),
                 [{"patient_id": p["id"], "import_id": import_id} for p in batch.people])
    if batch.enrolled:
        conn.execute(_table(Enrollment).insert(), batch.enrolled)
    if batch.conditions:
        conn.execute(_table(Condition).insert(), batch.conditions)
    conn.execute(update(RosterImport).where(col(RosterImport.id) == import_id)
                 .values(written=written + len(batch.rows), updated_at=ctx.now()))
    audit.append(session, ctx=ctx, actor=actor, action="patient.import.batch", entity="roster",
                 entity_id=import_id, after=batch.audit_after)


def _table(model: type[SQLModel]) -> Table:
    return SQLModel.metadata.tables[str(model.__tablename__)]


def write(ctx: AppContext, rows: Sequence[RosterRow], mark: int, *,
          on_batch: Callable[[int], None] | None = None,
          batch_rows: int | None = None,
          obtainers: Mapping[str, tuple[uuid.UUID, str]] | None = None,
          actor: str = ACTOR) -> ImportResult:
    """Write `rows` (every one checked) in batches; `mark` is the highest patient rowid when
    they were checked against the database; `obtainers` the clinician of each consent_by
    name; `actor` who imports it. Any failure takes back what was written."""
    import_id = _begin(ctx, len(rows), actor)
    watch, seconds, size, done = _Watch(mark), [], batch_rows or FIRST_BATCH, 0
    coded = 0
    try:
        while done < len(rows):
            batch = _prepare(ctx, rows[done:done + size], obtainers or {}, actor)
            coded += len(batch.conditions)
            with ctx.write() as session:
                session.connection()  # BEGIN IMMEDIATE: the lock is held from here
                started = time.monotonic()
                _write_batch(session, ctx, import_id, batch, watch, done, actor)
            seconds.append(time.monotonic() - started)  # through the COMMIT
            done += len(batch.rows)
            if batch_rows is None:  # aim each batch at the budget from the last one's time
                rate = len(batch.rows) / max(seconds[-1], 1e-3)
                size = max(MIN_BATCH, min(MAX_BATCH, int(rate * BUDGET), size * 2))
            if on_batch is not None:
                on_batch(done)
            if done < len(rows):
                time.sleep(PAUSE)
        with ctx.write() as session:
            session.execute(update(RosterImport).where(col(RosterImport.id) == import_id)
                            .values(state=DONE, finished_at=ctx.now(), updated_at=ctx.now()))
            audit.append(session, ctx=ctx, actor=actor, action="patient.import",
                         entity="roster", entity_id=import_id, after={"patients": len(rows)})
    except BaseException as exc:
        kept = take_back(ctx, import_id, str(exc) if isinstance(exc, Clash) else
                         type(exc).__name__)
        if isinstance(exc, Clash):
            exc.kept = kept
        raise
    return ImportResult(len(rows), str(import_id), tuple(seconds), coded)


def take_back(ctx: AppContext, import_id: uuid.UUID, why: str) -> int:
    """Remove, in short batches, the patients an import wrote; returns how many had to stay
    because time or an approval was recorded for them meanwhile."""
    kept = 0
    while True:
        with ctx.write() as session:
            ids = list(session.execute(
                select(col(RosterImportPatient.patient_id))
                .where(col(RosterImportPatient.import_id) == import_id)
                .limit(MAX_BATCH // 4)).scalars())
            if not ids:
                break
            used = _in_use(session, ids)
            kept += len(used)
            gone = [i for i in ids if i not in used]
            session.execute(delete(RosterImportPatient)
                            .where(col(RosterImportPatient.patient_id).in_(ids)))
            if gone:
                session.execute(delete(Condition).where(col(Condition.patient_id).in_(gone)))
                session.execute(delete(Enrollment).where(col(Enrollment.patient_id).in_(gone)))
                session.execute(delete(Patient).where(col(Patient.id).in_(gone)))
        time.sleep(PAUSE)
    with ctx.write() as session:
        session.execute(update(RosterImport).where(col(RosterImport.id) == import_id)
                        .values(state=TAKEN_BACK, finished_at=ctx.now(), updated_at=ctx.now()))
        audit.append(session, ctx=ctx, actor=ACTOR, action="patient.import.rollback",
                     entity="roster", entity_id=import_id, after={"why": why, "kept": kept})
    return kept


def _in_use(session: Session, ids: list[uuid.UUID]) -> set[uuid.UUID]:
    found: set[uuid.UUID] = set()
    columns: tuple[Any, ...] = (TimeEntry.patient_id, PatientMonth.patient_id,
                                MonthApproval.patient_id)
    for column in columns:
        found |= set(session.execute(select(col(column)).where(col(column).in_(ids))).scalars())
    return found


def _gone(record: RosterImport, ctx: AppContext) -> bool:
    """True when the process that ran a "writing" import no longer runs."""
    if ctx.now() - record.updated_at > STALE:
        return True
    where, _, pid = record.owner.rpartition("#")
    if where != ctx.workstation or not pid.isdigit() or int(pid) == os.getpid():
        return False  # another machine's import: only STALE says it is dead
    if os.name != "posix":
        return False  # os.kill(pid, 0) is not a probe on Windows (0 is CTRL_C_EVENT)
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False  # alive, as another user
    return False


def take_back_interrupted(ctx: AppContext) -> None:
    """At start: take back any import whose process was killed part-way."""
    with ctx.read() as session:
        open_ = list(session.execute(select(RosterImport).where(
            col(RosterImport.state) == WRITING)).scalars())
    for record in open_:
        if _gone(record, ctx):
            take_back(ctx, record.id, "the import stopped part-way")


def last_import_id(session: Session) -> str | None:
    found = session.execute(select(col(RosterImport.id)).order_by(
        col(RosterImport.started_at).desc()).limit(1)).scalar()
    return None if found is None else str(found)
