"""The month report's two overlap statements (a sweep over the month's entries, then each
candidate's partners on its intervals), on SQLite and PostgreSQL alike, and the guard that
keeps the collector out of the report's run."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, text


def _micros(dialect: str, column: str) -> str:
    """Exact microseconds since the epoch of a stored instant (fixed-width UTC text)."""
    if dialect == "postgresql":
        return f"CAST(EXTRACT(EPOCH FROM CAST({column} AS timestamptz)) * 1000000 AS BIGINT)"
    return (
        f"(CAST(strftime('%s', {column}) AS INTEGER) * 1000000 "
        f"+ CAST(substr({column}, 21, 6) AS INTEGER))"
    )


def overlaps_sql(patient_filter: str) -> str:
    """Each entry against the furthest end reached by the same patient's earlier entries: a
    sweep in SQL, no pairwise join. Candidates are confirmed on intervals (`partners`)."""
    return (
        "SELECT patient_id, id, span_start, span_stop, reach FROM ("
        "SELECT e.patient_id, e.id, e.span_start, COALESCE(e.span_end, :now) AS span_stop, "
        "MAX(COALESCE(e.span_end, :now)) OVER (PARTITION BY e.patient_id "
        "ORDER BY e.span_start, e.id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach "
        "FROM time_entry e WHERE e.superseded_at IS NULL AND e.voided = :false "
        f"{patient_filter} AND e.patient_id IS NOT NULL "
        "AND e.span_start < :hi AND (e.span_end IS NULL OR e.span_end > :lo)) AS swept "
        "WHERE span_start < reach"
    )


def partners(conn: Connection, params: dict[str, Any], patient_id: Any, entry_id: Any,
              dialect: str) -> list[tuple[Any, int]]:
    """The patient's other entries whose intervals overlap this entry's, with the seconds
    they share (a paused gap is not an overlap)."""
    o_end, m_end = "COALESCE(o.end_utc, :now)", "COALESCE(m.end_utc, :now)"
    shared_end = f"CASE WHEN {o_end} < {m_end} THEN {o_end} ELSE {m_end} END"
    shared_start = "CASE WHEN o.start_utc > m.start_utc THEN o.start_utc ELSE m.start_utc END"
    rows = conn.execute(
        text(
            f"SELECT o.entry_id, SUM(({_micros(dialect, shared_end)} - "
            f"{_micros(dialect, shared_start)}) / 1000000) "
            "FROM interval m JOIN interval o ON o.start_utc < COALESCE(m.end_utc, :now) "
            "AND COALESCE(o.end_utc, :now) > m.start_utc "
            "JOIN time_entry e ON e.id = o.entry_id "
            "WHERE m.entry_id = :eid AND o.entry_id <> :eid AND e.patient_id = :pid "
            "AND e.superseded_at IS NULL AND e.voided = :false GROUP BY o.entry_id"
        ),
        {**params, "pid": patient_id, "eid": entry_id},
    ).all()
    return [(other, int(shared)) for other, shared in rows]


@contextmanager
def no_gc_pauses() -> Iterator[None]:
    """The report makes tens of thousands of small objects and no cycles; each collector
    pass they trigger walks the whole heap (the ORM's, the app's), which cost more than the
    report's own work. Collection resumes after it, as it was."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
