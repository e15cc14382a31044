"""Seconds of time in one clinic-calendar month: the one place they are computed, for the
month report, the tray's totals, the exports and the clinic hub, from any database with our
tables (a workstation's SQLite, the hub's PostgreSQL).

What counts: current, not voided entry versions. A running interval counts up to `now`,
never to the month's end; an interval crossing a month edge counts only its part inside the
month, the edges being the clinic's local midnights (core/month.py, exact across DST).
Whole seconds per interval, never rounded up.

How: a stopped entry wholly inside the month carries its whole seconds on its own row
(time_entry.span_seconds, kept by the triggers of migration 0005), so one indexed aggregate
sums nearly every entry of a month without reading an interval. Only the few entries running
or crossing an edge are read interval by interval and split by core/month.py.

With the month rollup (issue 18, store/month_rollup.py) built in the zone asked, on SQLite,
stopped time is read from its rows (a row per patient, clinician, category and program), so
the cost follows the patients, not the entries; the entries are read only for the running
ones, for the patients whose rows wait for the drain, and for the patients with an entry
over `entries_over` (the list names entries). `by` holding "entry" always counts entries.

Time before consent (issue 15): `counted_from` gives, per (patient, program), the instant
from which time counts (the start of a consent day inside the month). Those few patients'
intervals are read once more and clipped there; what falls before is moved from `seconds`
to `before`. The part counted is the whole seconds of each interval from that instant on,
so a split second goes to `before`, never to the counted side.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, TextClause, Uuid, bindparam, text

from ccm_timer.core.month import (
    YearMonth,
    clip_seconds,
    month_bounds_utc,
    split_seconds_by_month,
)
from ccm_timer.store import month_rollup
from ccm_timer.store.instants import from_db_text, to_db_text
from ccm_timer.store.models import Program, Role

Group = Literal["patient", "role", "program", "entry", "clinician"]
Key = tuple[Any, ...]


_COLUMNS = {"patient": "e.patient_id", "role": "c.role", "program": "e.program",
            "entry": "e.id", "clinician": "e.clinician_id"}
# Enums are stored by name; the keys carry their values.
_ROLES = {r.name: r.value for r in Role}
_PROGRAMS: dict[Any, str | None] = {None: None, **{p.name: p.value for p in Program}}
_CURRENT = "e.superseded_at IS NULL AND e.voided = :false"
# Stopped entries wholly inside the month: their stored span seconds are the answer.
_INSIDE = "e.span_start >= :lo AND e.span_end <= :hi"
# Entries running, or crossing a month edge: their intervals are split one by one.
_EDGE = (
    "(e.span_end IS NULL OR e.span_end > :lo) AND e.span_start < :hi "
    "AND (e.span_end IS NULL OR e.span_start < :lo OR e.span_end > :hi)"
)


@dataclass(frozen=True)
class MonthTime:
    """Seconds per group, keyed in the order of `by`; a group with a counted interval in
    the month is present even at 0 seconds. `entries_over`: per group, the entries with more
    than the asked seconds inside the month, as (entry id, seconds). `before`: per group of
    a (patient, program) given in `counted_from`, the seconds before that instant, which
    `seconds` leaves out."""

    seconds: dict[Key, int]
    entries_over: dict[Key, list[tuple[uuid.UUID, int]]]
    before: dict[Key, int] = field(default_factory=dict)


def month_time(conn: Connection, month: YearMonth, zone: ZoneInfo, now: datetime | None, *,
               by: Sequence[Group] = ("patient",), patient_id: uuid.UUID | None = None,
               entries_over: int | None = None,
               counted_from: Mapping[tuple[uuid.UUID, str], datetime] | None = None,
               numbers: bool = False) -> MonthTime:
    """The month's seconds per group of `by` (one patient's with `patient_id`). `now` None
    counts closed intervals only: a timer still running has spent nothing yet.
    `counted_from`: per (patient id, program value), the UTC instant before which that
    patient's time in that program is moved to `before`; `by` must then hold "patient" and
    "program". `numbers`: the patient, clinician and entry ids in the keys as their 128-bit
    numbers (UUID.int), which hash in C where a UUID hashes in Python (the report keys
    patients so); the entries listed stay UUIDs."""
    rolled = "entry" not in by and month_rollup.usable(conn, zone)
    return _month_time(conn, month, zone, now, by, patient_id, entries_over, counted_from,
                       rolled=rolled, numbers=numbers)


def _month_time(conn: Connection, month: YearMonth, zone: ZoneInfo, now: datetime | None,
                by: Sequence[Group], patient_id: uuid.UUID | None, entries_over: int | None,
                counted_from: Mapping[tuple[uuid.UUID, str], datetime] | None, *,
                rolled: bool, numbers: bool = False) -> MonthTime:
    """month_time, from the rollup's rows (`rolled`) or from the entries alone."""
    lo, hi = month_bounds_utc(month, zone)
    params: dict[str, Any] = {"lo": to_db_text(lo), "hi": to_db_text(hi), "false": False,
                              "over": entries_over or 0, "patient": patient_id,
                              "month": str(month)}
    key_of, width = _keys(by, numbers), len(by)
    # Summed under the values as stored (text hashes in C), made keys once at the end: a
    # clinic month is tens of thousands of groups, and a UUID hashes in Python.
    raw: dict[tuple[Any, ...], int] = {}
    seconds: dict[Key, int] = {}
    live: Live | None = None
    if rolled:
        # Grouped by patient, the rows carry each group's longest entry, so the patients
        # with an entry over `entries_over` are found in the same read and counted live.
        at = by.index("patient") if "patient" in by else -1
        folded = entries_over is not None and at >= 0
        live = _live(conn, params, None if folded else entries_over)
        rows = conn.execute(_rolled(by, patient_id is not None, live),
                            _bind(params, live)).all()
        if folded:
            long_ = {row[at] for row in rows if row[-1] is not None and row[-1] > entries_over}
            if long_:
                rows = [row for row in rows if row[at] not in long_]
                live = _as_live({*live.ids, *long_} | ({None} if live.program_level else set()))
        params = _bind(params, live)
        # One row per group (GROUP BY), made a key straight away; the entries' rows below
        # add to these keys in the same order as before.
        for row in rows:
            if row[-2] is not None:
                key = key_of(row)
                seconds[key] = seconds.get(key, 0) + int(row[-2])
    inside, edge = _statements(by, conn.dialect.name, patient_id is not None,
                               entries_over is not None, closed_only=now is None, live=live)
    over_raw: dict[tuple[Any, ...], list[tuple[uuid.UUID, int]]] = defaultdict(list)
    for row in conn.execute(inside, params) if inside is not None else ():
        if row[-2] is None:
            continue  # no entry at all (an aggregate without groups still gives a row)
        group = tuple(row[:width])
        raw[group] = raw.get(group, 0) + int(row[-2])
        for item in (row[-1] or "").split(","):
            if item:
                entry_id, secs = item.split(":")
                over_raw[group].append((_as_uuid(entry_id), int(secs)))
    spans: dict[Any, tuple[tuple[Any, ...], list[tuple[datetime, datetime]]]] = {}
    for row in conn.execute(edge, params):
        *_, entry_id, start, end = row
        group, pieces = spans.setdefault(entry_id, (tuple(row[:width]), []))
        finish = from_db_text(end) if end is not None else now
        if finish is not None:
            pieces.append((from_db_text(start), finish))
    for entry_id, (group, pieces) in spans.items():
        secs = split_seconds_by_month(pieces, zone).get(month, 0)
        raw[group] = raw.get(group, 0) + secs
        if entries_over is not None and secs > entries_over:
            over_raw[group].append((_as_uuid(entry_id), secs))
    for group, secs in raw.items():
        key = key_of(group)
        seconds[key] = seconds.get(key, 0) + secs
    over: dict[Key, list[tuple[uuid.UUID, int]]] = defaultdict(list)
    for group, found in over_raw.items():
        over[key_of(group)].extend(found)
    before: dict[Key, int] = {}
    cuts = {k: min(max(at, lo), hi) for k, at in (counted_from or {}).items() if at > lo}
    if cuts:
        if "patient" not in by or "program" not in by:
            raise ValueError("counted_from needs the patient and program groups")
        _split_at_cuts(conn, by, params, cuts, (lo, hi), now, seconds, before, numbers)
    # In entry order: the statements' row order is the planner's.
    return MonthTime(seconds, {k: sorted(v) for k, v in over.items()}, before)


