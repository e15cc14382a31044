"""Each patient-month's overlapping entries (issue 18): the pairs of a patient's entries that
share time, which the month report lists and subtracts, found by one sweep per month
(`found`) and kept for the stopped entries in the workstation-only table `month_overlap`
(revision 0016), so the report reads a row per overlap instead of the month's entries.

What an overlap is (the report's definition, on SQLite and PostgreSQL alike): an entry of
the month (current, not voided, for a patient) that starts before an earlier entry of the
month has ended is paired with each of the patient's other entries whose intervals share
time with its own (a paused gap is not an overlap), with the whole seconds they share.

Kept like the month rollup (store/month_rollup.py), in the same transaction: the drain
recounts the overlaps of the patient-months it recounts, widened to the months of the
patient's entries that touch a changed span (a pair belongs to the months of its later
entry, and its partner's change must reach them); the build at open and `doctor` count every
month. Rows hold the stopped entries only; the report counts live the patients with a
running entry, or with notes waiting for the drain, and any database whose rollup is not
built in the zone asked (the hub).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy import Column, Connection, Index, Integer, String, Table, text

from ccm_timer.core.billing import Overlap
from ccm_timer.core.month import YearMonth, month_bounds_utc
from ccm_timer.store import month_rollup
from ccm_timer.store.instants import from_db_text, to_db_text
from ccm_timer.store.local_tables import LOCAL

month_overlap = Table(
    "month_overlap", LOCAL,
    Column("id", Integer, primary_key=True),
    Column("patient_id", String, nullable=False),  # as time_entry stores it
    Column("month", String, nullable=False),  # YYYY-MM in the rollup's zone
    Column("entry_a", String, nullable=False),  # the pair's ids as the report names them,
    Column("entry_b", String, nullable=False),  # entry_a < entry_b
    Column("seconds", Integer, nullable=False),
    Index("ix_month_overlap_month", "month", "patient_id"),
)

PatientMonth = tuple[Any, str]  # (patient id as stored, YYYY-MM)
_CURRENT = "e.superseded_at IS NULL AND e.voided = :false"


def _micros(dialect: str, column: str) -> str:
    """Exact microseconds since the epoch of a stored instant (fixed-width UTC text)."""
    if dialect == "postgresql":
        return f"CAST(EXTRACT(EPOCH FROM CAST({column} AS timestamptz)) * 1000000 AS BIGINT)"
    return (
        f"(CAST(strftime('%s', {column}) AS INTEGER) * 1000000 "
        f"+ CAST(substr({column}, 21, 6) AS INTEGER))"
    )


def _sweep_sql(where: str, few: bool) -> str:
    """Each entry against the furthest end reached by the same patient's earlier entries of
    the month: a sweep in SQL, no pairwise join. `few` patients: their index, not the
    month's spans (a unary + keeps SQLite's planner off the span indexes)."""
    e = "+e." if few else "e."
    return (
        "SELECT patient_id, id FROM ("
        "SELECT e.patient_id, e.id, e.span_start, COALESCE(e.span_end, :now) AS span_stop, "
        "MAX(COALESCE(e.span_end, :now)) OVER (PARTITION BY e.patient_id "
        "ORDER BY e.span_start, e.id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach "
        f"FROM time_entry e WHERE {_CURRENT}{where} AND e.patient_id IS NOT NULL "
        f"AND {e}span_start < :hi AND ({e}span_end IS NULL OR {e}span_end > :lo)) AS swept "
        "WHERE span_start < reach"
    )


def _partners_sql(dialect: str, stopped: bool) -> str:
    """A candidate's partners: the patient's other entries whose intervals overlap its own,
    with the seconds they share. Driven by the patient's entries (their index), then their
    intervals: a walk of the intervals by start would read the clinic's whole history before
    the candidate, per candidate (a unary + keeps SQLite's planner off the start indexes)."""
    p = "+" if dialect == "sqlite" else ""
    o_end, m_end = "COALESCE(o.end_utc, :now)", "COALESCE(m.end_utc, :now)"
    shared_end = f"CASE WHEN {o_end} < {m_end} THEN {o_end} ELSE {m_end} END"
    shared_start = "CASE WHEN o.start_utc > m.start_utc THEN o.start_utc ELSE m.start_utc END"
    return (
        f"SELECT o.entry_id, SUM(({_micros(dialect, shared_end)} - "
        f"{_micros(dialect, shared_start)}) / 1000000) "
        "FROM interval m JOIN time_entry e ON e.patient_id = :pid AND e.id <> :eid "
        f"AND {_CURRENT}{' AND e.span_end IS NOT NULL' if stopped else ''} "
        f"AND {p}e.span_start < {m_end} "
        f"AND ({p}e.span_end IS NULL OR {p}e.span_end > m.start_utc) "
        f"JOIN interval o ON o.entry_id = e.id AND {p}o.start_utc < {m_end} "
        f"AND {o_end} > m.start_utc "
        "WHERE m.entry_id = :eid GROUP BY o.entry_id"
    )


def found(conn: Connection, lo: datetime, hi: datetime, now: datetime,
          patients: Iterable[Any] | None = None, *, stopped: bool = False,
          ) -> dict[Any, tuple[Overlap, ...]]:
    """The overlaps of the month [lo, hi) per patient (ids as stored), each patient's in
    pair order, counting running entries up to `now` (`stopped`: leaving them out, as the
    kept rows do). `patients`: those only (None: all)."""
    dialect = conn.dialect.name
    params: dict[str, Any] = {"lo": to_db_text(lo), "hi": to_db_text(hi),
                              "now": to_db_text(now), "false": False}
    where = " AND +e.span_end IS NOT NULL" if stopped else ""
    chunks: list[list[Any] | None] = [None]
    if patients is not None:
        chunks = [c for c in month_rollup.chunks(p for p in patients if p is not None) if c]
    pairs: dict[Any, dict[tuple[str, str], int]] = defaultdict(dict)
    partners = text(_partners_sql(dialect, stopped))
    for chunk in chunks:
        sql = _sweep_sql(where + (" AND e.patient_id IN :ids" if chunk else ""),
                         few=chunk is not None and dialect == "sqlite")
        for pid, eid in month_rollup.run(conn, sql, chunk or [], params).all():
            mine = pairs[pid]
            for other, shared in conn.execute(partners, {**params, "pid": pid, "eid": eid}):
                a, b = sorted((str(_as_uuid(eid)), str(_as_uuid(other))))
                mine[(a, b)] = max(mine.get((a, b), 0), max(0, int(shared)))
    return {pid: tuple(Overlap(a, b, s) for (a, b), s in sorted(got.items()))
            for pid, got in pairs.items() if got}


def of_month(conn: Connection, month: YearMonth, zone: ZoneInfo, now: datetime,
             patient: Any = None) -> dict[Any, tuple[Overlap, ...]]:
    """The report's overlaps of `month` per patient (ids as stored; `patient`: that one
    only): the kept rows, and live for the patients they cannot answer for."""
    lo, hi = month_bounds_utc(month, zone)
    only = None if patient is None else [patient]
    if not month_rollup.usable(conn, zone):
        return found(conn, lo, hi, now, only)
    live = month_rollup.unsettled(conn) | {r[0] for r in conn.execute(text(
        f"SELECT DISTINCT e.patient_id FROM time_entry e WHERE {_CURRENT} "
        "AND e.span_end IS NULL AND e.patient_id IS NOT NULL"), {"false": False})}
    live.discard(None)
    if patient is not None:
        live &= {patient}
    out = found(conn, lo, hi, now, live) if live else {}
    kept: dict[Any, list[Overlap]] = defaultdict(list)
    sql = "SELECT patient_id, entry_a, entry_b, seconds FROM month_overlap WHERE month = :m"
    query = text(sql + ("" if patient is None else " AND patient_id = :p"))
    for pid, a, b, secs in conn.execute(query, {"m": str(month), "p": patient}):
        if pid not in live:
            kept[pid].append(Overlap(a, b, secs))
    out.update((pid, tuple(sorted(items, key=_pair))) for pid, items in kept.items())
    return out


def _pair(item: Overlap) -> tuple[str, str]:
    return item.entry_a, item.entry_b


def compute(conn: Connection, zone: ZoneInfo, months: Iterable[YearMonth],
            patients: Iterable[Any] | None = None) -> dict[PatientMonth, tuple[Overlap, ...]]:
    """The kept rows' overlaps for `months` (for `patients` only, ids as stored)."""
    wanted = None if patients is None else sorted(p for p in patients if p is not None)
    out: dict[PatientMonth, tuple[Overlap, ...]] = {}
    if wanted == []:
        return out
    for ym in months:
        lo, hi = month_bounds_utc(ym, zone)
        for pid, items in found(conn, lo, hi, hi, wanted, stopped=True).items():
            out[(pid, str(ym))] = items
    return out


# Every month's sweep at once (count_all): each stopped entry in every month it touches (its
# start month by a seek in the months' bounds, then those its span reaches), over the table
# in its stored order (NOT INDEXED: a sweep per month read most of the table through a span
# index, once per month). The same rows as _sweep_sql's per month.
_SWEEP_ALL = (
    "SELECT patient_id, month, id FROM (SELECT e.patient_id, m.month, e.id, e.span_start, "
    "MAX(e.span_end) OVER (PARTITION BY e.patient_id, m.month ORDER BY e.span_start, e.id "
    "ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach "
    "FROM time_entry e NOT INDEXED JOIN temp.overlap_bounds m ON m.lo >= (SELECT MAX(b.lo) "
    "FROM temp.overlap_bounds b WHERE b.lo <= e.span_start) AND m.lo < e.span_end "
    f"WHERE {_CURRENT} AND e.patient_id IS NOT NULL AND e.span_end IS NOT NULL) AS swept "
    "WHERE span_start < reach"
)


def count_all(conn: Connection, zone: ZoneInfo) -> dict[PatientMonth, tuple[Overlap, ...]]:
    """compute() for every month a stopped entry touches, set-based (the build, doctor's
    check; tests/store/test_month_rollup_property.py holds the two equal)."""
    months = month_rollup.all_months(conn, zone)
    conn.exec_driver_sql("CREATE TEMP TABLE IF NOT EXISTS overlap_bounds (lo TEXT PRIMARY KEY, "
                         "month TEXT NOT NULL) WITHOUT ROWID")
    conn.exec_driver_sql("DELETE FROM temp.overlap_bounds")
    if not months:
        return {}
    conn.exec_driver_sql("INSERT INTO temp.overlap_bounds (lo, month) VALUES (?, ?)",
                         [(to_db_text(month_bounds_utc(ym, zone)[0]), str(ym))
                          for ym in months])
    params: dict[str, Any] = {"false": False, "now": None}
    partners = text(_partners_sql(conn.dialect.name, True))
    pairs: dict[PatientMonth, dict[tuple[str, str], int]] = defaultdict(dict)
    shared: dict[Any, list[tuple[Any, int]]] = {}  # an entry's partners, whatever the month
    for pid, month, eid in conn.execute(text(_SWEEP_ALL), params).all():
        if eid not in shared:
            shared[eid] = [(o, int(s)) for o, s in conn.execute(
                partners, {**params, "pid": pid, "eid": eid})]
        mine = pairs[(pid, month)]
        for other, secs in shared[eid]:
            a, b = sorted((str(_as_uuid(eid)), str(_as_uuid(other))))
            mine[(a, b)] = max(mine.get((a, b), 0), max(0, secs))
    return {key: tuple(Overlap(a, b, s) for (a, b), s in sorted(got.items()))
            for key, got in pairs.items() if got}


def _write(conn: Connection, rows: Mapping[PatientMonth, tuple[Overlap, ...]]) -> None:
    values = [(pid, month, o.entry_a, o.entry_b, o.seconds)
              for (pid, month), items in rows.items() for o in items]
    if values:
        conn.exec_driver_sql("INSERT INTO month_overlap (patient_id, month, entry_a, entry_b, "
                             "seconds) VALUES (?, ?, ?, ?, ?)", values)


def rebuild(conn: Connection, zone: ZoneInfo,
            rows: Mapping[PatientMonth, tuple[Overlap, ...]] | None = None) -> None:
    """Every row again (or `rows`, a count just made), inside the caller's transaction."""
    conn.exec_driver_sql("DELETE FROM month_overlap")
    _write(conn, count_all(conn, zone) if rows is None else rows)


def recompute(conn: Connection, zone: ZoneInfo,
              wanted: Mapping[Any, Iterable[YearMonth]]) -> None:
    """Replace the rows of these (patient, month) pairs with a fresh count."""
    by_month: dict[YearMonth, set[Any]] = defaultdict(set)
    for patient, months in wanted.items():
        if patient is not None:
            for ym in months:
                by_month[ym].add(patient)
    for ym, patients in sorted(by_month.items()):
        for chunk in month_rollup.chunks(patients):
            month_rollup.run(conn, "DELETE FROM month_overlap WHERE month = :m "
                             "AND patient_id IN :ids", chunk, {"m": str(ym)})
        _write(conn, compute(conn, zone, [ym], patients))


def widened(conn: Connection, zone: ZoneInfo,
            spans: Mapping[Any, list[tuple[str, str]]]) -> dict[Any, set[YearMonth]]:
    """The drain's changed spans per patient, as the months whose overlaps they can change:
    those of the spans, and of the patient's stopped entries touching one (a pair's month
    is its later entry's, which may lie outside the changed span)."""
    out: dict[Any, set[YearMonth]] = {}
    for patient, pairs in spans.items():
        if patient is None or not pairs:
            continue
        lo, hi = min(p[0] for p in pairs), max(p[1] for p in pairs)
        near = conn.execute(text(
            f"SELECT e.span_start, e.span_end FROM time_entry e WHERE {_CURRENT} "
            "AND e.patient_id = :p AND e.span_end IS NOT NULL AND +e.span_start <= :hi "
            "AND +e.span_end >= :lo"), {"p": patient, "lo": lo, "hi": hi, "false": False})
        reach = list(pairs) + [(s, e) for s, e in near
                               if any(s <= b and e >= a for a, b in pairs)]
        out[patient] = {ym for a, b in reach for ym in month_rollup.months_between(
            from_db_text(a), from_db_text(b), zone)}
    return out


def differing(conn: Connection, zone: ZoneInfo,
              fresh: Mapping[PatientMonth, tuple[Overlap, ...]] | None = None,
              ) -> set[PatientMonth]:
    """The patient-months whose kept overlaps differ from a full count (`fresh`, else made
    here); empty: in step."""
    kept: dict[PatientMonth, list[Overlap]] = defaultdict(list)
    for pid, month, a, b, secs in conn.exec_driver_sql(
            "SELECT patient_id, month, entry_a, entry_b, seconds FROM month_overlap"):
        kept[(pid, month)].append(Overlap(a, b, int(secs)))
    if fresh is None:
        fresh = count_all(conn, zone)
    return {key for key in kept.keys() | fresh.keys()
            if tuple(sorted(kept.get(key, ()), key=_pair)) != fresh.get(key, ())}


def _as_uuid(value: Any) -> UUID:
    # SQLite keeps ids as 32 hex digits; PostgreSQL hands back UUIDs.
    return value if isinstance(value, UUID) else UUID(str(value))
