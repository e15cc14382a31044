"""The worklist: who needs time this month, and how much, against the days left.

One row per patient and program the patient is enrolled in with consent on file today
(deactivated patients and withdrawn or ended enrolments are left out), with the program's
time this month against its next threshold. The figures are the month report's
(services/month/report.py, which reads totals in SQL): the thresholds and codes come from
the billing engine's next thresholds, never from a copy here. The care manager is read in
the same snapshot as the report.

Urgency is the minutes still needed per day left in the month (clinic time zone): patients
still short of their program's first code come first, then those who could earn more (an
add-on, or RPM's 99457 beyond 99470), and last those whose claim is held whatever time is
added (consent incomplete, too few chronic conditions, no billing practitioner, a month fact
missing, a program billed instead): money is never silent, so the row says why, in the
engine's words (worklist_holds.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, tzinfo
from typing import Any

from sqlalchemy import text

from ccm_timer.core.billing import EnrollmentInput, RuleSet
from ccm_timer.core.billing.results import minutes_ceil, minutes_floor
from ccm_timer.core.collation import name_key
from ccm_timer.core.month import month_of, parse_month
from ccm_timer.errors import NotFound, UserError, sentence
from ccm_timer.services.context import AppContext
from ccm_timer.services.month.billing_rules import rules_for_month
from ccm_timer.services.month.next_code import next_code
from ccm_timer.services.month.report import (
    EnrollmentRow,
    PatientReport,
    _one_per_program,
    month_report_on,
)
from ccm_timer.services.month.worklist_holds import MonthFlagsById, hold_reason, read_flags
from ccm_timer.services.people.chronic_list import chronic_list
from ccm_timer.services.timing.entry_values import mask

REMIND_DAYS = 5  # the daily month-end message starts with this many days left (today counts)
NO_CARE_MANAGER = "none"  # the care-manager filter's value for patients without one


@dataclass(frozen=True)
class WorkRow:
    mrn: str
    family_name: str
    given_name: str
    program: str
    seconds: int  # the program's time this month, as its next threshold counts it
    threshold_seconds: int  # where the next code is earned
    code: str  # the code the next threshold earns
    seconds_needed: int
    earned: bool  # the program already has a billable code this month (the next pays more)
    no_contact: bool  # no time at all on the patient this month yet
    care_manager_id: uuid.UUID | None = None
    care_manager: str | None = None
    hold_reason: str | None = None  # why the claim is held whatever time is added
    practitioner_only: bool = False  # only the billing practitioner's own minutes reach it

    @property
    def held(self) -> bool:
        return self.hold_reason is not None

    @property
    def next_words(self) -> str:
        """"2 min to 99491 (practitioner)", as the overview's bar says it."""
        who = " (practitioner)" if self.practitioner_only else ""
        return f"{self.minutes_needed} min to {self.code}{who}"

    @property
    def display_name(self) -> str:
        return f"{self.family_name}, {self.given_name}"

    @property
    def masked(self) -> str:
        return mask(self.family_name, self.given_name, self.mrn)

    @property
    def minutes(self) -> int:
        return minutes_floor(self.seconds)

    @property
    def threshold_minutes(self) -> int:
        return minutes_floor(self.threshold_seconds)

    @property
    def minutes_needed(self) -> int:
        return minutes_ceil(self.seconds_needed)

    def per_day(self, days_left: int) -> float:
        """Minutes still needed per day left (all of them when no day is left)."""
        return self.minutes_needed / days_left if days_left > 0 else float(self.minutes_needed)

    def to_dict(self, days_left: int) -> dict[str, Any]:
        return {
            "mrn": self.mrn, "name": self.display_name, "program": self.program,
            "minutes": self.minutes, "next_code": self.code,
            "threshold_minutes": self.threshold_minutes,
            "minutes_needed": self.minutes_needed,
            "minutes_per_day": round(self.per_day(days_left), 1),
            "practitioner_only": self.practitioner_only,
            "first_code_earned": self.earned, "no_contact_yet": self.no_contact,
            "care_manager": self.care_manager, "held": self.hold_reason,
        }


def urgency(row: WorkRow) -> tuple:
    """Short of a first code before those who could earn more, held claims last; then most
    minutes needed (all rows share the month's days left, so that is most minutes per day);
    then by name."""
    return (row.held, row.earned, -row.seconds_needed, name_key(row.display_name),
            row.program)


@dataclass(frozen=True)
class Worklist:
    month: str
    zone: str
    today: date  # the clinic's date the list was read on
    days_left: int  # days of the month from today on, today included (0: a past month)
    rows: tuple[WorkRow, ...]  # by urgency

    @property
    def care_managers(self) -> tuple[tuple[uuid.UUID, str], ...]:
        """The care managers of the rows, by name."""
        found = {r.care_manager_id: r.care_manager or "" for r in self.rows
                 if r.care_manager_id is not None}
        return tuple(sorted(found.items(), key=lambda item: name_key(item[1])))

    @property
    def programs(self) -> tuple[str, ...]:
        seen: list[str] = []
        for row in sorted(self.rows, key=lambda r: r.program):
            if row.program not in seen:
                seen.append(row.program)
        return tuple(seen)

    def filtered(self, care_manager: uuid.UUID | str | None = None,
                 program: str | None = None, no_contact_only: bool = False
                 ) -> tuple[WorkRow, ...]:
        """`care_manager`: an id, NO_CARE_MANAGER, or None for everyone."""
        def keep(row: WorkRow) -> bool:
            if care_manager == NO_CARE_MANAGER and row.care_manager_id is not None:
                return False
            if isinstance(care_manager, uuid.UUID) and row.care_manager_id != care_manager:
                return False
            if program and row.program != program:
                return False
            return row.no_contact or not no_contact_only

        return tuple(r for r in self.rows if keep(r))

    def to_dict(self, rows: Iterable[WorkRow] | None = None) -> dict[str, Any]:
        return {"month": self.month, "time_zone": self.zone, "today": self.today.isoformat(),
                "days_left": self.days_left,
                "patients": [r.to_dict(self.days_left)
                             for r in (self.rows if rows is None else rows)]}