def _split_at_cuts(conn: Connection, by: Sequence[Group], params: dict[str, Any],
                   cuts: Mapping[tuple[uuid.UUID, str], datetime],
                   bounds: tuple[datetime, datetime], now: datetime | None,
                   seconds: dict[Key, int], before: dict[Key, int], numbers: bool) -> None:
    """Move the seconds before each cut from `seconds` to `before`, reading only the cut
    patients' intervals of the month (the same entries the aggregate counted)."""
    lo, hi = bounds
    patient_at, program_at = by.index("patient"), by.index("program")
    columns = "".join(f"{_COLUMNS[g]}, " for g in by)
    join = " JOIN clinician c ON c.id = e.clinician_id" if "role" in by else ""
    query = text(
        f"SELECT {columns}i.start_utc, i.end_utc FROM time_entry e{join} "
        f"JOIN interval i ON i.entry_id = e.id WHERE {_CURRENT} "
        "AND e.patient_id IN :cut_patients AND e.span_start < :hi "
        "AND (e.span_end IS NULL OR e.span_end > :lo) "
        "AND i.start_utc < :hi AND (i.end_utc IS NULL OR i.end_utc > :lo)"
        + (" AND i.end_utc IS NOT NULL" if now is None else "")
    ).bindparams(bindparam("cut_patients", expanding=True, type_=Uuid()))
    key_of = _keys(by, numbers)
    counted: dict[Key, int] = {}
    rows = conn.execute(query, {**params, "cut_patients": sorted({p for p, _ in cuts})})
    at_cut = {(p.int, program): at for (p, program), at in cuts.items()} if numbers else cuts
    for row in rows:
        key = key_of(row)
        cut = at_cut.get((key[patient_at], key[program_at]))
        if cut is None:
            continue
        start, end = from_db_text(row[-2]), from_db_text(row[-1]) if row[-1] else now
        assert end is not None  # closed intervals only when `now` is None
        counted[key] = counted.get(key, 0) + clip_seconds(start, end, cut, hi)
    for key, total in seconds.items():
        if (key[patient_at], key[program_at]) in at_cut:
            kept = min(total, counted.get(key, 0))
            seconds[key] = kept
            if total - kept:
                before[key] = total - kept


