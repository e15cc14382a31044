"""Roster import: every row or none.

The file is read safely and decoded in the encoding the user chose (roster_file.py), every
row is checked, and only when all rows pass are they written, in short batches that never
keep a timer waiting (roster_batches.py). Every bad row is reported with its line number
and reason; a preview shows the same without writing anything.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import text as sql

from ccm_timer.core.parse import check_mrn, check_text, parse_date, parse_person_name
from ccm_timer.errors import UserError
from ccm_timer.services.context import AppContext
from ccm_timer.services.people import enrollments, roster_batches, roster_file
from ccm_timer.services.people.roster_batches import ImportResult
from ccm_timer.store.models import Program

MAX_BYTES = roster_file.MAX_BYTES
MAX_ROWS = 200_000
MAX_FIELD = 1_000  # no roster cell is legitimately longer; a 10 MB field is refused
MAX_CODES = 50  # conditions in one cell
COLUMNS = {
    "mrn": ("mrn", "medical record number", "patient id"),
    "name": ("name", "patient name", "patient"),
    "family": ("family", "family name", "last name", "surname"),
    "given": ("given", "given name", "first name"),
    "dob": ("dob", "birth date", "birth_date", "date of birth"),
    "program": ("program",),
    "consent": ("consent", "consent date", "consent_date"),
    # Optional: the patient's ICD-10-CM codes ("E11.9;I10") and the rest of the consent.
    "conditions": ("conditions", "condition", "icd10", "icd-10", "icd-10-cm", "diagnoses"),
    "method": ("consent method", "consent_method", "method"),
    "consent_by": ("consent by", "consent_by", "obtained by", "consent obtained by"),
    "disclosures": ("disclosures", "consent disclosures"),
}
_LIST = re.compile(r"[;,\s]+")  # "E11.9;I10", "E11.9, I10": a CSV cell's list


@dataclass(frozen=True)
class RosterRow:
    line: int
    mrn: str
    family: str
    given: str
    birth_date: date | None
    program: Program | None
    consent: date | None
    conditions: tuple[tuple[str, str], ...] = ()  # (code, description), checked
    consent_method: str | None = None
    consent_by: str | None = None  # a clinician's name, found in the database by check()
    disclosures: frozenset[str] = frozenset()


class RosterError(UserError):
    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        shown = "\n".join(f"  {p}" for p in problems[:50])
        more = f"\n  … and {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__(
            f"Nothing was imported: {len(problems)} problem(s) in the roster; fix them and "
            f"import again.\n{shown}{more}"
        )


def decode(raw: bytes, encoding: str = roster_file.DEFAULT_ENCODING) -> str:
    return _decode(raw, encoding)[0]


def _decode(raw: bytes, encoding: str) -> tuple[str, str]:
    try:
        return roster_file.decode(raw, encoding)
    except roster_file.DecodeError as exc:
        raise RosterError([str(exc)]) from None


def _columns(header: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, name in enumerate(header):
        key = name.strip().lower().replace("_", " ")
        for column, aliases in COLUMNS.items():
            if key in {a.replace("_", " ") for a in aliases} and column not in found:
                found[column] = index
    missing = [c for c in ("mrn",) if c not in found]
    if "name" not in found and not ("family" in found and "given" in found):
        missing.append("name (or family and given)")
    if missing:
        raise RosterError([f"line 1: the header has no column for {', '.join(missing)}"])
    return found


def _row(line: int, cells: list[str], cols: dict[str, int]) -> RosterRow:
    def cell(name: str) -> str:
        index = cols.get(name)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    for value in cells:
        if len(value) > MAX_FIELD:
            raise ValueError(f"a cell is longer than {MAX_FIELD} characters")
    mrn = check_mrn(cell("mrn"))
    if "name" in cols:
        family, given = parse_person_name(cell("name"))
    else:
        family = check_text(cell("family"), "family name", 100)
        given = check_text(cell("given"), "given name", 100)
    birth = parse_date(cell("dob")) if cell("dob") else None
    program = None
    if cell("program"):
        try:
            program = Program(cell("program").upper())
        except ValueError:
            raise ValueError(f"the program {cell('program')!r} is unknown") from None
    consent = parse_date(cell("consent")) if cell("consent") else None
    if consent and not program:
        raise ValueError("a consent date needs a program")
    method, told = _consent(cell("method"), cell("disclosures"))
    by = cell("consent_by") or None
    if (method or by or told) and not consent:
        raise ValueError("how consent was given, who obtained it and the disclosures need a "
                         "consent date")
    return RosterRow(line, mrn, family, given, birth, program, consent,
                     _conditions(cell("conditions")), method, by, told)


def _consent(method: str, disclosures: str) -> tuple[str | None, frozenset[str]]:
    try:
        given = enrollments.parse_method(method) if method else None
        told = enrollments.parse_disclosures(_LIST.split(disclosures)) if disclosures \
            else frozenset()
    except UserError as exc:
        raise ValueError(_reason(exc)) from None
    return (given.value if given else None), told


def _conditions(text: str) -> tuple[tuple[str, str], ...]:
    """The cell's codes, each checked against the code set (read only when a cell has one)."""
    from ccm_timer.services.people import conditions

    found: dict[str, str] = {}
    codes = [c for c in _LIST.split(text) if c]
    if len(codes) > MAX_CODES:
        raise ValueError(f"more than {MAX_CODES} conditions in one row")
    for typed in codes:
        code, description = conditions.lookup(typed)
        if code in found:
            raise ValueError(f"the condition {code} is listed twice")
        found[code] = description
    return tuple(found.items())


