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
from ccm_timer.services.billing_rules import MissingBillingRules, rules_for_month
from ccm_timer.services.errors import NotFound, UserError
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


def _clipped_seconds(dialect: str) -> str:
    start = "CASE WHEN i.start_utc < :lo THEN :lo ELSE i.start_utc END"
    end = "CASE WHEN COALESCE(i.end_utc, :now) > :hi THEN :hi ELSE COALESCE(i.end_utc, :now) END"
    # Whole seconds per interval, never rounded up (19:59.9 is not 20 minutes).
    return f"(({_micros(dialect, end)} - {_micros(dialect, start)}) / 1000000)"


_IN_MONTH = """
    FROM interval i
    JOIN time_entry e ON e.id = i.entry_id
    JOIN clinician c ON c.id = e.clinician_id
    WHERE e.superseded_at IS NULL AND e.voided = :false
      AND i.start_utc < :hi AND COALESCE(i.end_utc, :now) > :lo
      AND i.start_utc < :now {patient_filter}
"""


def _queries(dialect: str, patient_filter: str) -> dict[str, str]:
    body = _IN_MONTH.format(patient_filter=patient_filter)
    seconds = _clipped_seconds(dialect)
    return {
        "totals": f"SELECT e.patient_id, c.role, e.program, SUM({seconds}) {body} "
        "GROUP BY e.patient_id, c.role, e.program",
        "long": f"SELECT e.patient_id, e.id, SUM({seconds}) AS s {body} "
        f"GROUP BY e.patient_id, e.id HAVING SUM({seconds}) > {LONG_ENTRY_SECONDS}",
        # Each interval against the furthest end reached by the same patient's earlier
        # intervals (other entries): a sweep in SQL, no pairwise join.
        "overlaps": "SELECT patient_id, entry_id, start_utc, end_utc, reach FROM ("
        "SELECT e.patient_id, i.entry_id, i.start_utc, COALESCE(i.end_utc, :now) AS end_utc, "
        "MAX(COALESCE(i.end_utc, :now)) OVER (PARTITION BY e.patient_id ORDER BY i.start_utc, "
        "i.entry_id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach "
        f"{body} AND e.patient_id IS NOT NULL) AS swept WHERE start_utc < reach",
    }


def _partners(conn, params: dict, patient_id: Any, entry_id: Any, start: str, end: str,
              dialect: str) -> list[tuple[Any, int]]:
    """The patient's other entries overlapping [start, end), with the shared seconds."""
    rows = conn.execute(
        text(
            f"SELECT i.entry_id, {_micros(dialect, 'i.start_utc')}, "
            f"{_micros(dialect, 'COALESCE(i.end_utc, :now)')} "
            "FROM interval i JOIN time_entry e ON e.id = i.entry_id "
            "WHERE e.patient_id = :pid AND e.superseded_at IS NULL AND e.voided = :false "
            "AND i.entry_id <> :eid AND i.start_utc < :end AND COALESCE(i.end_utc, :now) > :start"
        ),
        {**params, "pid": patient_id, "eid": entry_id, "start": start, "end": end},
    ).all()
    return rows


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
        raise UserError(f"{str(exc)[0].upper()}{str(exc)[1:]}.") from None
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
        seconds: dict[Any, dict] = defaultdict(dict)
        program_level = 0
        for pid, role, program, secs in conn.execute(text(queries["totals"]), params):
            if pid is None:
                program_level += int(secs)
                continue
            seconds[pid][(role.lower(), program)] = int(secs)
        longs: dict[Any, list[LongEntry]] = defaultdict(list)
        for pid, eid, secs in conn.execute(text(queries["long"]), params):
            if pid is not None:
                longs[pid].append(LongEntry(str(uuid.UUID(_hex(eid))), int(secs)))
        overlaps: dict[Any, list[Overlap]] = defaultdict(list)
        for pid, eid, start, end, _reach in conn.execute(text(queries["overlaps"]), params).all():
            for other, o_start, o_end in _partners(conn, params, pid, eid, start, end, dialect):
                mine = (_micros_py(start), _micros_py(end))
                shared = (min(mine[1], o_end) - max(mine[0], o_start)) // 1_000_000
                pair = sorted((str(uuid.UUID(_hex(eid))), str(uuid.UUID(_hex(other)))))
                overlaps[pid].append(Overlap(pair[0], pair[1], max(0, int(shared))))
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
            tuple(enrolled.get(pid, [])),
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


def month_report(ctx, month: str, patient_mrn: str | None = None) -> MonthReport:
    return month_report_on(ctx.engine, month, ctx.zone, ctx.now(), patient_mrn)


def _micros_py(value: str) -> int:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return int(moment.timestamp()) * 1_000_000 + moment.microsecond


def _date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _active(enrollment: EnrollmentInput, ym: YearMonth) -> bool:
    starts_before_end = enrollment.start_date is None or enrollment.start_date <= ym.last_day
    ends_after_start = enrollment.end_date is None or enrollment.end_date >= ym.first_day
    return starts_before_end and ends_after_start


def _dedupe(found: list[Overlap]) -> tuple[Overlap, ...]:
    seen: dict[tuple[str, str], Overlap] = {}
    for item in found:
        key = (item.entry_a, item.entry_b)
        if key not in seen or item.seconds > seen[key].seconds:
            seen[key] = item
    return tuple(seen.values())


def _as_uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(_hex(value))
