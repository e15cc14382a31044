"""The month dashboard's figures: billable patients and minutes per program, month by month,
and one patient's minutes per day in a month.

Billable is what the month report decides (report.py and the billing engine behind it): a
patient counts as billable in a program when the report gives them a claim line there that
is not held, and held when every line of that program is held. Minutes are the report's
counted minutes per program (time from each consent day on). No rule or threshold is read
here but through the report and the rule set it names.

Each month is one month report: its totals come from store/month_time.py's per-month
aggregate in SQL (the stored span seconds of each entry), never entry by entry. The months
are computed one at a time, newest first, so a window can show each as it arrives.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import text

from ccm_timer.core.billing import PatientMonthResult, RuleSet
from ccm_timer.core.billing.rules import TimeBasis
from ccm_timer.core.month import YearMonth, as_month, clip_seconds, day_start_utc, month_of
from ccm_timer.errors import NotFound
from ccm_timer.services.context import AppContext
from ccm_timer.services.month.billing_rules import MissingBillingRules, rules_for_month
from ccm_timer.services.month.report import MonthReport, month_report_on
from ccm_timer.services.people.chronic_list import chronic_list
from ccm_timer.store.instants import from_db_text, to_db_text
from ccm_timer.store.models import Program

MONTHS_SHOWN = 12
_PROGRAMS = {p.name: p.value for p in Program}  # as stored (the name) -> its value
PROGRAM_ORDER = tuple(p.value for p in Program)


class MonthState(StrEnum):
    """How settled a month's figures are, said in words by the presenter."""

    CLOSED = "closed"  # a past month with nothing held
    HELD = "held"  # a past month where some patient's codes are held
    IN_PROGRESS = "in_progress"  # the current month: time is still being added
    NO_RULES = "no_rules"  # no billing rules for its year: billable is not known


@dataclass(frozen=True, slots=True)
class ProgramMonth:
    program: str
    billable_patients: int  # with a claim line of this program that is not held
    held_patients: int  # with lines of this program, every one held
    patients_with_time: int
    seconds: int  # counted seconds (from each consent day on)


@dataclass(frozen=True, slots=True)
class MonthTrend:
    month: str  # "YYYY-MM"
    state: MonthState
    programs: tuple[ProgramMonth, ...]  # programs with time or a line, in PROGRAM_ORDER
    billable_patients: int  # distinct patients with any line not held
    held_patients: int  # distinct patients with lines, every one held
    patients: int  # in the report: with time or enrolled that month
    days_left: int | None = None  # the current month: days from today on, today included
    problem: str | None = None  # why the month could not be decided (NO_RULES)

    @property
    def seconds(self) -> int:
        return sum(p.seconds for p in self.programs)

    def program(self, name: str) -> ProgramMonth | None:
        return next((p for p in self.programs if p.program == name), None)


def last_months(now: datetime, zone: ZoneInfo, count: int = MONTHS_SHOWN) -> list[YearMonth]:
    """The current clinic month and the ones before it, oldest first."""
    ym = month_of(now, zone)
    found = [ym]
    for _ in range(count - 1):
        found.append(found[-1].previous())
    return found[::-1]


def trend_of(report: MonthReport, current: YearMonth, today: date) -> MonthTrend:
    """One month's figures from its report."""
    ym = as_month(report.month)
    billable: dict[str, set[uuid.UUID]] = {}
    held: dict[str, set[uuid.UUID]] = {}
    with_time: dict[str, int] = {}
    seconds: dict[str, int] = {}
    any_billable: set[uuid.UUID] = set()
    any_held: set[uuid.UUID] = set()
    for patient in report.patients:
        result = patient.result
        for program, secs in result.seconds_by_program.items():
            seconds[program] = seconds.get(program, 0) + secs
            if secs:
                with_time[program] = with_time.get(program, 0) + 1
        for program in {line.program for line in result.lines}:
            lines = [line for line in result.lines if line.program == program]
            if any(not line.held for line in lines):
                billable.setdefault(program, set()).add(patient.patient_id)
            else:
                held.setdefault(program, set()).add(patient.patient_id)
        if result.billable_lines:
            any_billable.add(patient.patient_id)
        elif result.lines:
            any_held.add(patient.patient_id)
    names = set(seconds) | set(billable) | set(held)
    programs = tuple(
        ProgramMonth(name, len(billable.get(name, ())), len(held.get(name, ())),
                     with_time.get(name, 0), seconds.get(name, 0))
        for name in sorted(names, key=_program_key))
    if ym == current:
        state, days_left = MonthState.IN_PROGRESS, ym.days_left(today)
    else:
        state, days_left = (MonthState.HELD if any_held or any(held.values())
                            else MonthState.CLOSED), None
    return MonthTrend(str(ym), state, programs, len(any_billable), len(any_held),
                      len(report.patients), days_left)