def _reason(exc: Exception) -> str:
    """A service's sentence as a roster row's reason: lower case, no full stop."""
    text = str(exc).rstrip(".")
    return text[:1].lower() + text[1:]


@dataclass(frozen=True)
class Parsed:
    columns: dict[str, str]  # what each column means -> its header, as written in the file
    rows: list[RosterRow]  # the good rows
    problems: list[tuple[int, str]]  # (line, reason) for every bad one
    total: int  # data rows, blank ones left out


def parse(text: str) -> tuple[list[RosterRow], list[tuple[int, str]]]:
    """The good rows, and (line, problem) for every bad one."""
    parsed = parse_table(text)
    return parsed.rows, parsed.problems


def parse_table(text: str) -> Parsed:
    if "\x00" in text:
        raise RosterError(["the file contains NUL bytes; it is not a text CSV file"])
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    problems: list[tuple[int, str]] = []
    rows: list[RosterRow] = []
    try:
        header = next(reader)
    except StopIteration:
        raise RosterError(["the file is empty"]) from None
    except csv.Error as exc:
        raise RosterError([f"line 1: {exc}"]) from None
    cols = _columns(header)
    seen: dict[str, int] = {}
    total = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append((reader.line_num, str(exc)))
            total += 1
            break  # the CSV structure is broken from here on
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        total += 1
        if total > MAX_ROWS:
            raise UserError(f"The roster has more than {MAX_ROWS:,} rows (the limit for one "
                            "import); split it and import the parts.")
        try:
            row = _row(line, cells, cols)
        except ValueError as exc:
            problems.append((line, str(exc)))
            continue
        key = row.mrn.upper()  # "r1" and "R1" would split one patient's minutes in two
        if key in seen:
            problems.append((line, f"MRN {row.mrn} is also on line {seen[key]}"))
            continue
        seen[key] = line
        rows.append(row)
    if not rows and not problems:
        raise RosterError(["the file has a header but no patients"])
    return Parsed({c: header[i].strip() for c, i in sorted(cols.items(), key=lambda c: c[1])},
                  rows, problems, total)