@dataclass(frozen=True)
class Live:
    """The patients (raw ids as stored) whose stopped time is counted from the entries, not
    the rollup; `program_level`: program-level time too (no patient)."""

    ids: tuple[Any, ...]
    program_level: bool

    def among(self, column: str) -> str:
        parts = [f"{column} IN :live"] if self.ids else []
        if self.program_level:
            parts.append(f"{column} IS NULL")
        return f"({' OR '.join(parts)})" if parts else "0"

    def not_among(self, column: str) -> str:
        if not self.ids:
            return f"{column} IS NOT NULL" if self.program_level else "1"
        if self.program_level:
            return f"({column} IS NOT NULL AND {column} NOT IN :live)"
        return f"({column} IS NULL OR {column} NOT IN :live)"


def _live(conn: Connection, params: dict[str, Any], entries_over: int | None) -> Live:
    found = month_rollup.unsettled(conn)
    if entries_over is not None:  # the list names entries: their patients are read
        found |= {r[0] for r in conn.execute(text(
            "SELECT DISTINCT patient_id FROM month_rollup WHERE month = :month "
            "AND longest > :over"), params)}
    return _as_live(found)


def _as_live(found: set[Any]) -> Live:
    return Live(tuple(sorted(p for p in found if p is not None)), None in found)


def _bind(params: dict[str, Any], live: Live) -> dict[str, Any]:
    return {**params, "live": list(live.ids)} if live.ids else params


def _with_live(sql: str) -> TextClause:
    query = text(sql)
    return query.bindparams(bindparam("live", expanding=True)) if ":live" in sql else query


def _rolled(by: Sequence[Group], one_patient: bool, live: Live) -> TextClause:
    """The rollup's seconds and longest entry per group, leaving out the patients counted
    live."""
    cols = [_COLUMNS[g].replace("e.", "r.") for g in by]
    columns = "".join(f"{c}, " for c in cols)
    join = " JOIN clinician c ON c.id = r.clinician_id" if "role" in by else ""
    where = "r.month = :month AND " + live.not_among("r.patient_id")
    if one_patient:
        where += " AND r.patient_id = :patient"
    group_by = f" GROUP BY {', '.join(cols)}" if by else ""
    query = _with_live(f"SELECT {columns}SUM(r.seconds), MAX(r.longest) FROM month_rollup "
                       f"r{join} WHERE {where}{group_by}")
    return query.bindparams(bindparam("patient", type_=Uuid())) if one_patient else query


