"""The month report: per patient, minutes by role and program, claim lines, next thresholds
and warnings, from the billing engine in core/billing.

The database does the heavy lifting: one aggregate query sums every interval clipped to the
clinic's calendar month (in exact whole seconds), and two more find the rare long and
overlapping entries, so a clinic month of a million intervals never becomes a million Python
objects. The SQL runs on SQLite (a workstation) and PostgreSQL (the clinic hub) alike.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, text

from ccm_timer.core.billing import (
    LONG_ENTRY_SECONDS,
    EnrollmentInput,
    LongEntry,
    MonthFlags,
    Overlap,
    PatientMonthInput,
    PatientMonthResult,
    PatientMonthTotals,
    evaluate_many,
)
from ccm_timer.core.month import YearMonth, month_bounds_utc, parse_month
from ccm_timer.errors import NotFound, UserError, sentence
from ccm_timer.services.context import AppContext
from ccm_timer.services.month.billing_rules import MissingBillingRules, rules_for_month
from ccm_timer.store.instants import to_db_text


@dataclass(frozen=True)
class PatientReport:
    patient_id: uuid.UUID
    mrn: str
    family_name: str
    given_name: str
    billing_practitioner: str | None
    result: PatientMonthResult

    @property
    def display_name(self) -> str:
        return f"{self.family_name}, {self.given_name}"

    def to_dict(self) -> dict[str, Any]:
        data = self.result.to_dict()
        return {
            "mrn": self.mrn,
            "name": self.display_name,
            "billing_practitioner": self.billing_practitioner,
            "minutes": data["minutes"]["by_role"],
            "minutes_by_program": data["minutes"]["by_program"],
            "seconds": data["seconds"],
            "lines": data["lines"],
            "next": data["next"],
            "tracks": data["tracks"],
            "warnings": data["warnings"],
        }


@dataclass(frozen=True)
class MonthReport:
    month: str
    zone: str
    rules: dict[str, Any]
    patients: tuple[PatientReport, ...]
    program_level_seconds: int

    def patient(self, mrn: str) -> PatientReport | None:
        return next((p for p in self.patients if p.mrn == mrn), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "month": self.month,
            "time_zone": self.zone,
            "rules": self.rules,
            "program_level": {
                "seconds": self.program_level_seconds,
                "minutes": self.program_level_seconds // 60,
            },
            "patients": [p.to_dict() for p in self.patients],
        }


def _micros(dialect: str, column: str) -> str:
    """Exact microseconds since the epoch of a stored instant (fixed-width UTC text)."""
    if dialect == "postgresql":
        return f"CAST(EXTRACT(EPOCH FROM CAST({column} AS timestamptz)) * 1000000 AS BIGINT)"
    return (
        f"(CAST(strftime('%s', {column}) AS INTEGER) * 1000000 "
        f"+ CAST(substr({column}, 21, 6) AS INTEGER))"
    )


def _concat(dialect: str, expr: str) -> str:
    if dialect == "postgresql":
        return f"string_agg({expr}, ',')"
    return f"group_concat({expr})"


def _id_text(dialect: str, column: str) -> str:
    return f"CAST({column} AS TEXT)" if dialect == "postgresql" else column


_CURRENT = "e.superseded_at IS NULL AND e.voided = :false {patient_filter}"
# Stopped entries wholly inside the month: their stored span seconds are the answer.
_INSIDE = "e.span_start >= :lo AND e.span_end <= :hi"
# Entries running now, or crossing a month boundary: their intervals are clipped one by one.
_EDGE = (
    "(e.span_end IS NULL OR e.span_end > :lo) AND e.span_start < :hi "
    "AND (e.span_end IS NULL OR e.span_start < :lo OR e.span_end > :hi)"
)


def _queries(dialect: str, patient_filter: str) -> dict[str, str]:
    current = _CURRENT.format(patient_filter=patient_filter)
    start = "CASE WHEN i.start_utc < :lo THEN :lo ELSE i.start_utc END"
    end = "CASE WHEN COALESCE(i.end_utc, :now) > :hi THEN :hi ELSE COALESCE(i.end_utc, :now) END"
    # Whole seconds per interval, never rounded up (19:59.9 is not 20 minutes).
    clipped = f"(({_micros(dialect, end)} - {_micros(dialect, start)}) / 1000000)"
    long_ids = _concat(
        dialect,
        f"CASE WHEN e.span_seconds > {LONG_ENTRY_SECONDS} THEN "
        f"{_id_text(dialect, 'e.id')} || ':' || CAST(e.span_seconds AS TEXT) END",
    )
    return {
        "inside": f"SELECT e.patient_id, e.clinician_id, e.program, SUM(e.span_seconds), "
        f"{long_ids} FROM time_entry e WHERE {current} AND {_INSIDE} "
        "GROUP BY e.patient_id, e.clinician_id, e.program",
        "edge": f"SELECT e.patient_id, e.clinician_id, e.program, e.id, SUM({clipped}) "
        "FROM time_entry e JOIN interval i ON i.entry_id = e.id "
        f"WHERE {current} AND {_EDGE} AND i.start_utc < :hi AND i.start_utc < :now "
        "AND COALESCE(i.end_utc, :now) > :lo "
        "GROUP BY e.patient_id, e.clinician_id, e.program, e.id",
        # Each entry against the furthest end reached by the same patient's earlier entries:
        # a sweep in SQL, no pairwise join. Candidates are confirmed on intervals below.
        "overlaps": "SELECT patient_id, id, span_start, span_stop, reach FROM ("
        "SELECT e.patient_id, e.id, e.span_start, COALESCE(e.span_end, :now) AS span_stop, "
        "MAX(COALESCE(e.span_end, :now)) OVER (PARTITION BY e.patient_id "
        "ORDER BY e.span_start, e.id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach "
        f"FROM time_entry e WHERE {current} AND e.patient_id IS NOT NULL "
        "AND e.span_start < :hi AND (e.span_end IS NULL OR e.span_end > :lo)) AS swept "
        "WHERE span_start < reach",
    }


def _partners(conn, params: dict, patient_id: Any, entry_id: Any, dialect: str
              ) -> list[tuple[Any, int]]:
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


def _hex(value: Any) -> str:
    return value.hex if isinstance(value, uuid.UUID) else str(value).replace("-", "")


def month_report_on(
    engine: Engine,
    month: str | YearMonth,
    zone: ZoneInfo,
    now: datetime,
    patient_mrn: str | None = None,
) -> MonthReport:
    """The report from any database with our tables: a workstation's or the clinic hub's."""
    try:
        ym = parse_month(month) if isinstance(month, str) else month
        rules = rules_for_month(ym)
    except ValueError as exc:
        raise UserError(sentence(exc)) from None
    except MissingBillingRules as exc:
        raise UserError(str(exc)) from None
    lo, hi = month_bounds_utc(ym, zone)
    dialect = engine.dialect.name
    params: dict[str, Any] = {"lo": to_db_text(lo), "hi": to_db_text(hi),
                              "now": to_db_text(now), "false": False}
    with engine.connect() as conn:
        patient_filter = ""
        if patient_mrn:
            row = conn.execute(text("SELECT id FROM patient WHERE mrn = :mrn"),
                               {"mrn": patient_mrn.strip()}).first()
            if row is None:
                raise NotFound(f"No patient has MRN {patient_mrn.strip()!r}; check the number.")
            params["only"] = row[0]
            patient_filter = "AND e.patient_id = :only"
        queries = _queries(dialect, patient_filter)
        roles = {r[0]: r[1].lower() for r in conn.execute(text("SELECT id, role FROM clinician"))}
        seconds: dict[Any, dict] = defaultdict(dict)
        longs: dict[Any, list[LongEntry]] = defaultdict(list)
        program_level = 0

        def add(pid: Any, clinician: Any, program: str | None, secs: int) -> None:
            nonlocal program_level
            if pid is None:
                program_level += secs
                return
            key = (roles[clinician], program)
            seconds[pid][key] = seconds[pid].get(key, 0) + secs

        for pid, clinician, program, secs, long_ids in conn.execute(
            text(queries["inside"]), params
        ):
            add(pid, clinician, program, int(secs))
            for item in (long_ids or "").split(","):
                if item and pid is not None:
                    eid, secs_text = item.split(":")
                    longs[pid].append(LongEntry(str(uuid.UUID(eid)), int(secs_text)))
        for pid, clinician, program, eid, secs in conn.execute(text(queries["edge"]), params):
            add(pid, clinician, program, int(secs))
            if pid is not None and secs > LONG_ENTRY_SECONDS:
                longs[pid].append(LongEntry(str(uuid.UUID(_hex(eid))), int(secs)))
        overlaps: dict[Any, list[Overlap]] = defaultdict(list)
        for pid, eid, *_ in conn.execute(text(queries["overlaps"]), params).all():
            for other, shared in _partners(conn, params, pid, eid, dialect):
                pair = sorted((str(uuid.UUID(_hex(eid))), str(uuid.UUID(_hex(other)))))
                overlaps[pid].append(Overlap(pair[0], pair[1], max(0, shared)))
        patients_sql = (
            "SELECT p.id, p.mrn, p.family_name, p.given_name, c.name FROM patient p "
            "LEFT JOIN clinician c ON c.id = p.billing_practitioner_id"
        )
        people = {r[0]: r for r in conn.execute(text(patients_sql))}
        enrolled: dict[Any, list[EnrollmentInput]] = defaultdict(list)
        for pid, program, consent, start, end in conn.execute(text(
            "SELECT patient_id, program, consent_date, start_date, end_date FROM enrollment"
        )):
            enrolled[pid].append(EnrollmentInput(program, _date(consent), _date(start),
                                                 _date(end)))
        flags = {
            r[0]: MonthFlags(bool(r[1]), bool(r[2]), bool(r[3]))
            for r in conn.execute(text(
                "SELECT patient_id, complex_mdm, care_plan_revised, interactive_contact "
                "FROM patient_month WHERE month = :m"), {"m": str(ym)})
        }
    wanted = set(seconds)
    for pid, items in enrolled.items():  # enrolled this month: shown even with no time yet
        if any(_active(e, ym) for e in items):
            wanted.add(pid)
    if patient_mrn:
        wanted = {params["only"]}
    order = sorted(wanted, key=lambda pid: (people[pid][2].casefold(), people[pid][3].casefold(),
                                            people[pid][1]))
    inputs = [
        PatientMonthInput(
            PatientMonthTotals(seconds.get(pid, {}), _dedupe(overlaps.get(pid, [])),
                               tuple(longs.get(pid, []))),
            _one_per_program(enrolled.get(pid, [])),
            flags.get(pid, MonthFlags()),
        )
        for pid in order
    ]
    results = evaluate_many(inputs, ym, rules)
    reports = tuple(
        PatientReport(_as_uuid(pid), people[pid][1], people[pid][2], people[pid][3],
                      people[pid][4], result)
        for pid, result in zip(order, results, strict=True)
    )
    return MonthReport(str(ym), zone.key, rules.to_dict(), reports, program_level)


def month_report(ctx: AppContext, month: str, patient_mrn: str | None = None) -> MonthReport:
    return month_report_on(ctx.engine, month, ctx.zone, ctx.now(), patient_mrn)


def _date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _active(enrollment: EnrollmentInput, ym: YearMonth) -> bool:
    starts_before_end = enrollment.start_date is None or enrollment.start_date <= ym.last_day
    ends_after_start = enrollment.end_date is None or enrollment.end_date >= ym.first_day
    return starts_before_end and ends_after_start


def _one_per_program(items: list[EnrollmentInput]) -> tuple[EnrollmentInput, ...]:
    """A hub holds each workstation's copy of an enrollment: keep one per program, the one
    with the earliest consent on file (no consent anywhere stays no consent)."""
    best: dict[str, EnrollmentInput] = {}
    for item in items:
        kept = best.get(item.program)
        if kept is None or (item.consent_date is not None and (
                kept.consent_date is None or item.consent_date < kept.consent_date)):
            best[item.program] = item
    return tuple(best.values())


def _dedupe(found: list[Overlap]) -> tuple[Overlap, ...]:
    seen: dict[tuple[str, str], Overlap] = {}
    for item in found:
        key = (item.entry_a, item.entry_b)
        if key not in seen or item.seconds > seen[key].seconds:
            seen[key] = item
    return tuple(seen.values())


def _as_uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(_hex(value))
