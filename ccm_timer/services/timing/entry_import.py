"""Importing time from a spreadsheet or another tracker: `ccm-timer entry import FILE.csv`.

Columns `mrn,category,clinician,start,end[,note]`; times in ISO 8601, with an offset or in
the clinic's local time. Every row is checked before anything is written, with the rules of
`entry add` (entries.add_manual): the patient exists and is active, the activity exists and
fits the patient (or takes none), the clinician exists and times care-management work, the
end is after the start and not in the future, the limits of core/entry_limits.py, and no
overlap with the clinician's time already recorded or with another row of the same file.
One bad row refuses the file, with every bad row's line and reason; then the checked rows
are written in short batches (entry_import_batches.py), all or nothing.
"""

from __future__ import annotations

import bisect
import csv
import io
import os
import stat
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import text

from ccm_timer.core import entry_limits
from ccm_timer.core.parse import check_note
from ccm_timer.errors import UserError, sentence
from ccm_timer.services.context import AppContext
from ccm_timer.services.people import clinicians, roster_batches
from ccm_timer.services.timing import entry_checks
from ccm_timer.services.timing.entry_import_batches import Clash, ImportResult, write
from ccm_timer.services.timing.import_instants import Instants
from ccm_timer.store.instants import from_db_text, to_db_text
from ccm_timer.store.models import Program, Role

MAX_BYTES = 500 * 1024 * 1024  # a million rows are about 70 MB
MAX_ROWS = 2_000_000
MAX_FIELD = 4_000  # a note's limit (core/parse.MAX_NOTE); no other cell is that long
SHOWN = 50  # bad rows named in the message; the JSON output has every one
REQUIRED = ("mrn", "category", "clinician", "start", "end")
_T = TypeVar("_T")
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)


@dataclass(frozen=True, slots=True)
class Row:
    """One checked row, as it will be written."""

    line: int
    patient_id: uuid.UUID | None
    category_id: uuid.UUID
    program: Program | None
    clinician_id: uuid.UUID
    start: datetime
    end: datetime
    note: str


class ImportRefused(UserError):
    """The file has bad rows; nothing was written. `problems`: (line, reason) for each."""

    def __init__(self, problems: list[tuple[int, str]]) -> None:
        self.problems = sorted(problems)
        shown = "; ".join(f"line {line}: {why}" for line, why in self.problems[:SHOWN])
        more = len(self.problems) - SHOWN
        tail = f"; and {more:,} more" if more > 0 else ""
        super().__init__(f"Nothing was imported: {len(self.problems):,} row(s) are wrong "
                         f"({shown}{tail}); correct them and import the file again.")


def _open(path: Path) -> io.BufferedReader:
    """Only a regular file, opened without blocking (a FIFO), checked before it is read."""
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except FileNotFoundError:
        raise UserError(f"There is no file {path}; check the path.") from None
    except IsADirectoryError:
        raise UserError(f"{path} is a folder; give the CSV file of the entries.") from None
    except OSError as exc:
        raise UserError(f"Cannot read {path} ({exc.strerror}).") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise UserError(f"{path} is not a regular file (a folder, pipe or device); save the "
                        "entries as a CSV file and import that.")
    if info.st_size > MAX_BYTES:
        os.close(fd)
        raise UserError(f"{path} is larger than {MAX_BYTES >> 20} MB (the limit for one "
                        "import); split it and import the parts.")
    return os.fdopen(fd, "rb")