def _statements(by: Sequence[Group], dialect: str, one_patient: bool, listing: bool, *,
                closed_only: bool, live: Live | None = None,
                ) -> tuple[TextClause | None, TextClause]:
    """The aggregate over entries inside the month, and the intervals of the others. With
    `live` (the rollup counted the rest): the aggregate of those patients only (None when
    there are none), and the intervals of the running entries and of those patients."""
    columns = "".join(f"{_COLUMNS[g]}, " for g in by)
    join = " JOIN clinician c ON c.id = e.clinician_id" if "role" in by else ""
    where = _CURRENT + (" AND e.patient_id = :patient" if one_patient else "")
    inside_where = f"{where} AND {_INSIDE}" if live is None else (
        f"{where} AND {live.among('e.patient_id')} AND {_INSIDE.replace('e.', '+e.')}")
    group_by = f" GROUP BY {', '.join(_COLUMNS[g] for g in by)}" if by else ""
    inside = (f"SELECT {columns}SUM(e.span_seconds), {_listed(dialect) if listing else 'NULL'} "
              f"FROM time_entry e{join} WHERE {inside_where}{group_by}")
    pieces = (f"SELECT {columns}e.id, i.start_utc, i.end_utc FROM time_entry e{join} "
              "JOIN interval i ON i.entry_id = e.id WHERE {}"
              " AND i.start_utc < :hi AND (i.end_utc IS NULL OR i.end_utc > :lo)"
              + (" AND i.end_utc IS NOT NULL" if closed_only else ""))
    if live is None:
        edge = pieces.format(f"{where} AND {_EDGE}")
    else:  # the running entries (an indexed few), then the live patients' stopped ones;
        # SQLite only, where a unary + keeps the planner off the span_start index.
        edge = pieces.format(f"{where} AND e.span_end IS NULL AND +e.span_start < :hi")
        if live.ids or live.program_level:
            edge += " UNION ALL " + pieces.format(
                f"{where} AND {live.among('e.patient_id')} AND +e.span_end > :lo "
                "AND +e.span_start < :hi AND (+e.span_start < :lo OR +e.span_end > :hi)")
    binds = [bindparam("patient", type_=Uuid())] if one_patient else []
    nobody = live is not None and not live.ids and not live.program_level
    return (None if nobody else _with_live(inside).bindparams(*binds),
            _with_live(edge).bindparams(*binds))


def _listed(dialect: str) -> str:
    """Per group, the entries over :over seconds, as "id:seconds,id:seconds"."""
    entry_id = "CAST(e.id AS TEXT)" if dialect == "postgresql" else "e.id"
    item = (f"CASE WHEN e.span_seconds > :over THEN {entry_id} || ':' || "
            "CAST(e.span_seconds AS TEXT) END")
    return f"string_agg({item}, ',')" if dialect == "postgresql" else f"group_concat({item})"


class _Ids(dict[Any, Any]):
    """Stored id -> key, each made once per call (a month repeats a patient in many
    groups); a hit is a plain dict lookup, in C."""

    def __init__(self, make: Callable[[Any], Any]) -> None:
        super().__init__({None: None})  # patient None: program-level time
        self.make = make

    def __missing__(self, value: Any) -> Any:
        made = self[value] = self.make(value)
        return made


def _keys(by: Sequence[Group], numbers: bool = False) -> Callable[[Sequence[Any]], Key]:
    """A row's leading columns as a key: ids as UUIDs, or with `numbers` their 128-bit
    numbers."""
    an_id = _Ids(_as_number if numbers else _as_uuid).__getitem__
    table: dict[str, Callable[[Any], Any]] = {
        "patient": an_id, "entry": an_id, "clinician": an_id, "role": _ROLES.__getitem__,
        "program": _PROGRAMS.__getitem__}
    convert = [table[g] for g in by]
    if len(convert) == 3:  # the report's groups: no per-row loop over the converters
        first, second, third = convert
        return lambda row: (first(row[0]), second(row[1]), third(row[2]))

    def key_of(row: Sequence[Any]) -> Key:
        return tuple([f(v) for f, v in zip(convert, row, strict=False)])

    return key_of


def _as_uuid(value: Any) -> uuid.UUID:
    # SQLite keeps ids as 32 hex digits; PostgreSQL hands back UUIDs.
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def _as_number(value: Any) -> int:
    return value.int if isinstance(value, uuid.UUID) else int(str(value).replace("-", ""), 16)
