"""`status` without SQLAlchemy: one raw connection, one snapshot, a few indexed queries.

A status call is what a keyboard shortcut or a shell prompt runs, so it must answer in a
blink; importing the ORM alone costs more than that on a slow laptop. It builds the very
same Status as services.timers.status (through services/timing/entry_values.py), and returns None
whenever anything is unusual (no database yet, an older schema, an unknown clinician), so
the caller takes the full path, which migrates, seeds and words the errors.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any  # sqlcipher3 has no stubs

import sqlcipher3.dbapi2 as sqlcipher

from ccm_timer.core.timer import TimerState
from ccm_timer.errors import DatabaseError
from ccm_timer.paths import AppPaths
from ccm_timer.services.settings import Settings
from ccm_timer.services.timing import liveness, quick_open
from ccm_timer.services.timing.entry_values import EntryRow, EntryView, Status, build_view
from ccm_timer.store.connection import raw_connect, read_pragmas
from ccm_timer.store.instants import from_db_text

_ENTRY = """
SELECT e.id, e.origin_id, e.version, p.mrn, p.family_name, p.given_name, c.slug, c.label,
       e.program, e.source, e.state, e.note, e.voided, e.void_reason, e.change_reason,
       e.workstation, e.supersedes_id, e.created_at, e.recovered_at
FROM time_entry e
JOIN category c ON c.id = e.category_id
LEFT JOIN patient p ON p.id = e.patient_id
"""
_LIVE_ENTRY = _ENTRY + (
    "WHERE e.clinician_id = ? AND e.superseded_at IS NULL AND e.state IN ('RUNNING', 'PAUSED')")


def spans_of(cur: Any, entry_id: str) -> list[tuple[datetime, datetime | None]]:
    """An entry's intervals by start, as entries.intervals_of orders them."""
    return [
        (from_db_text(s), from_db_text(e) if e else None)
        for s, e in cur.execute(
            "SELECT start_utc, end_utc FROM interval WHERE entry_id = ? ORDER BY start_utc",
            (entry_id,),
        )
    ]


def view_of_row(row: tuple, name: str, role: str,
                spans: list[tuple[datetime, datetime | None]], now: datetime) -> EntryView:
    """The view of an entry read with _ENTRY (its clinician's name and role given)."""
    return build_view(
        EntryRow(
            id=uuid.UUID(row[0]), origin_id=uuid.UUID(row[1]), version=row[2],
            patient_mrn=row[3], patient_family=row[4], patient_given=row[5],
            category=row[6], category_label=row[7], program=row[8],
            clinician=name, clinician_role=role, source=row[9].lower(),
            state=TimerState(row[10].lower()), note=row[11], voided=bool(row[12]),
            void_reason=row[13], change_reason=row[14], workstation=row[15],
            supersedes_id=uuid.UUID(row[16]) if row[16] else None, superseded=False,
            created_at=from_db_text(row[17]),
        ),
        spans,
        now,
    )


def read_status(
    paths: AppPaths, settings: Settings, clinician: str | None, key: bytes | None = None,
    now: datetime | None = None,
) -> Status | None:
    if not quick_open.usable(paths):
        return None  # the full path sets it up, refuses, or says work may be missing
    try:
        return _read(paths, settings, clinician, key, now)
    except (sqlcipher.DatabaseError, DatabaseError):
        return None  # a wrong key, a damaged page, a full disk: the full path words it


def _read(
    paths: AppPaths, settings: Settings, clinician: str | None, key: bytes | None,
    now: datetime | None,
) -> Status | None:
    conn = raw_connect(paths.database, key)
    try:
        read_pragmas(conn)
        cur = conn.cursor()
        cur.execute("BEGIN")  # one consistent snapshot for every read below
        if not quick_open.schema_ok(cur, paths.database):
            return None
        who = quick_open.clinician(cur, settings, clinician)
        if who is None:
            return None
        name = who.name
        row = cur.execute(_LIVE_ENTRY, (who.id,)).fetchone()
        if row is None:
            return Status(TimerState.IDLE, name, None)
        spans = spans_of(cur, row[0])
        beat = cur.execute(
            "SELECT last_seen_utc, pid, boot_id, workstation FROM heartbeat "
            "WHERE workstation = ?", (row[15],),
        ).fetchone()
    finally:
        conn.close()
    now = now or datetime.now(UTC)
    created_at = from_db_text(row[17])
    view = view_of_row(row, name, who.role, spans, now)
    warning = None
    if beat is not None:
        last_seen = from_db_text(beat[0])
        if liveness.orphaned(
            created_at=created_at, recovered_at=from_db_text(row[18]) if row[18] else None,
            last_seen=last_seen, pid=beat[1], beat_boot=beat[2],
            same_workstation=beat[3] == settings.workstation, now=now,
        ):
            warning = liveness.orphan_warning(last_seen)
    return Status(view.state, name, view, warning)
