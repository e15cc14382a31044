"""What an entry must be before anything is written: notes and reasons as text a terminal
or a chart shows as typed (core/parse.py), times within the dates and lengths of
core/entry_limits.py, and no overlap with the clinician's other time."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import and_, false, or_, true
from sqlmodel import Session, col, select

from ccm_timer.core import entry_limits
from ccm_timer.core.parse import check_note
from ccm_timer.errors import UserError, sentence
from ccm_timer.store.models import Category, Interval, TimeEntry


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
        other_end = interval.end_utc.isoformat() if interval.end_utc else "now (still running)"
        raise UserError(
            f"This time overlaps entry {str(entry.id)[:13]} ({category.label}, "
            f"{interval.start_utc.isoformat()} to {other_end}); change the times or edit "
            "that entry."
        )
