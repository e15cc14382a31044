"""The month report: per patient, minutes by role and program, claim lines, next thresholds
and warnings, from the billing engine in core/billing.

The database does the heavy lifting: the month's seconds by clinician and program, split at
each consent day inside the month, and its long entries come from store/month_time.py (the
one month-time function), and the rare overlapping entries from store/month_overlaps.py
(kept beside the month rollup on a workstation, swept on the hub), so a clinic month of a
million intervals never becomes a million Python objects. Whose minutes
they are (the billing practitioner's own, clinical staff's, another practitioner's) is
sorted in whose_minutes.py. The SQL runs on SQLite (a workstation) and PostgreSQL (the
clinic hub) alike.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, text

from ccm_timer.core.billing import (
    LONG_ENTRY_SECONDS,
    EnrollmentInput,
    LongEntry,
    MonthFlags,
    Overlap,
    PatientMonthInput,
    PatientMonthResult,
    PatientMonthTotals,
    RecordInput,
    evaluate_many,
)
from ccm_timer.core.collation import name_key
from ccm_timer.core.conditions import ChronicList
from ccm_timer.core.month import YearMonth, parse_month
from ccm_timer.errors import NotFound, UserError, sentence
from ccm_timer.services.context import AppContext
from ccm_timer.services.month.billing_rules import MissingBillingRules, rules_for_month
from ccm_timer.services.month.month_record import PatientRecord, month_records
from ccm_timer.services.month.overlap_sql import no_gc_pauses
from ccm_timer.services.month.whose_minutes import (
    GROUPS,
    PatientTime,
    clinicians,
    consent_cuts,
    sort_time,
)
from ccm_timer.services.people.chronic_list import chronic_list
from ccm_timer.store import month_overlaps
from ccm_timer.store.models import Program
from ccm_timer.store.month_time import month_time

_PROGRAMS = {p.name: p.value for p in Program}  # as stored (the name) -> its value


@dataclass(frozen=True, slots=True)
class EnrollmentRow(EnrollmentInput):
    """One enrollment as stored (a hub holds each workstation's copy): what the billing
    engine reads, and how consent was given, for the exports."""

    consent_method: str | None = None
    consent_by: str | None = None
    disclosures: tuple[str, ...] = ()  # the disclosures recorded, in CONSENT_ELEMENTS order
    withdrawn_on: date | None = None
    has_document: bool = False  # a scanned written consent is kept with the record


_DISCLOSURES = ("cost_sharing", "one_practitioner", "right_to_stop")
# Plain rows, by position: a mapping row costs a lookup by name per column per enrolment.
_ENROLLMENTS = (
    "SELECT patient_id, program, consent_date, start_date, end_date, consent_method, "
    "consent_by, disclosed_cost_sharing, disclosed_one_practitioner, disclosed_right_to_stop, "
    "withdrawn_on, consent_document_id FROM enrollment"
)


def _enrollment_row(row: Any, day: Any) -> EnrollmentRow:
    """One row of _ENROLLMENTS; `day` reads a stored date (a clinic repeats a few)."""
    disclosures = tuple(name for name, flag in zip(_DISCLOSURES, row[7:10], strict=True)
                        if flag)
    recorded = set(disclosures)
    if row[5] in ("verbal", "written"):
        recorded.add("method")
    if row[6]:
        recorded.add("obtained_by")
    return EnrollmentRow(
        _PROGRAMS[row[1]], day(row[2]), day(row[3]), day(row[4]), frozenset(recorded),
        row[5], row[6], disclosures, day(row[10]), row[11] is not None)


@dataclass(frozen=True)
class PatientReport:
    patient_id: uuid.UUID
    mrn: str
    family_name: str
    given_name: str
    billing_practitioner: str | None
    result: PatientMonthResult
    # What the exports need besides the result, read with it (one snapshot, no re-query).
    birth_date: date | None = None
    billing_practitioner_id: uuid.UUID | None = None
    enrollments: tuple[EnrollmentRow, ...] = ()
    record: PatientRecord = PatientRecord()
    qmb: bool | None = None

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
            # Shown apart, never counted: time before a consent day, by program, and other
            # practitioners' time one by one (whether it counted as clinical-staff time).
            "minutes_before_consent": data["minutes"]["before_consent"],
            "other_practitioners": data["other_practitioners"],
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
    # Per (patient, program), the instant its time counts from (a consent day inside the
    # month), as month_time split it: the exports split each entry the same way.
    counted_from: Mapping[tuple[uuid.UUID, str], datetime] = field(default_factory=dict)

    def patient(self, mrn: str) -> PatientReport | None:
        return next((p for p in self.patients if p.mrn == mrn), None)

    def to_dict(self) -> dict[str, Any]:
        with no_gc_pauses():  # as the report itself: 2,000 patients took 113 ms, now 40
            patients = [p.to_dict() for p in self.patients]
        return {
            "month": self.month,
            "time_zone": self.zone,
            "rules": self.rules,
            "program_level": {
                "seconds": self.program_level_seconds,
                "minutes": self.program_level_seconds // 60,
            },
            "patients": patients,
        }


def _hex(value: Any) -> str:
    return value.hex if isinstance(value, uuid.UUID) else str(value).replace("-", "")


def _number(value: Any) -> int:
    """A stored id as its 128-bit number (SQLite keeps 32 hex digits, PostgreSQL a UUID)."""
    return value.int if isinstance(value, uuid.UUID) else int(str(value).replace("-", ""), 16)


@contextmanager
def _connected(source: Engine | Connection) -> Iterator[Connection]:
    if isinstance(source, Connection):
        yield source  # the caller's transaction, and so its snapshot
        return
    with source.connect() as conn:
        yield conn


def month_report_on(
    source: Engine | Connection,
    month: str | YearMonth,
    zone: ZoneInfo,
    now: datetime,
    patient_mrn: str | None = None,
    chronic: ChronicList | None = None,
    other_time: str = "incident_to",
) -> MonthReport:
    """The report from any database with our tables: a workstation's or the clinic hub's.
    Given a connection, it reads inside that connection's transaction. `chronic` is the
    clinic's chronic-condition list (None: the shipped one); `other_time` the clinic's
    setting other_practitioner_time (whose_minutes.py)."""
    with no_gc_pauses():
        return _month_report_on(source, month, zone, now, patient_mrn, chronic, other_time)


def _month_report_on(
    source: Engine | Connection, month: str | YearMonth, zone: ZoneInfo, now: datetime,
    patient_mrn: str | None, chronic: ChronicList | None, other_time: str,
) -> MonthReport:
    try:
        ym = parse_month(month) if isinstance(month, str) else month
        rules = rules_for_month(ym)
    except ValueError as exc:
        raise UserError(sentence(exc)) from None
    except MissingBillingRules as exc:
        raise UserError(str(exc)) from None
    only: uuid.UUID | None = None
    stored_only: Any = None  # the one patient's id as the database stores it
    with _connected(source) as conn:
        if patient_mrn:
            row = conn.execute(text("SELECT id FROM patient WHERE mrn = :mrn"),
                               {"mrn": patient_mrn.strip()}).first()
            if row is None:
                raise NotFound(f"No patient has MRN {patient_mrn.strip()!r}; check the number.")
            stored_only, only = row[0], _as_uuid(row[0])
        patients_sql = (
            "SELECT p.id, p.mrn, p.family_name, p.given_name, c.name, p.birth_date, "
            "p.billing_practitioner_id, p.qmb FROM patient p "
            "LEFT JOIN clinician c ON c.id = p.billing_practitioner_id"
        )
        # Patients are keyed by their ids' 128-bit number here: it hashes in C, a UUID in
        # Python, and a clinic month makes tens of thousands of lookups.
        people = {_number(r[0]): r for r in conn.execute(text(patients_sql))}
        enrolled: dict[int, list[EnrollmentRow]] = defaultdict(list)
        day = _dates()
        for stored in conn.execute(text(_ENROLLMENTS)):
            enrolled[_number(stored[0])].append(_enrollment_row(stored, day))
        consents = {pid: _one_per_program(items) for pid, items in enrolled.items()
                    if only is None or pid == only.int}
        cuts = consent_cuts(consents, rules.programs, ym, zone)
        time = month_time(conn, ym, zone, now, by=GROUPS, patient_id=only,
                          entries_over=LONG_ENTRY_SECONDS, counted_from=cuts, numbers=True)
        sorted_time, program_level = sort_time(
            time, clinicians(conn), {pid: row[6] for pid, row in people.items()}, other_time)
        longs: dict[int, list[LongEntry]] = defaultdict(list)
        for (patient, *_), found in time.entries_over.items():
            if patient is not None:
                longs[patient].extend(LongEntry(str(eid), secs) for eid, secs in found)
        overlaps = {_number(pid): found for pid, found in month_overlaps.of_month(
            conn, ym, zone, now, stored_only).items()}
        records = month_records(conn, ym, zone, chronic or chronic_list(), only)
        flags = {
            _number(r[0]): MonthFlags(bool(r[1]), bool(r[2]), bool(r[3]))
            for r in conn.execute(text(
                "SELECT patient_id, complex_mdm, care_plan_revised, interactive_contact "
                "FROM patient_month WHERE month = :m"), {"m": str(ym)})
        }
    wanted = set(sorted_time)
    for pid, items in enrolled.items():  # enrolled this month: shown even with no time yet
        if any(_active(e, ym) for e in items):
            wanted.add(pid)
    if only is not None:
        wanted = {only.int}
    named = _names()
    order = sorted(wanted, key=lambda pid: (named(people[pid][2]), named(people[pid][3]),
                                            people[pid][1]))  # as people read names
    no_record = {qmb: _NO_RECORD.engine_input(zone, qmb) for qmb in (None, False, True)}
    inputs = [
        PatientMonthInput(
            _totals(sorted_time.get(pid), overlaps.get(pid, ()),
                    tuple(longs.get(pid, [])), people[pid][6] is not None),
            consents.get(pid, ()),
            _with_revision(flags.get(pid, MonthFlags()), records.get(pid)),
            _record_input(records.get(pid), zone, people[pid][7], no_record),
        )
        for pid in order
    ]
    results = evaluate_many(inputs, ym, rules)
    reports = tuple(
        PatientReport(uuid.UUID(int=pid), row[1], row[2], row[3], row[4],
                      result, _date(row[5]),
                      _as_uuid(row[6]) if row[6] is not None else None,
                      tuple(enrolled.get(pid, ())), records.get(pid, _NO_RECORD),
                      None if row[7] is None else bool(row[7]))
        for pid, row, result in zip(order, (people[pid] for pid in order), results,
                                    strict=True)
    )
    return MonthReport(str(ym), zone.key, rules.to_dict(), reports, program_level, cuts)


def month_report(ctx: AppContext, month: str, patient_mrn: str | None = None) -> MonthReport:
    return month_report_on(ctx.engine, month, ctx.zone, ctx.now(), patient_mrn,
                           chronic_list(ctx.paths.settings_dir),
                           ctx.settings.other_practitioner_time)


_NO_RECORD = PatientRecord()
_NO_TIME = PatientTime()


def _totals(time: PatientTime | None, overlaps: tuple[Overlap, ...],
            longs: tuple[LongEntry, ...], has_billing_practitioner: bool) -> PatientMonthTotals:
    mine = time or _NO_TIME
    return PatientMonthTotals(mine.seconds, overlaps, longs, tuple(mine.others),
                              mine.before_consent, has_billing_practitioner)


def _record_input(record: PatientRecord | None, zone: ZoneInfo, qmb: Any,
                  no_record: Mapping[bool | None, RecordInput]) -> RecordInput:
    """The record the engine reads, with the patient's recorded QMB status; most patients
    of a month have none on file, and those share one of three."""
    known = None if qmb is None else bool(qmb)
    return no_record[known] if record is None else record.engine_input(zone, known)


def _names() -> Callable[[str], tuple[str, str, str]]:
    """name_key, remembering each name (a clinic repeats given names)."""
    seen: dict[str, tuple[str, str, str]] = {}

    def key(text: str) -> tuple[str, str, str]:
        found = seen.get(text)
        if found is None:
            found = seen[text] = name_key(text)
        return found

    return key


def _with_revision(flags: MonthFlags, record: PatientRecord | None) -> MonthFlags:
    """The care plan revised in the month (month_record.py) sets the flag; the flag set by
    hand stays set either way."""
    if record is None or not record.revised_in_month or flags.care_plan_revised:
        return flags
    return MonthFlags(flags.complex_mdm, True, flags.interactive_contact)


def _dates() -> Callable[[Any], date | None]:
    """_date, remembering each stored value read (one call reads the whole clinic)."""
    seen: dict[Any, date | None] = {}

    def day(value: Any) -> date | None:
        found = seen.get(value, _UNSEEN)
        if found is _UNSEEN:
            found = seen[value] = _date(value)
        return found  # type: ignore[return-value]

    return day


_UNSEEN = object()


def _date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _active(enrollment: EnrollmentRow, ym: YearMonth) -> bool:
    starts_before_end = enrollment.start_date is None or enrollment.start_date <= ym.last_day
    ends_after_start = enrollment.end_date is None or enrollment.end_date >= ym.first_day
    return starts_before_end and ends_after_start


def _one_per_program(items: list[EnrollmentRow]) -> tuple[EnrollmentInput, ...]:
    """A hub (or a workstation that imported a bundle) holds each workstation's copy of an
    enrollment: keep one per program, the one with the earliest consent on file and, on the
    same date, the most complete (no consent anywhere stays no consent). A withdrawal on
    any copy, after that consent, ends it."""
    if len(items) == 1:  # a workstation's usual case: nothing to choose or merge
        return (items[0],)
    best: dict[str, EnrollmentRow] = {}
    for item in sorted(items, key=lambda e: (e.consent_date is None, e.consent_date or
                                             date.max, -len(e.consent_recorded))):
        best.setdefault(item.program, item)
    for item in items:
        kept = best[item.program]
        withdrawn = item.withdrawn_on
        if withdrawn is None or item is kept or kept.withdrawn_on is not None or (
                kept.consent_date is not None and withdrawn < kept.consent_date):
            continue
        end = withdrawn if kept.end_date is None else min(kept.end_date, withdrawn)
        best[item.program] = replace(kept, end_date=end, withdrawn_on=withdrawn)
    return tuple(best.values())


def _as_uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(_hex(value))