def _records(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(line, cells) after the header, which must name the columns (any order)."""
    csv.field_size_limit(max(csv.field_size_limit(), MAX_FIELD * 4))
    with _open(path) as raw:
        reader = csv.reader(io.TextIOWrapper(raw, encoding="utf-8-sig", newline=""))
        try:
            header = [h.strip().lower() for h in next(reader, [])]
            missing = [c for c in REQUIRED if c not in header]
            if missing:
                raise UserError(f"The file's first line must name the columns "
                                f"{','.join(REQUIRED)}[,note]; {', '.join(missing)} is "
                                "missing.")
            cols = [header.index(c) for c in (*REQUIRED, "note") if c in header]
            for count, cells in enumerate(reader, 1):
                if count > MAX_ROWS:
                    raise UserError(f"The file has more than {MAX_ROWS:,} rows (the limit for "
                                    "one import); split it and import the parts.")
                if cells:
                    yield reader.line_num, [cells[i] if i < len(cells) else "" for i in cols]
        except UnicodeDecodeError:
            raise UserError(f"Line {reader.line_num + 1} of {path} is not UTF-8 text; save the "
                            "file as CSV UTF-8 and import it again.") from None
        except csv.Error as exc:
            raise UserError(f"Line {reader.line_num} of {path} is not CSV ({exc}); save the "
                            "file as CSV and import it again.") from None


class _Names:
    """Patients, activities and clinicians, read once: a million rows look up a few
    thousand names, and each answer (or refusal) is kept."""

    def __init__(self, ctx: AppContext) -> None:
        with ctx.read() as session:
            conn = session.connection()
            self.patients = {r[0].upper(): (uuid.UUID(r[1]), bool(r[2])) for r in conn.execute(
                text("SELECT mrn, id, active FROM patient"))}
            self.categories = {r[0]: (uuid.UUID(r[1]), r[2], r[3], bool(r[4])) for r in
                               conn.execute(text("SELECT slug, id, label, program, active "
                                                 "FROM category"))}
            by_name: dict[str, list[tuple[uuid.UUID, str, bool]]] = defaultdict(list)
            for name, cid, role, active in conn.execute(
                    text("SELECT name, id, role, active FROM clinician")):
                by_name[name].append((uuid.UUID(cid), role, bool(active)))
            self.clinicians = dict(by_name)
            # Entry versions written after this are held to the rows at each batch.
            self.mark = int(conn.execute(
                text("SELECT coalesce(max(rowid), 0) FROM time_entry")).scalar_one())
        self._said: dict[tuple[str, ...], Any] = {}  # each answer, or refusal (a str)

    def _kept(self, key: tuple[str, ...], find: Callable[[], _T]) -> _T:
        said = self._said.get(key)
        if said is None:
            try:
                said = find()
            except ValueError as exc:
                said = str(exc)
            self._said[key] = said
        if isinstance(said, str):
            raise ValueError(said)
        return said

    def subject_of(self, slug: str, mrn: str) -> tuple[uuid.UUID, uuid.UUID | None,
                                                       Program | None]:
        """subject(), each (activity, MRN) looked up once."""
        return self._kept(("s", slug, mrn), lambda: self.subject(slug, mrn))

    def clinician_of(self, name: str) -> uuid.UUID:
        """clinician(), each name looked up once."""
        return self._kept(("c", name), lambda: self.clinician(name))

    def patient(self, mrn: str) -> uuid.UUID:
        found = self.patients.get(mrn.upper())
        if found is None:
            raise ValueError(f"no patient has MRN {mrn!r}; add the patient first")
        if not found[1]:
            raise ValueError(f"the patient with MRN {mrn!r} is deactivated")
        return found[0]

    def clinician(self, name: str) -> uuid.UUID:
        found = self.clinicians.get(name, [])
        if len(found) != 1 or not found[0][2]:
            raise ValueError(f"there is no clinician {name!r}; see the clinician list")
        if found[0][1] == Role.OFFICE.name:  # SQLAlchemy stores enum names
            raise ValueError(f"{name} times no care-management work (role office)")
        return found[0][0]

    def subject(self, slug: str, mrn: str) -> tuple[uuid.UUID, uuid.UUID | None, Program | None]:
        found = self.categories.get(slug.strip())
        if found is None or not found[3]:
            raise ValueError(f"there is no activity category {slug!r}; see the category list")
        cid, label, program, _ = found
        if program is None:
            if mrn:
                raise ValueError(f"{label} is program-level oversight and takes no patient; "
                                 "leave the MRN empty")
            return cid, None, None
        if not mrn:
            raise ValueError(f"{label} needs a patient: give the MRN")
        return cid, self.patient(mrn), Program[program]


def _row(instant: Instants, names: _Names, line: int, cells: list[str], now: datetime,
         long_ok: bool) -> Row:
    mrn, slug, clinician, start_text, end_text = (c.strip() for c in cells[:5])
    if any(len(c) > MAX_FIELD for c in cells):
        raise ValueError(f"a cell is longer than {MAX_FIELD:,} characters")
    category_id, patient_id, program = names.subject_of(slug, mrn)
    who = names.clinician_of(clinician)
    start, end = instant(start_text), instant(end_text)
    if end <= start:
        raise ValueError("the end is not after the start")
    if end > now:
        raise ValueError("the end is in the future; time can be added only once it is spent")
    entry_limits.check_times(start, end)
    if not long_ok and end - start > entry_limits.CONFIRM_OVER:
        raise ValueError(f"the entry would be {entry_limits.hours(end - start)} long, more "
                         f"than {entry_limits.hours(entry_limits.CONFIRM_OVER)}; check the "
                         "start and end, or confirm such entries when importing")
    note = check_note(cells[5], "note") if len(cells) > 5 else ""
    return Row(line, patient_id, category_id, program, who, start, end, note)


def _in_file(rows: list[Row], ctx: AppContext, now: datetime) -> list[tuple[int, str]]:
    """Rows of one clinician that overlap each other: each is named with the earlier one."""
    problems = []
    by_person: dict[uuid.UUID, list[Row]] = defaultdict(list)
    for row in rows:
        by_person[row.clinician_id].append(row)
    for person in by_person.values():
        person.sort(key=lambda r: (r.start, r.line))
        latest = person[0]
        for row in person[1:]:
            if row.start < latest.end:
                when = entry_checks.overlap_when(latest.start, latest.end, now, ctx.zone)
                problems.append((row.line, f"it overlaps line {latest.line} ({when})"))
            if row.end > latest.end:
                latest = row
    return problems


def _recorded(ctx: AppContext, rows: list[Row], now: datetime) -> list[tuple[int, str]]:
    """Rows that overlap time already recorded for the same clinician (current, not voided;
    a running timer up to now), said as `entry add` says it."""
    problems = []
    by_person: dict[uuid.UUID, list[Row]] = defaultdict(list)
    for row in rows:
        by_person[row.clinician_id].append(row)
    with ctx.read() as session:
        conn = session.connection()
        for person, theirs in by_person.items():
            theirs.sort(key=lambda r: r.start)
            starts = [r.start for r in theirs]
            found = conn.execute(text(
                "SELECT i.start_utc, i.end_utc, e.tz_name, c.label FROM interval i "
                "JOIN time_entry e ON e.id = i.entry_id JOIN category c ON c.id = e.category_id "
                "WHERE e.clinician_id = :who AND e.superseded_at IS NULL AND e.voided = 0 "
                "AND i.start_utc < :last AND (i.end_utc IS NULL OR i.end_utc > :first)"),
                {"who": person.hex, "last": to_db_text(max(r.end for r in theirs)),
                 "first": to_db_text(starts[0])})
            for start_text, end_text, _, label in found:
                start, end = from_db_text(start_text), from_db_text(end_text) if end_text else now
                # The rows are in start order and do not overlap each other (checked first),
                # so those that overlap [start, end) are a run ending before `end`.
                at = bisect.bisect_left(starts, end) - 1
                while at >= 0 and theirs[at].end > start:
                    when = entry_checks.overlap_when(start, None if end_text is None else end,
                                                     now, ctx.zone)
                    what = label[:1].lower() + label[1:]
                    problems.append((theirs[at].line, f"it overlaps {what} already recorded "
                                                      f"{when}"))
                    at -= 1
    return problems


@dataclass(frozen=True)
class Checked:
    rows: list[Row]
    mark: int  # the highest entry rowid when the rows were checked


def check(ctx: AppContext, path: Path, *, long_ok: bool = False) -> Checked:
    """Every row of the file, checked against the database; ImportRefused with every bad row
    when any is wrong. Writes nothing."""
    names, now, instant = _Names(ctx), ctx.now(), Instants(ctx.zone)
    rows: list[Row] = []
    problems: list[tuple[int, str]] = []
    for line, cells in _records(path):
        try:
            rows.append(_row(instant, names, line, cells, now, long_ok))
        except ValueError as exc:
            problems.append((line, _reason(exc)))
    if not rows and not problems:
        raise UserError(f"{path} has no entries below its first line; nothing was imported.")
    problems += _in_file(rows, ctx, now)
    if not problems:  # a row that overlaps another of the file is reported once, for that
        problems += _recorded(ctx, rows, now)
    if problems:
        raise ImportRefused(problems)
    return Checked(rows, names.mark)


def _reason(exc: ValueError) -> str:
    said = sentence(exc).rstrip(".")
    return said[:1].lower() + said[1:]


def import_file(ctx: AppContext, path: Path, *, long_ok: bool = False,
                on_batch: Callable[[int, int], None] | None = None,
                batch_rows: int | None = None, actor: str | None = None) -> ImportResult:
    """Check every row, then write them all in batches. `on_batch(written, total)` after
    each batch; `actor`: who imports (the audit trail's name; default: the workstation's
    default clinician)."""
    checked = check(ctx, path, long_ok=long_ok)
    name, person = _importer(ctx, actor)
    try:
        return write(ctx, checked.rows, checked.mark, on_batch=on_batch,
                     batch_rows=batch_rows, actor=name, actor_id=person)
    except Clash as exc:
        raise UserError(f"Nothing was imported ({exc}); the entries already written were "
                        "voided. Check that time and import the file again.") from None


def _importer(ctx: AppContext, actor: str | None) -> tuple[str, uuid.UUID | None]:
    """Who imports: the clinician named, else the workstation's default clinician."""
    with ctx.read() as session:
        try:
            who = clinicians.find(session, ctx, actor)
        except UserError:
            if actor:
                raise
            return roster_batches.ACTOR, None
        return who.name, who.id


def describe(result: ImportResult) -> dict[str, Any]:
    return {"imported": result.imported, "writes": result.writes,
            "longest_write_seconds": round(result.longest_write, 4)}
