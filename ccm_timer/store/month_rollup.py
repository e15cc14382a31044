"""The month rollup (issue 18): per patient, clinic month, clinician, category and program,
the seconds of every stopped entry (all its intervals closed), so store/month_time.py reads
a row per group, not every entry of the month. Running entries stay out; month_time reads
them live, with any patient whose rows are not up to date.

Exactness: the rollup is the same count month_time makes from the entries (current, not
voided versions; whole seconds per interval; intervals cut at the local midnights of the
rollup's zone, core/month.py), made by the same two statements per month (compute(), for
the drain's few patients) or, for every month at once, set-based (count_all: at open, at a
zone change, by `doctor`; 1,000,000 entries in seconds where compute() took 69 s); a test
holds the two equal. month_time counts a group present in a month with 0 seconds, so the
rollup keeps such a row.

Kept in the transaction of every write, whoever writes: the triggers of migration 0013 note
each changed entry and the patient's instants in `month_rollup_dirty`; before a session
commits, `drain` recomputes exactly those patients' months and empties the table (a writer
without a session leaves the notes for the next commit, and month_time reads those patients
live meanwhile, so a reader is never wrong). The zone is the one the rollup was built in
(`month_rollup_state`); `ensure` rebuilds it when the clinic's zone is another, and month_time
does not read it until then. SQLite only: the hub's PostgreSQL counts from the entries.
Each patient-month's overlapping entries are kept beside it, built, drained and checked with
it (store/month_overlaps.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, bindparam, event, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from ccm_timer.core.month import (
    YearMonth,
    month_bounds_utc,
    month_of,
    split_seconds_by_month,
)
from ccm_timer.store.instants import from_db_text, to_db_text

if TYPE_CHECKING:
    from ccm_timer.core.billing import Overlap

# (patient, month, clinician, category, program) as stored; value [seconds, longest]
RowKey = tuple[Any, str, Any, Any, Any]
_CHUNK = 500  # ids per IN list, well under SQLite's bound-parameter limit
_CURRENT = "e.superseded_at IS NULL AND e.voided = :false"
_GROUP = "e.patient_id, e.clinician_id, e.category_id, e.program"


def zone_of(conn: Connection) -> str | None:
    """The zone the rollup is built in; None when it is not built (or has no table: a
    database not yet upgraded, the hub)."""
    if conn.dialect.name != "sqlite":
        return None
    try:
        row = conn.exec_driver_sql("SELECT zone FROM month_rollup_state WHERE id = 1").first()
    except DBAPIError:
        return None
    return None if row is None else str(row[0])


def usable(conn: Connection, zone: ZoneInfo) -> bool:
    return zone_of(conn) == zone.key


def ensure(conn: Connection, zone: ZoneInfo, now: datetime) -> bool:
    """Build the rollup in `zone` unless it already is (at open, after a zone change).
    True when it was (re)built."""
    if conn.dialect.name != "sqlite" or zone_of(conn) == zone.key:
        return False
    rebuild(conn, zone, now)
    return True


def rebuild(conn: Connection, zone: ZoneInfo, now: datetime,
            rows: Mapping[RowKey, list[int]] | None = None,
            overlaps: Mapping[tuple[Any, str], tuple[Overlap, ...]] | None = None) -> None:
    """Every row again from the entries (or `rows`, a count just made), and the overlaps
    (store/month_overlaps.py; or `overlaps`), in `zone`, inside the caller's write
    transaction: an interrupted build leaves the rollup as it was."""
    from ccm_timer.store import month_overlaps  # the billing types, only when written

    conn.exec_driver_sql("DELETE FROM month_rollup")
    conn.exec_driver_sql("DELETE FROM month_rollup_dirty")
    if rows is not None:
        _write(conn, rows)
    elif _stage(conn, zone):
        conn.execute(text(f"INSERT INTO month_rollup (patient_id, month, clinician_id, "
                          f"category_id, program, seconds, longest) {_COUNT} ORDER BY month"),
                     {"false": False})
    month_overlaps.rebuild(conn, zone, overlaps)
    conn.execute(text("INSERT INTO month_rollup_state (id, zone, built_at) VALUES (1, :z, :at) "
                      "ON CONFLICT (id) DO UPDATE SET zone = :z, built_at = :at"),
                 {"z": zone.key, "at": to_db_text(now)})


def all_months(conn: Connection, zone: ZoneInfo) -> list[YearMonth]:
    """Every month a stopped entry touches (and the one before the first: an entry of no
    length at a month's first instant counts in both)."""
    # Each end of a span index (MIN/MAX with the span_end condition would read every row).
    first, last = conn.exec_driver_sql(
        "SELECT (SELECT span_start FROM time_entry WHERE superseded_at IS NULL "
        "AND span_end IS NOT NULL ORDER BY span_start LIMIT 1), (SELECT span_end "
        "FROM time_entry WHERE superseded_at IS NULL AND span_end IS NOT NULL "
        "ORDER BY span_end DESC LIMIT 1)").one()
    if first is None:
        return []
    return list(months_between(from_db_text(first), from_db_text(last), zone))


def months_between(lo: datetime, hi: datetime, zone: ZoneInfo) -> Iterable[YearMonth]:
    ym, end = month_of(lo, zone), month_of(hi, zone)
    if month_bounds_utc(ym, zone)[0] == lo:
        ym = ym.previous()
    while ym <= end:
        yield ym
        ym = ym.next()


def compute(conn: Connection, zone: ZoneInfo, months: Iterable[YearMonth],
            patients: Iterable[Any] | None = None) -> dict[RowKey, list[int]]:
    """The rollup's rows for `months` (for `patients` only, raw ids as stored, None for
    program-level time), counted from the entries as month_time counts them."""
    out: dict[RowKey, list[int]] = {}
    groups = [None] if patients is None else chunks(patients)
    for ym in months:
        lo, hi = month_bounds_utc(ym, zone)
        params = {"lo": to_db_text(lo), "hi": to_db_text(hi), "false": False}
        for chunk in groups:
            where, binds = _patient_filter("e.patient_id", chunk)
            # A few patients: their index, not the month's spans (a unary + keeps SQLite's
            # planner off the span indexes).
            e = "e." if chunk is None else "+e."
            for p, c, k, g, secs, longest in run(conn, (
                    f"SELECT {_GROUP}, SUM(e.span_seconds), MAX(e.span_seconds) "
                    f"FROM time_entry e WHERE {_CURRENT} AND {e}span_start >= :lo "
                    f"AND {e}span_end <= :hi{where} GROUP BY {_GROUP}"), binds, params):
                out[(p, str(ym), c, k, g)] = [int(secs or 0), int(longest or 0)]
            pieces: dict[Any, tuple[RowKey, list[tuple[datetime, datetime]]]] = {}
            for p, c, k, g, entry, start, end in run(conn, (
                    f"SELECT {_GROUP}, e.id, i.start_utc, i.end_utc FROM time_entry e "
                    f"JOIN interval i ON i.entry_id = e.id WHERE {_CURRENT} "
                    f"AND {e}span_end > :lo AND {e}span_start < :hi "
                    f"AND ({e}span_start < :lo OR {e}span_end > :hi) "
                    f"AND i.start_utc < :hi AND i.end_utc > :lo{where}"), binds, params):
                _, spans = pieces.setdefault(entry, ((p, str(ym), c, k, g), []))
                spans.append((from_db_text(start), from_db_text(end)))
            for key, spans in pieces.values():
                secs = split_seconds_by_month(spans, zone).get(ym, 0)
                row = out.setdefault(key, [0, 0])
                row[0] += secs
                row[1] = max(row[1], secs)
    return out


# Each stopped entry's month of its start: one seek in the months' bounds per entry, over
# the table in its stored order (NOT INDEXED): a span index visits the rows in time order,
# a page read (and decrypted) per row once the table outgrows the cache (44 s at 1,000,000).
_FROM = ("FROM time_entry e NOT INDEXED JOIN temp.rollup_bounds m ON m.lo = (SELECT "
         "MAX(b.lo) FROM temp.rollup_bounds b WHERE b.lo <= e.span_start)")
_STOPPED = f"WHERE {_CURRENT} AND e.span_end IS NOT NULL"
# Every month's rows at once (count_all), compute()'s first statement (span_start >= lo AND
# span_end <= hi) for every month: the entries ending in their start month, and those of no
# length at a month's first instant in the month before too (span_start <= span_end makes
# these all); their stored span seconds, plus the pieces _stage split.
_ROW = "e.patient_id, m.month, e.clinician_id, e.category_id, e.program"
_COUNT = (
    "SELECT patient_id, month, clinician_id, category_id, program, "
    "COALESCE(SUM(seconds), 0), COALESCE(MAX(seconds), 0) FROM ("
    f"SELECT {_ROW}, e.span_seconds AS seconds {_FROM} {_STOPPED} "
    "AND e.span_end <= m.hi "
    f"UNION ALL SELECT {_ROW}, e.span_seconds FROM temp.rollup_bounds m "
    "CROSS JOIN time_entry e WHERE e.superseded_at IS NULL AND +e.voided = :false "
    "AND e.span_start = m.hi AND +e.span_end = m.hi "
    "UNION ALL SELECT patient_id, month, clinician_id, category_id, program, seconds "
    "FROM temp.rollup_piece) "
    "GROUP BY patient_id, month, clinician_id, category_id, program")


def count_all(conn: Connection, zone: ZoneInfo) -> dict[RowKey, list[int]]:
    """compute() for all_months, set-based: a few statements over all months at once (the
    build, doctor's check). tests/store/test_month_rollup_property.py holds them equal."""
    if not _stage(conn, zone):
        return {}
    return {(p, m, c, k, g): [int(secs), int(longest)] for p, m, c, k, g, secs, longest
            in conn.execute(text(_COUNT), {"false": False})}


def _stage(conn: Connection, zone: ZoneInfo) -> bool:
    """Fill this connection's temporary tables for _COUNT: every month's UTC bounds in
    `zone`, and the entries crossing a month edge (a few: they start in one month and end
    after it) cut into (entry, month) pieces as compute() cuts them, by core/month.py.
    False: no stopped entry, nothing to count."""
    months = all_months(conn, zone)
    conn.exec_driver_sql("CREATE TEMP TABLE IF NOT EXISTS rollup_bounds (lo TEXT PRIMARY "
                         "KEY, hi TEXT NOT NULL, month TEXT NOT NULL) WITHOUT ROWID")
    conn.exec_driver_sql("CREATE TEMP TABLE IF NOT EXISTS rollup_piece (patient_id, month, "
                         "clinician_id, category_id, program, seconds)")
    conn.exec_driver_sql("DELETE FROM temp.rollup_bounds")
    conn.exec_driver_sql("DELETE FROM temp.rollup_piece")
    if not months:
        return False
    bounds = [(ym, *month_bounds_utc(ym, zone)) for ym in months]
    conn.exec_driver_sql("INSERT INTO temp.rollup_bounds (lo, hi, month) VALUES (?, ?, ?)",
                         [(to_db_text(lo), to_db_text(hi), str(ym)) for ym, lo, hi in bounds])
    crossing: dict[Any, tuple[tuple[Any, ...], int, datetime, list[tuple[datetime, datetime]]]]
    crossing = {}
    at = {str(ym): n for n, (ym, _, _) in enumerate(bounds)}
    for p, c, k, g, entry, month, end, start_i, end_i in conn.execute(text(
            f"SELECT {_GROUP}, e.id, m.month, e.span_end, i.start_utc, i.end_utc {_FROM} "
            f"JOIN interval i ON i.entry_id = e.id {_STOPPED} AND e.span_end > m.hi "
            "AND i.end_utc IS NOT NULL"),
            {"false": False}):
        _, _, _, spans = crossing.setdefault(entry, ((p, c, k, g), at[month],
                                                     from_db_text(end), []))
        spans.append((from_db_text(start_i), from_db_text(end_i)))
    pieces = []
    for (p, c, k, g), first, end, spans in crossing.values():
        split = split_seconds_by_month(spans, zone)
        for ym, lo, hi in bounds[first:]:
            if lo >= end:
                break
            # compute()'s second statement: a month of the entry with an interval in it
            if any(s < hi and e > lo for s, e in spans):
                pieces.append((p, str(ym), c, k, g, split.get(ym, 0)))
    if pieces:
        conn.exec_driver_sql("INSERT INTO temp.rollup_piece VALUES (?, ?, ?, ?, ?, ?)", pieces)
    return True


def chunks(patients: Iterable[Any]) -> list[list[Any]]:
    ids = sorted(patients, key=lambda p: (p is not None, p or ""))
    return [ids[i:i + _CHUNK] for i in range(0, len(ids), _CHUNK)] or [[]]


def _patient_filter(column: str, chunk: list[Any] | None) -> tuple[str, list[Any]]:
    """` AND <column among chunk>` (None in it: program-level time), and its bind."""
    if chunk is None:
        return "", []
    ids = [p for p in chunk if p is not None]
    parts = [f"{column} IN :ids"] if ids else []
    if len(ids) < len(chunk):
        parts.append(f"{column} IS NULL")
    if not parts:
        return " AND 0", []
    return f" AND ({' OR '.join(parts)})", ids


def run(conn: Connection, sql: str, ids: list[Any], params: dict[str, Any]) -> Any:
    query = text(sql)
    if ":ids" in sql:
        query = query.bindparams(bindparam("ids", expanding=True))
        params = {**params, "ids": ids}
    return conn.execute(query, params)


def _write(conn: Connection, rows: Mapping[RowKey, list[int]]) -> None:
    """The rows in month order: a month's rows then lie together in the table, so the
    report reads a few pages, not a page of every patient's history per row."""
    if rows:
        conn.exec_driver_sql(
            "INSERT INTO month_rollup (patient_id, month, clinician_id, category_id, program, "
            "seconds, longest) VALUES (?, ?, ?, ?, ?, ?, ?)",
            sorted(((*key, secs, longest) for key, (secs, longest) in rows.items()),
                   key=lambda row: row[1]))


def recompute(conn: Connection, zone: ZoneInfo,
              wanted: Mapping[Any, Iterable[YearMonth]]) -> None:
    """Replace the rows of these (patient, month) pairs with a fresh count."""
    by_month: dict[YearMonth, set[Any]] = defaultdict(set)
    for patient, months in wanted.items():
        for ym in months:
            by_month[ym].add(patient)
    for ym, patients in sorted(by_month.items()):
        for chunk in chunks(patients):
            where, ids = _patient_filter("patient_id", chunk)
            run(conn, f"DELETE FROM month_rollup WHERE month = :m{where}", ids, {"m": str(ym)})
        _write(conn, compute(conn, zone, [ym], patients))


def unsettled(conn: Connection) -> set[Any]:
    """The patients (raw ids; None: program-level time) whose rows wait for the drain."""
    rows = conn.exec_driver_sql(
        "SELECT patient_id FROM month_rollup_dirty UNION SELECT e.patient_id "
        "FROM month_rollup_dirty d JOIN time_entry e ON e.id = d.entry_id")
    return {r[0] for r in rows}


def drain(conn: Connection) -> int:
    """Bring the rollup up to date with what the triggers noted, in the caller's write
    transaction. Returns how many notes it took."""
    zone_name = zone_of(conn)
    if zone_name is None:
        return 0
    notes = conn.exec_driver_sql(
        "SELECT entry_id, patient_id, lo, hi FROM month_rollup_dirty").all()
    if not notes:
        return 0
    zone = ZoneInfo(zone_name)
    spans: dict[Any, list[tuple[str, str]]] = defaultdict(list)
    for _, patient, lo, hi in notes:
        if lo is not None:
            spans[patient].append((lo, hi or lo))
    entries = sorted({n[0] for n in notes if n[0] is not None})
    for i in range(0, len(entries), _CHUNK):
        for _, patient, lo, hi in run(conn, (
                "SELECT e.id, e.patient_id, MIN(i.start_utc), "
                "MAX(COALESCE(i.end_utc, i.start_utc)) FROM time_entry e "
                "JOIN interval i ON i.entry_id = e.id WHERE e.id IN :ids GROUP BY e.id"),
                entries[i:i + _CHUNK], {}):
            spans[patient].append((lo, hi))
    wanted = {patient: {ym for lo, hi in pairs for ym in months_between(
        from_db_text(lo), from_db_text(hi), zone)} for patient, pairs in spans.items()}
    recompute(conn, zone, wanted)
    from ccm_timer.store import month_overlaps

    month_overlaps.recompute(conn, zone, month_overlaps.widened(conn, zone, spans))
    conn.exec_driver_sql("DELETE FROM month_rollup_dirty")
    return len(notes)


def differences(conn: Connection, zone: ZoneInfo,
                fresh: Mapping[RowKey, list[int]] | None = None) -> int:
    """How many patient-months of the kept rollup differ from a full count (`fresh`, else
    made here); 0: in step."""
    return len(differing(conn, zone, fresh))


def differing(conn: Connection, zone: ZoneInfo,
              fresh: Mapping[RowKey, list[int]] | None = None) -> set[tuple[Any, str]]:
    """The (patient, month) pairs of differences()."""
    kept: dict[RowKey, list[int]] = {}
    for p, m, c, k, g, secs, longest in conn.exec_driver_sql(
            "SELECT patient_id, month, clinician_id, category_id, program, seconds, longest "
            "FROM month_rollup"):
        kept[(p, m, c, k, g)] = [int(secs), int(longest)]
    if fresh is None:
        fresh = count_all(conn, zone)
    return ({(key[0], key[1]) for key in kept.keys() ^ fresh.keys()}
            | {(key[0], key[1]) for key in kept.keys() & fresh.keys()
               if kept[key] != fresh[key]})


def check_and_repair(conn: Connection, zone: ZoneInfo, now: datetime) -> str | None:
    """`doctor`: count every month again and compare; a rollup out of step (or in another
    zone) is rebuilt from the count, and said in one sentence. None: it was in step, or
    not built before (built now)."""
    kept_zone = zone_of(conn)
    if conn.dialect.name != "sqlite":
        return None
    from ccm_timer.store import month_overlaps

    drain(conn)  # notes waiting for a commit are not a difference
    fresh, pairs = count_all(conn, zone), month_overlaps.count_all(conn, zone)
    if kept_zone is None:
        rebuild(conn, zone, now, fresh, pairs)
        return None
    if kept_zone != zone.key:
        rebuild(conn, zone, now, fresh, pairs)
        return (f"The month totals kept for the report were counted in {kept_zone} time, not "
                f"the clinic's {zone.key}; they were counted again from the time entries.")
    wrong = len(differing(conn, zone, fresh) | month_overlaps.differing(conn, zone, pairs))
    if not wrong:
        return None
    rebuild(conn, zone, now, fresh, pairs)
    return (f"The month totals kept for the report differed from the time entries for {wrong} "
            "patient-month(s); they were counted again from the entries, so the report is "
            "right again.")


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    """Every session's commit (the app's one write path) drains the notes first."""
    if not session.in_transaction():
        return
    try:
        bind = session.get_bind()
    except Exception:  # noqa: BLE001  (a session bound to nothing has nothing to drain)
        return
    if bind.dialect.name != "sqlite":
        return
    conn = session.connection()
    # A connection serves one session (NullPool): one that changed nothing has no notes.
    if getattr(conn.connection.dbapi_connection, "total_changes", 1):
        drain(conn)