@dataclass(frozen=True)
class Checked:
    """A roster read, decoded and checked against the database; nothing written."""

    encoding: str  # how the file was decoded, for people
    parsed: Parsed
    problems: list[str] = field(default_factory=list)  # "line N: why", the database's too
    mark: int = 0  # the highest patient rowid when checked (roster_batches watches above it)
    # consent_by as written -> (the clinician's id, their name as the clinician list has it)
    obtainers: dict[str, tuple[uuid.UUID, str]] = field(default_factory=dict)

    @property
    def good(self) -> int:
        return self.parsed.total - len({p.split(":")[0] for p in self.problems})

    def to_dict(self) -> dict[str, Any]:
        return {"encoding": self.encoding, "columns": self.parsed.columns,
                "rows": self.parsed.total, "good": self.good, "problems": self.problems}


def check(ctx: AppContext, path: Path, encoding: str = roster_file.DEFAULT_ENCODING) -> Checked:
    """Everything an import would refuse, without writing: the preview, and the import's
    first step."""
    text, label = _decode(roster_file.read(Path(path)), encoding)
    csv.field_size_limit(max(csv.field_size_limit(), MAX_BYTES))
    parsed = parse_table(text)
    with ctx.read() as session:  # one snapshot: the MRNs and the mark agree
        conn = session.connection()
        mark = int(conn.execute(sql("SELECT coalesce(max(rowid), 0) FROM patient")).scalar_one())
        existing = {m.upper() for (m,) in conn.execute(sql("SELECT mrn FROM patient"))}
        staff = [(uuid.UUID(str(i)), n) for i, n in conn.execute(
            sql("SELECT id, name FROM clinician WHERE active"))]
    clashes = [(r.line, f"MRN {r.mrn} is already in the database")
               for r in parsed.rows if r.mrn.upper() in existing]
    obtainers, unknown = _obtainers(parsed.rows, staff)
    problems = [f"line {line}: {why}" for line, why in
                sorted(parsed.problems + clashes + unknown)]
    return Checked(label, parsed, problems, mark, obtainers)


def _obtainers(rows: list[RosterRow], staff: list[tuple[uuid.UUID, str]]
               ) -> tuple[dict[str, tuple[uuid.UUID, str]], list[tuple[int, str]]]:
    """Who obtained each consent: the consent_by name -> (clinician id, name as the
    clinician list spells it), matched exactly, else the one name that differs only in
    case; and (line, why) for a name no clinician has."""
    exact = {name: (cid, name) for cid, name in staff}
    folded: dict[str, list[tuple[uuid.UUID, str]]] = {}
    for cid, name in staff:
        folded.setdefault(name.casefold(), []).append((cid, name))
    found: dict[str, tuple[uuid.UUID, str]] = {}
    unknown = []
    for row in rows:
        who = row.consent_by
        if who is None or who in found:
            continue
        matches = [exact[who]] if who in exact else folded.get(who.casefold(), [])
        if len(matches) == 1:
            found[who] = matches[0]
        else:
            unknown.append((row.line, f"there is no clinician {who!r} (who obtained the "
                            "consent); add them first with `ccm-timer clinician add`"))
    return found, unknown


def import_roster(ctx: AppContext, path: Path, *, encoding: str = roster_file.DEFAULT_ENCODING,
                  on_batch: Callable[[int], None] | None = None,
                  batch_rows: int | None = None, actor: str = "admin") -> ImportResult:
    checked = check(ctx, path, encoding)
    if checked.problems:
        raise RosterError(checked.problems)
    try:
        return roster_batches.write(ctx, checked.parsed.rows, checked.mark, on_batch=on_batch,
                                    batch_rows=batch_rows, obtainers=checked.obtainers,
                                    actor=actor)
    except roster_batches.Clash as exc:
        if exc.kept:
            raise UserError(f"The import was taken back, except {exc.kept} patient(s) who got "
                            f"time recorded meanwhile: {exc}.") from None
        raise RosterError([str(exc)]) from None


def import_file(ctx: AppContext, path: Path, **options: Any) -> int:
    return import_roster(ctx, path, **options).imported