def worklist(ctx: AppContext, month: str | None = None) -> Worklist:
    """The worklist of `month` (YYYY-MM; default: this clinic month)."""
    now = ctx.now()
    today = now.astimezone(ctx.zone).date()
    try:
        ym = parse_month(month) if month else month_of(now, ctx.zone)
    except ValueError as exc:
        raise UserError(sentence(exc)) from None
    with ctx.engine.connect() as conn:  # one snapshot: the report and the care managers
        report = month_report_on(conn, ym, ctx.zone, now, None,
                                 chronic_list(ctx.paths.settings_dir),
                                 ctx.settings.other_practitioner_time)
        people = {r[0]: r for r in conn.execute(text(
            "SELECT p.mrn, p.active, p.care_manager_id, c.name FROM patient p "
            "LEFT JOIN clinician c ON c.id = p.care_manager_id"))}
        flags = read_flags(conn, ym)
    rules = rules_for_month(ym)
    on = min(max(today, ym.first_day), ym.last_day)  # the day whose enrolments count
    rows: list[WorkRow] = []
    for patient in report.patients:
        person = people.get(patient.mrn)
        if person is None or not person[1]:
            continue  # deactivated: off the worklist, history kept
        manager = None if person[2] is None else _uuid(person[2])
        rows.extend(_rows(patient, rules, on, manager, person[3], flags, ctx.zone))
    return Worklist(str(ym), report.zone, today, ym.days_left(today),
                    tuple(sorted(rows, key=urgency)))


def find_care_manager(wl: Worklist, name: str) -> uuid.UUID | str:
    """The care-manager filter for a name typed on the command line ("none": nobody)."""
    wanted = name.strip().casefold()
    if wanted in (NO_CARE_MANAGER, "nobody"):
        return NO_CARE_MANAGER
    for cid, who in wl.care_managers:
        if who.casefold() == wanted:
            return cid
    raise NotFound(f"No patient on this month's worklist has {name.strip()!r} as care "
                   "manager; check the name.")


def _in_force(enrollment: EnrollmentInput, day: date) -> bool:
    """Enrolled with consent on `day`, not withdrawn."""
    withdrawn = enrollment.withdrawn_on if isinstance(enrollment, EnrollmentRow) else None
    return (enrollment.consent_date is not None and enrollment.consent_date <= day
            and withdrawn is None
            and (enrollment.start_date is None or enrollment.start_date <= day)
            and (enrollment.end_date is None or enrollment.end_date >= day))


def _rows(patient: PatientReport, rules: RuleSet, on: date, manager: uuid.UUID | None,
          manager_name: str | None, flags: MonthFlagsById, zone: tzinfo) -> list[WorkRow]:
    result = patient.result
    touched = sum(result.seconds_by_role.values()) + sum(
        result.seconds_before_consent.values())
    # The copy of each enrolment the report bills by (a hub holds every workstation's).
    enrollments = _one_per_program(list(patient.enrollments))
    programs = {e.program for e in enrollments if _in_force(e, on)}
    found = []
    for program in sorted(programs):
        best = next_code(result, rules, program)
        if best is None:
            continue  # nothing more to earn (or no time-based code) this month
        step = best.threshold
        lines = [line for line in result.lines if line.program == program]
        earned = any(not line.held for line in lines)
        held = None if earned else hold_reason(patient, enrollments, flags, rules, step, zone)
        found.append(WorkRow(
            patient.mrn, patient.family_name, patient.given_name, program,
            step.threshold_seconds - step.seconds_needed, step.threshold_seconds, step.code,
            step.seconds_needed, earned, touched == 0, manager, manager_name, held,
            best.practitioner_only))
    return found


def short_of_first_code(rows: Iterable[WorkRow]) -> tuple[WorkRow, ...]:
    """Short of a billable first code, and time would earn it (no claim held)."""
    return tuple(r for r in rows if not r.earned and not r.held)


def reminder_text(wl: Worklist, rows: Iterable[WorkRow] | None = None) -> str | None:
    """The month-end message, counts only (a notification is seen by anyone nearby):
    "6 patients under 20 minutes, 3 days left"; None when nobody is short or the month's
    last days have not come."""
    if not 0 < wl.days_left <= REMIND_DAYS:
        return None
    short = short_of_first_code(wl.rows if rows is None else rows)
    under: dict[str, int] = {}  # each patient under their nearest first threshold
    for row in short:
        under[row.mrn] = min(under.get(row.mrn, row.threshold_minutes), row.threshold_minutes)
    if not under:
        return None
    days = _plural(wl.days_left, "day")
    groups = sorted({m: sum(1 for v in under.values() if v == m)
                     for m in under.values()}.items())
    if len(groups) > 3:
        return f"{_plural(len(under), 'patient')} short of this month's minutes, {days} left"
    (minutes, count), *rest = groups
    parts = [f"{_plural(count, 'patient')} under {minutes} minutes"]
    parts += [f"{n} under {m}" for m, n in rest]
    said = parts[0] if not rest else ", ".join(parts[:-1]) + " and " + parts[-1]
    return f"{said}, {days} left"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