def month_trends(ctx: AppContext, months: list[YearMonth] | None = None, *,
                 each: Callable[[MonthTrend], None] | None = None) -> list[MonthTrend]:
    """The figures of `months` (default: the last twelve clinic months), oldest first.
    They are computed newest first and handed to `each` as they come (a window fills in
    while the older months are read)."""
    now = ctx.now()
    wanted = months or last_months(now, ctx.zone)
    found = {str(t.month): t for t in _computed(ctx, sorted(wanted, reverse=True), now, each)}
    return [found[str(ym)] for ym in sorted(wanted)]


def _computed(ctx: AppContext, months: list[YearMonth], now: datetime,
              each: Callable[[MonthTrend], None] | None) -> Iterator[MonthTrend]:
    current = month_of(now, ctx.zone)
    today = now.astimezone(ctx.zone).date()
    chronic = chronic_list(ctx.paths.settings_dir)
    for ym in months:
        try:
            rules_for_month(ym)
        except MissingBillingRules:
            trend = MonthTrend(str(ym), MonthState.NO_RULES, (), 0, 0, 0, problem=(
                f"No billing rules for {ym.year}: what is billable is not known."))
        else:
            with ctx.engine.connect() as conn:  # one snapshot per month
                report = month_report_on(conn, ym, ctx.zone, now, None, chronic,
                                         ctx.settings.other_practitioner_time)
            trend = trend_of(report, current, today)
        if each is not None:
            each(trend)
        yield trend


def _program_key(name: str) -> tuple[int, str]:
    return (PROGRAM_ORDER.index(name) if name in PROGRAM_ORDER else len(PROGRAM_ORDER), name)


# -- one patient's minutes per day ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Threshold:
    seconds: int
    code: str  # the code (or add-on unit) reached there


@dataclass(frozen=True, slots=True)
class ProgramDays:
    program: str
    seconds_by_day: tuple[int, ...]  # counted seconds, index 0 = the 1st of the month
    before_consent_by_day: tuple[int, ...]  # time before the consent day: shown, not counted
    # The chosen track's pool: what its thresholds compare with. On a practitioner-only
    # track (99491, G0181/G0182) the practitioner's own time; staff time is not in it.
    counted_seconds: int
    thresholds: tuple[Threshold, ...]  # of the chosen track, up to the next one ahead
    billable_codes: tuple[str, ...]  # lines not held
    held_codes: tuple[str, ...]
    hold_reason: str | None = None  # why the held lines are held, in the engine's words
    worked_seconds: int = 0  # everyone's time from the consent day on (what the bars show)
    own_time_only: bool = False  # the track counts the billing practitioner's own time only


@dataclass(frozen=True, slots=True)
class PatientDays:
    patient_id: uuid.UUID
    mrn: str
    name: str
    month: str
    days: int  # days in the month
    today: int | None  # day of the month today (None: another month)
    programs: tuple[ProgramDays, ...]  # with time or enrolled, in PROGRAM_ORDER

    def program(self, name: str | None) -> ProgramDays | None:
        if name is None:
            return self.main
        return next((p for p in self.programs if p.program == name), None)

    @property
    def main(self) -> ProgramDays | None:
        """The program with the most time (the first one when none has any)."""
        return max(self.programs, key=lambda p: sum(p.seconds_by_day), default=None)


