"""What an entry must be before anything is written: notes and reasons as text a terminal
or a chart shows as typed (core/parse.py), times within the dates and lengths of
core/entry_limits.py, no overlap with the clinician's other time, and a correction by
someone it is theirs to make."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import and_, false, or_, true
from sqlmodel import Session, col, select

from ccm_timer.core import entry_limits
from ccm_timer.core.access import Action, Duty
from ccm_timer.core.parse import check_note
from ccm_timer.errors import UserError, sentence
from ccm_timer.services.context import AppContext
from ccm_timer.services.people import access, clinicians
from ccm_timer.services.people.access import Refused, Signer
from ccm_timer.store.models import Category, Clinician, Interval, Patient, TimeEntry


class LongEntry(UserError):
    """Longer than entry_limits.CONFIRM_OVER and not confirmed: ask the person, then call
    again with the confirmation."""

    def __init__(self, length_text: str) -> None:
        self.length_text = length_text
        self.limit_text = entry_limits.hours(entry_limits.CONFIRM_OVER)
        super().__init__(f"This entry would be {length_text} long, more than "
                         f"{self.limit_text}; check the start and end, or confirm that it "
                         "is right.")


def text(value: str, what: str = "note") -> str:
    try:
        return check_note(value, what)
    except ValueError as exc:
        raise UserError(sentence(exc)) from None


def reason(value: str | None) -> str:
    value = text(value or "", "reason")
    if not value:
        raise UserError("A reason is required: say why with --reason.")
    return value


def times(start: datetime, end: datetime) -> None:
    """Not before the earliest date an entry may have, and not days long."""
    try:
        entry_limits.check_times(start, end)
    except ValueError as exc:
        raise UserError(sentence(exc)) from None


def confirmed(start: datetime, end: datetime, long_ok: bool) -> None:
    """Checked last, so a person is asked only about an entry that is otherwise right."""
    try:
        entry_limits.check_confirmed(start, end, long_ok)
    except entry_limits.NeedsConfirmation as exc:
        raise LongEntry(entry_limits.hours(exc.length)) from None


def overlap(
    session: Session,
    clinician_id: uuid.UUID,
    start: datetime,
    end: datetime,
    now: datetime,
    ignore_origin: uuid.UUID | None = None,
) -> None:
    """Refuse time that overlaps the same clinician's other (current, not voided) time."""
    query = (
        select(Interval, TimeEntry, Category)
        .join(TimeEntry, col(TimeEntry.id) == Interval.entry_id)
        .join(Category, col(Category.id) == TimeEntry.category_id)
        .where(
            TimeEntry.clinician_id == clinician_id,
            col(TimeEntry.superseded_at).is_(None),
            col(TimeEntry.voided).is_(False),
            col(Interval.start_utc) < end,
            or_(
                col(Interval.end_utc) > start,
                and_(col(Interval.end_utc).is_(None), true() if start < now else false()),
            ),
        )
    )
    for interval, entry, category in session.exec(query):
        if ignore_origin is not None and entry.origin_id == ignore_origin:
            continue
        owner = session.get(Clinician, entry.clinician_id)
        what = f"{owner.name}'s " if owner else "the clinician's "
        label = category.label[:1].lower() + category.label[1:]
        when = overlap_when(interval.start_utc, interval.end_utc, now, _zone(entry.tz_name))
        raise Overlap(f"{what}{label} {when}", str(entry.id)[:13])


class Overlap(UserError):
    """The clinician's other time, described without the patient, in the clinic's local
    time. `in_app` is the sentence a window shows; the command line's adds the entry's id,
    which `ccm-timer entry edit` takes."""

    def __init__(self, other: str, entry_ref: str) -> None:
        self.in_app = f"It overlaps {other}; change the times."
        self.entry_ref = entry_ref
        super().__init__(f"This time overlaps entry {entry_ref}: {other}; change the times "
                         "or edit that entry.")


def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def _clock(at: datetime, meridiem: bool = True) -> str:
    text = f"{at.hour % 12 or 12}:{at.minute:02d}"
    return f"{text} {'AM' if at.hour < 12 else 'PM'}" if meridiem else text


def _day(at: datetime, today: date) -> str:
    if at.date() == today:
        return "today"
    if at.date() == today - timedelta(days=1):
        return "yesterday"
    year = f" {at.year}" if at.year != today.year else ""
    return f"on {at:%a} {at.day} {at:%b}{year}"


def overlap_when(start: datetime, end: datetime | None, now: datetime, zone: tzinfo) -> str:
    """ "from 8:30 to 8:45 AM today", "from 11:50 PM on Mon 30 Nov to 12:10 AM today", "from
    9:05 AM today, still running": local clock times, as the person recorded them."""
    first, today = start.astimezone(zone), now.astimezone(zone).date()
    if end is None:
        return f"from {_clock(first)} {_day(first, today)}, still running"
    last = end.astimezone(zone)
    if first.date() != last.date():
        return f"from {_clock(first)} {_day(first, today)} to {_clock(last)} {_day(last, today)}"
    same_half = (first.hour < 12) == (last.hour < 12)
    return f"from {_clock(first, not same_half)} to {_clock(last)} {_day(last, today)}"


def corrector(session: Session, ctx: AppContext, by: Signer, old: TimeEntry) -> Clinician:
    """The person correcting `old`: attested for it, and theirs to correct (in_scope)."""
    access.require(by, Action.CORRECT_ENTRY)
    in_scope(session, by, old.clinician_id, old.patient_id)
    return clinicians.find(session, ctx, str(by.id))


def in_scope(session: Session, by: Signer, clinician_id: uuid.UUID,
             patient_id: uuid.UUID | None, *, moved: bool = False) -> None:
    """A person corrects their own entries; a practitioner also those on the patients they
    are billing practitioner of (what they attest when approving). Checked on the entry as
    it was and as it would be, so no one moves time out of anyone's reach."""
    if clinician_id == by.id:
        return
    patient = session.get(Patient, patient_id) if patient_id else None
    if (Duty.PRACTITIONER in by.duties and patient is not None
            and patient.billing_practitioner_id == by.id):
        return
    owner = session.get(Clinician, clinician_id)
    theirs = f"{owner.name}'s" if owner else "another person's"
    also = (", or those on patients they are the billing practitioner of"
            if Duty.PRACTITIONER in by.duties else "")
    raise Refused(f"{by.name} may correct only their own entries{also}; this one "
                  f"{'would be' if moved else 'is'} {theirs}: ask them or the patient's "
                  "billing practitioner to correct it.")


def refuse_foreign(ctx: AppContext, entry: TimeEntry) -> None:
    """Only the workstation that made an entry changes it: its versions travel from there
    (a pull or a bundle brings other workstations' entries, which are shown, never changed)."""
    if entry.workstation != ctx.workstation:
        raise UserError(f"This entry was recorded on workstation {entry.workstation}; "
                        "correct it there.")
