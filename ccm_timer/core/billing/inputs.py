"""What the engine reads: one patient's month, either entry by entry or pre-aggregated.

The engine itself only needs `PatientMonthTotals` (seconds by role and program plus the
overlaps and long entries found), so a service can aggregate in SQL and skip building one
object per entry. `totals_from_rows` (plain tuples) and `totals_from_entries` (EntryInput)
are the helpers for callers that do have the entries.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from operator import attrgetter, itemgetter

LONG_ENTRY_SECONDS = 4 * 3600
_ONE_SECOND = timedelta(seconds=1)

# (role, program) -> seconds; program None is program-level oversight time.
SecondsKey = tuple[str, str | None]
# (entry_id, seconds, role, program, start_utc, end_utc): one entry as a plain tuple.
EntryRow = tuple[str, int, str, str | None, datetime, datetime]


@dataclass(frozen=True, slots=True)
class EntryInput:
    """One time entry, its seconds already clipped to the month.

    Building one costs about 1.5 us; for a whole clinic month pass plain `EntryRow` tuples to
    `totals_from_rows`, or aggregate in SQL and build `PatientMonthTotals` directly.
    """

    entry_id: str
    seconds: int
    role: str  # "clinical_staff", "practitioner" (the billing one) or "other_practitioner"
    program: str | None  # None: program-level oversight, never billed per patient
    category: str
    start_utc: datetime
    end_utc: datetime


_AS_ROW = attrgetter("entry_id", "seconds", "role", "program", "start_utc", "end_utc")


# What a complete consent records besides its date (eligibility.py; the rule file says
# which each program needs).
CONSENT_ELEMENTS: tuple[str, ...] = (
    "method", "obtained_by", "cost_sharing", "one_practitioner", "right_to_stop")


@dataclass(frozen=True, slots=True)
class EnrollmentInput:
    program: str
    consent_date: date | None
    start_date: date | None = None
    end_date: date | None = None
    # The consent elements on file. The default (all of them) serves unit tests of the time
    # rules; the month report always passes what is stored.
    consent_recorded: frozenset[str] = frozenset(CONSENT_ELEMENTS)


@dataclass(frozen=True, slots=True)
class RecordInput:
    """The patient's clinical record as the month saw it: what eligibility is judged on."""

    chronic_conditions: int = 0  # chronic conditions on file in the month
    conditions: int = 0  # all conditions on file in the month
    care_plan_items: int = 0  # care-plan items current at the month's end
    care_plan_reviewed: date | None = None  # the last review on or before the month's end
    qmb: bool | None = None  # a Qualified Medicare Beneficiary (APCM G0558); None: unknown


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
class OtherPractitionerTime:
    """One practitioner's minutes on a patient whose billing practitioner they are not, for
    one program. Never counted toward a code that needs the billing practitioner's own time
    (99491/99437, 99424/99425, G0181/G0182); toward clinical-staff codes only when
    `as_staff` (the clinic's setting other_practitioner_time, with the practitioner's
    incident-to status, decides; `why` says which, in words, for the warning)."""

    name: str  # the clinician as the clinic names them (never a patient identifier)
    program: str
    seconds: int
    as_staff: bool = False
    why: str = ""


@dataclass(frozen=True, slots=True)
class PatientMonthTotals:
    """Seconds by (role, program) for one patient-month, with the data-quality findings.

    Roles (rules.ROLES): "clinical_staff"; "practitioner", the billing practitioner's own
    time; "other_practitioner", another practitioner's, counted toward no code. `others`
    names other practitioners' time one by one (added to the "other_practitioner" role; an
    item `as_staff` also feeds clinical-staff codes). `before_consent`: per program, the
    seconds before its consent day, already left out of `seconds` (None: the caller did not
    split them, and a consent inside the month is only pointed out). `billing_practitioner`
    False: the patient has none named, so whose own time "practitioner" is cannot be told
    and codes that need it are held."""

    seconds: Mapping[SecondsKey, int]
    overlaps: tuple[Overlap, ...] = ()
    long_entries: tuple[LongEntry, ...] = ()
    others: tuple[OtherPractitionerTime, ...] = ()
    before_consent: Mapping[str, int] | None = None
    billing_practitioner: bool = True


@dataclass(frozen=True, slots=True)
class PatientMonthInput:
    """Everything about one patient-month, for `evaluate_many`."""

    totals: PatientMonthTotals
    enrollments: tuple[EnrollmentInput, ...] = ()
    flags: MonthFlags = field(default_factory=MonthFlags)
    # None: eligibility beyond consent is not judged (unit tests of the time rules only;
    # the month report always passes the record).
    record: RecordInput | None = None


def _sweep(ordered: Iterable[EntryRow], found: list[Overlap]) -> None:
    """Append the overlaps among rows sorted by start, with empty spans already removed."""
    reach_end: datetime | None = None
    reach_id = ""
    for entry_id, _, _, _, start, end in ordered:
        if reach_end is not None and start < reach_end:
            found.append(Overlap(reach_id, entry_id, (min(reach_end, end) - start) // _ONE_SECOND))
        if reach_end is None or end > reach_end:
            reach_end, reach_id = end, entry_id


def find_overlaps(entries: Iterable[EntryInput]) -> tuple[Overlap, ...]:
    """Pairs of entries whose [start, end) spans overlap.

    A sweep in start order: each entry is paired with the earlier entry that reaches furthest,
    so every entry involved in an overlap is named at least once without an O(n^2) scan.
    Empty spans (end <= start) cannot overlap anything.
    """
    rows = sorted((r for r in map(_AS_ROW, entries) if r[5] > r[4]), key=itemgetter(4))
    found: list[Overlap] = []
    _sweep(rows, found)
    return tuple(found)


def totals_from_rows(
    rows: Iterable[EntryRow], long_entry_seconds: int = LONG_ENTRY_SECONDS
) -> PatientMonthTotals:
    """Sum one patient's entry rows by (role, program); find overlaps and long entries.

    Rows are plain tuples (entry_id, seconds, role, program, start_utc, end_utc), as a query
    returns them, so a month of a million entries needs no object per entry. One pass does
    everything when rows come in start order; otherwise the overlap sweep is redone sorted.
    """
    items = rows if isinstance(rows, list | tuple) else list(rows)
    sums: dict[SecondsKey, int] = {}
    get = sums.get
    longs: list[LongEntry] = []
    found: list[Overlap] = []
    in_order = True
    last_start: datetime | None = None
    reach_end: datetime | None = None
    reach_id = ""
    for entry_id, seconds, role, program, start, end in items:
        key = (role, program)
        sums[key] = get(key, 0) + seconds
        if seconds > long_entry_seconds:
            longs.append(LongEntry(entry_id, seconds))
        if not in_order or end <= start:
            continue
        if last_start is not None and start < last_start:
            in_order = False
            continue
        last_start = start
        if reach_end is not None and start < reach_end:
            found.append(Overlap(reach_id, entry_id, (min(reach_end, end) - start) // _ONE_SECOND))
        if reach_end is None or end > reach_end:
            reach_end, reach_id = end, entry_id
    if not in_order:
        found = []
        _sweep(sorted((r for r in items if r[5] > r[4]), key=itemgetter(4)), found)
    return PatientMonthTotals(sums, tuple(found), tuple(longs))


def totals_from_entries(
    entries: Iterable[EntryInput], long_entry_seconds: int = LONG_ENTRY_SECONDS
) -> PatientMonthTotals:
    """`totals_from_rows` for `EntryInput` objects."""
    return totals_from_rows(list(map(_AS_ROW, entries)), long_entry_seconds)