def patient_days(ctx: AppContext, mrn: str, month: str | YearMonth) -> PatientDays:
    """One patient's counted minutes per clinic day of `month`, per program, with the
    thresholds of the track the report chose. A patient-month holds a few dozen intervals
    at most, so they are read and cut at local midnights here (exact across DST)."""
    ym = as_month(month)
    now = ctx.now()
    with ctx.engine.connect() as conn:  # the report and the intervals from one snapshot
        report = month_report_on(conn, ym, ctx.zone, now, mrn, chronic_list(
            ctx.paths.settings_dir), ctx.settings.other_practitioner_time)
        patient = report.patients[0] if report.patients else None
        if patient is None:
            raise NotFound(f"No patient has MRN {mrn.strip()!r}; check the number.")
        lo, hi = (day_start_utc(ym.first_day, ctx.zone),
                  day_start_utc(ym.last_day + timedelta(days=1), ctx.zone))
        rows = conn.execute(text(
            "SELECT e.program, i.start_utc, i.end_utc FROM time_entry e "
            "JOIN interval i ON i.entry_id = e.id WHERE e.patient_id = :pid "
            "AND e.superseded_at IS NULL AND e.voided = :false "
            "AND i.start_utc < :hi AND (i.end_utc IS NULL OR i.end_utc > :lo)"),
            {"pid": _stored_id(patient.patient_id, conn.dialect.name), "false": False,
             "lo": to_db_text(lo), "hi": to_db_text(hi)}).all()
    count = ym.last_day.day
    edges = [day_start_utc(ym.first_day + timedelta(days=d), ctx.zone) for d in range(count + 1)]
    counted: dict[str, list[int]] = {}
    before: dict[str, list[int]] = {}
    for stored_program, start_text, end_text in rows:
        program = _PROGRAMS.get(stored_program, stored_program)
        if program is None:
            continue  # program-level time is never a patient's
        start = from_db_text(start_text)
        end = from_db_text(end_text) if end_text is not None else now
        cut = report.counted_from.get((patient.patient_id, program), lo)
        mine = counted.setdefault(program, [0] * count)
        early = before.setdefault(program, [0] * count)
        for day in range(count):
            a, b = edges[day], edges[day + 1]
            if end <= a or start >= b:
                continue
            early[day] += clip_seconds(start, end, a, min(b, cut))
            mine[day] += clip_seconds(start, end, max(a, cut), b)
    result = patient.result
    rules = rules_for_month(ym)
    names = set(counted) | set(result.seconds_by_program) | {
        e.program for e in patient.enrollments if _enrolled(e.start_date, e.end_date, ym)}
    today_local = now.astimezone(ctx.zone).date()
    pool = {name: _pool(result, rules, name) for name in names}
    return PatientDays(
        patient.patient_id, patient.mrn, patient.display_name, str(ym), count,
        today_local.day if ym.contains(today_local) else None,
        tuple(ProgramDays(
            name, tuple(counted.get(name, [0] * count)), tuple(before.get(name, [0] * count)),
            pool[name][0], _thresholds(result, rules, name),
            tuple(line.code for line in result.lines if line.program == name and not line.held),
            tuple(line.code for line in result.lines if line.program == name and line.held),
            next((line.hold_reason for line in result.lines
                  if line.program == name and line.held and line.hold_reason), None),
            result.seconds_by_program.get(name, 0), pool[name][1])
            for name in sorted(names, key=_program_key)))


def _pool(result: PatientMonthResult, rules: RuleSet, program: str) -> tuple[int, bool]:
    """(seconds, own time only) of the track the thresholds are drawn for: the chosen one,
    else the one with the nearest threshold (the engine's pool for it: threshold less what
    is still needed)."""
    tracks = {t.name: t for t in rules.tracks_by_program.get(program, ())}
    choice = result.track_for(program)
    if choice is not None and choice.chosen in tracks:
        track = tracks[choice.chosen]
        return choice.chosen_seconds, track.time is TimeBasis.PRACTITIONER
    ahead = [n for n in result.next if n.program == program and n.track in tracks]
    nearest = min(ahead, key=lambda n: n.threshold_seconds, default=None)
    if nearest is None:
        return result.seconds_by_program.get(program, 0), False
    return (nearest.threshold_seconds - nearest.seconds_needed,
            tracks[nearest.track].time is TimeBasis.PRACTITIONER)


def _thresholds(result: PatientMonthResult, rules: RuleSet, program: str) -> tuple[
        Threshold, ...]:
    """The chosen track's first threshold and the next one still ahead, as the report
    gives them (no track chosen yet: the nearest threshold of the program)."""
    tracks = {t.name: t for t in rules.tracks_by_program.get(program, ())}
    choice = result.track_for(program)
    ahead = [n for n in result.next if n.program == program and n.track in tracks]
    chosen = tracks.get(choice.chosen) if choice is not None else None
    if chosen is None:
        nearest = min(ahead, key=lambda n: n.threshold_seconds, default=None)
        return () if nearest is None else (Threshold(nearest.threshold_seconds, nearest.code),)
    found = {chosen.threshold_seconds: chosen.base.code} if not chosen.base.monthly else {}
    nxt = next((n for n in ahead if n.track == chosen.name), None)
    step, addon = chosen.increment_seconds, chosen.addon
    if nxt is not None:
        if step and addon is not None:  # the add-on units already passed, up to the next
            at = chosen.threshold_seconds + step
            while at < nxt.threshold_seconds:
                found.setdefault(at, addon.code)
                at += step
        found.setdefault(nxt.threshold_seconds, nxt.code)
    return tuple(Threshold(at, code) for at, code in sorted(found.items()))


def _enrolled(start: date | None, end: date | None, ym: YearMonth) -> bool:
    return (start is None or start <= ym.last_day) and (end is None or end >= ym.first_day)


def _stored_id(value: uuid.UUID, dialect: str) -> object:
    # SQLite keeps ids as 32 hex digits; PostgreSQL as UUIDs.
    return value if dialect == "postgresql" else value.hex
