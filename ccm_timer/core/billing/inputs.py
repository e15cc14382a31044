"""What the engine reads: one patient's month, either entry by entry or pre-aggregated.

The engine itself only needs `PatientMonthTotals` (seconds by role and program plus the
overlaps and long entries found), so a service can aggregate in SQL and skip building one
object per entry. `totals_from_entries` is the helper for callers that do have the entries.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from operator import attrgetter

LONG_ENTRY_SECONDS = 4 * 3600
_ONE_SECOND = timedelta(seconds=1)

# (role, program) -> seconds; program None is program-level oversight time.
SecondsKey = tuple[str, str | None]


@dataclass(frozen=True, slots=True)
class EntryInput:
    """One time entry, its seconds already clipped to the month."""

    entry_id: str
    seconds: int
    role: str  # "clinical_staff" or "practitioner"
    program: str | None  # None: program-level oversight, never billed per patient
    category: str
    start_utc: datetime
    end_utc: datetime


@dataclass(frozen=True, slots=True)
class EnrollmentInput:
    program: str
    consent_date: date | None
    start_date: date | None = None
    end_date: date | None = None


@dataclass(frozen=True, slots=True)
class MonthFlags:
    """Facts about the patient-month that time alone cannot show."""

    complex_mdm: bool = False  # moderate or high complexity medical decision making
    care_plan_revised: bool = False  # care plan established or substantially revised
    interactive_contact: bool = False  # real-time audio/video contact (RPM)

    def has(self, flag: str) -> bool:
        return bool(getattr(self, flag))


@dataclass(frozen=True, slots=True)
class Overlap:
    entry_a: str
    entry_b: str
    seconds: int


@dataclass(frozen=True, slots=True)
class LongEntry:
    entry_id: str
    seconds: int


@dataclass(frozen=True, slots=True)
class PatientMonthTotals:
    """Seconds by (role, program) for one patient-month, with the data-quality findings."""

    seconds: Mapping[SecondsKey, int]
    overlaps: tuple[Overlap, ...] = ()
    long_entries: tuple[LongEntry, ...] = ()


@dataclass(frozen=True, slots=True)
class PatientMonthInput:
    """Everything about one patient-month, for `evaluate_many`."""

    totals: PatientMonthTotals
    enrollments: tuple[EnrollmentInput, ...] = ()
    flags: MonthFlags = field(default_factory=MonthFlags)


def find_overlaps(entries: Sequence[EntryInput]) -> tuple[Overlap, ...]:
    """Pairs of entries whose [start, end) spans overlap.

    A sweep in start order: each entry is paired with the earlier entry that reaches furthest,
    so every entry involved in an overlap is named at least once without an O(n^2) scan.
    """
    # Empty spans (end <= start) cannot overlap anything.
    ordered = sorted((e for e in entries if e.end_utc > e.start_utc),
                     key=attrgetter("start_utc"))
    if len(ordered) < 2:
        return ()
    found: list[Overlap] = []
    reach_end = ordered[0].end_utc
    reach_id = ordered[0].entry_id
    for e in ordered[1:]:
        if e.start_utc < reach_end:
            shared = (min(reach_end, e.end_utc) - e.start_utc) // _ONE_SECOND
            found.append(Overlap(reach_id, e.entry_id, shared))
        if e.end_utc > reach_end:
            reach_end, reach_id = e.end_utc, e.entry_id
    return tuple(found)


def totals_from_entries(
    entries: Iterable[EntryInput], long_entry_seconds: int = LONG_ENTRY_SECONDS
) -> PatientMonthTotals:
    """Sum one patient's entries by (role, program) and find overlaps and long entries."""
    items = entries if isinstance(entries, list | tuple) else list(entries)
    sums: dict[SecondsKey, int] = {}
    longs: list[LongEntry] = []
    get = sums.get
    for e in items:
        key = (e.role, e.program)
        sums[key] = get(key, 0) + e.seconds
        if e.seconds > long_entry_seconds:
            longs.append(LongEntry(e.entry_id, e.seconds))
    return PatientMonthTotals(sums, find_overlaps(items), tuple(longs))
