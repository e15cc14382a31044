"""What the worklist window shows, Qt-free: its columns, each cell's text and sort key, the
line of counts, and the sentence shown when no row is left.

A held claim says why in its own cell ("Held: the CCM consent is incomplete", the billing
engine's words): time on that row pays nothing until the reason is dealt with.

A patient is named as the tray names them: initials and the last MRN digits while the
clinic masks patients (settings.mask_patients), the full name otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ccm_timer.core.collation import name_key
from ccm_timer.services.month.worklist import Worklist, WorkRow, urgency

NO_CONTACT = "No contact yet"


@dataclass(frozen=True)
class Column:
    title: str
    text: Callable[[WorkRow, int, bool], str]  # (row, days left, masked) -> the cell
    key: Callable[[WorkRow, bool], Any]  # sort key (masked rows sort by what is shown)
    tip: str = ""


def patient_label(row: WorkRow, masked: bool) -> str:
    return row.masked if masked else row.display_name


def per_day(row: WorkRow, days_left: int) -> str:
    value = row.per_day(days_left)
    return f"{value:.1f} min/day" if value < 10 else f"{value:.0f} min/day"


def _label_key(row: WorkRow, masked: bool) -> Any:
    return name_key(patient_label(row, masked))


def claim(row: WorkRow) -> str:
    """"earned", "not yet", or "Held: <the engine's reason>"."""
    if row.hold_reason is not None:
        return f"Held: {row.hold_reason}"
    return "earned" if row.earned else "not yet"


COLUMNS: tuple[Column, ...] = (
    Column("Patient", lambda r, _d, m: patient_label(r, m), _label_key),
    Column("MRN", lambda r, _d, _m: r.mrn, lambda r, _m: r.mrn),
    Column("Program", lambda r, _d, _m: r.program, lambda r, _m: (r.program, *urgency(r))),
    Column("Minutes", lambda r, _d, _m: f"{r.minutes} of {r.threshold_minutes}",
           lambda r, _m: r.seconds, "Minutes this month in the program, of its next threshold"),
    Column("Still needed", lambda r, _d, _m: r.next_words,
           lambda r, _m: (r.earned, -r.seconds_needed),
           "Minutes still to work for the next code"),
    Column("Per day left", lambda r, d, _m: per_day(r, d),
           lambda r, _m: urgency(r), "Minutes still needed for each day left in the month"),
    Column("Contact", lambda r, _d, _m: NO_CONTACT if r.no_contact else "",
           lambda r, _m: (not r.no_contact, *urgency(r)),
           "No time recorded for the patient this month yet"),
    Column("Care manager", lambda r, _d, _m: r.care_manager or "—",
           lambda r, _m: name_key(r.care_manager or "\uffff")),
    # Last, so a hold's reason has the room left (the last column stretches).
    Column("Claim", lambda r, _d, _m: claim(r), lambda r, _m: (r.held, r.earned),
           "Whether the first code is earned; a held claim says why"),
)
TITLES = tuple(c.title for c in COLUMNS)
MRN_COLUMN = TITLES.index("MRN")
URGENCY_COLUMN = TITLES.index("Per day left")
CLAIM_COLUMN = TITLES.index("Claim")


def cells(row: WorkRow, days_left: int, masked: bool) -> tuple[str, ...]:
    return tuple(c.text(row, days_left, masked) for c in COLUMNS)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def month_words(month: str) -> str:
    from datetime import date

    year, number = (int(x) for x in month.split("-"))
    return date(year, number, 1).strftime("%B %Y")


def days_text(wl: Worklist) -> str:
    if wl.days_left == 0:
        return f"{month_words(wl.month)} is over"
    return f"{_plural(wl.days_left, 'day')} left in {month_words(wl.month)}"


def summary(wl: Worklist, shown: Sequence[WorkRow]) -> str:
    """"3 patients short of a first code · 1 with no contact yet · 8 could earn more ·
    1 held (…) · 7 days left in November 2026"."""
    short = {r.mrn for r in shown if not r.earned and not r.held}
    addon = {r.mrn for r in shown if r.earned}
    silent = {r.mrn for r in shown if r.no_contact}
    held = {r.mrn for r in shown if r.held}
    parts = [f"{_plural(len(short), 'patient')} short of a first code",
             f"{len(silent)} with no contact yet", f"{len(addon)} could earn more"]
    if held:  # money is never silent: say time would not pay them
        parts.append(f"{len(held)} held (time will not pay until the reason is fixed)")
    parts.append(days_text(wl))
    lead = "" if len(shown) == len(wl.rows) else f"Showing {len(shown)} of {len(wl.rows)} · "
    return lead + " · ".join(parts)


def empty_text(wl: Worklist, filtered: bool) -> str:
    if wl.rows and filtered:
        return "No patient matches these filters; choose Everyone or All programs to see more."
    return (f"Every enrolled patient with consent has the time their codes need in "
            f"{month_words(wl.month)}; nobody is waiting for time.")
