"""Roster import: every row or none.

The file is decoded strictly (UTF-16 or UTF-8 by their BOM, else UTF-8, else cp1252), every
row is checked, and only when all rows pass are they written, in one transaction. Every bad
row is reported with its line number and reason.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import func
from sqlmodel import select

from ccm_timer.core.parse import check_mrn, check_text, parse_date, parse_person_name
from ccm_timer.errors import UserError
from ccm_timer.services.context import AppContext
from ccm_timer.services.people import enrollments
from ccm_timer.services.security import audit
from ccm_timer.store.models import Patient, Program

MAX_BYTES = 20 * 1024 * 1024
MAX_FIELD = 1_000  # no roster cell is legitimately longer; a 10 MB field is refused
COLUMNS = {
    "mrn": ("mrn", "medical record number", "patient id"),
    "name": ("name", "patient name", "patient"),
    "family": ("family", "family name", "last name", "surname"),
    "given": ("given", "given name", "first name"),
    "dob": ("dob", "birth date", "birth_date", "date of birth"),
    "program": ("program",),
    "consent": ("consent", "consent date", "consent_date"),
}


@dataclass(frozen=True)
class RosterRow:
    line: int
    mrn: str
    family: str
    given: str
    birth_date: date | None
    program: Program | None
    consent: date | None


class RosterError(UserError):
    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        shown = "\n".join(f"  {p}" for p in problems[:50])
        more = f"\n  … and {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__(
            f"Nothing was imported: {len(problems)} problem(s) in the roster; fix them and "
            f"import again.\n{shown}{more}"
        )


def decode(raw: bytes) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            raise RosterError(["the file says UTF-16 but has invalid bytes"]) from None
    if raw.startswith(b"\xef\xbb\xbf"):
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise RosterError([f"invalid UTF-8 at byte {exc.start}"]) from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise RosterError(
            [f"byte {exc.start} is neither UTF-8 nor Windows-1252; save the file as UTF-8"]
        ) from None


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
    return RosterRow(line, mrn, family, given, birth, program, consent)


def parse(text: str) -> tuple[list[RosterRow], list[tuple[int, str]]]:
    """The good rows, and (line, problem) for every bad one."""
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
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append((reader.line_num, str(exc)))
            break  # the CSV structure is broken from here on
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue
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
    return rows, problems


def import_file(ctx: AppContext, path: Path) -> int:
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise UserError(f"The roster {path} is larger than 20 MB; split it and import parts.")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise UserError(f"There is no file {path}; check the path.") from None
    except IsADirectoryError:
        raise UserError(f"{path} is a folder; give the roster CSV file.") from None
    except OSError as exc:
        raise UserError(f"Cannot read {path} ({exc.strerror}).") from None
    csv.field_size_limit(max(csv.field_size_limit(), MAX_BYTES))
    rows, problems = parse(decode(raw))
    with ctx.write() as session:
        wanted = [r.mrn.upper() for r in rows]
        existing = set()
        for start in range(0, len(wanted), 500):  # stay under SQLite's variable limit
            chunk = wanted[start : start + 500]
            found = session.exec(select(Patient.mrn).where(func.upper(Patient.mrn).in_(chunk)))
            existing |= {m.upper() for m in found}
        problems += [(r.line, f"MRN {r.mrn} is already in the database")
                     for r in rows if r.mrn.upper() in existing]
        if problems:
            raise RosterError([f"line {line}: {why}" for line, why in sorted(problems)])
        for r in rows:
            patient = Patient(
                mrn=r.mrn, family_name=r.family, given_name=r.given, birth_date=r.birth_date
            )
            session.add(patient)
            session.flush()
            if r.program:
                enrollments.enroll(session, ctx, patient, r.program, consent_date=r.consent)
        audit.append(
            session, ctx=ctx, actor="admin", action="patient.import", entity="roster",
            entity_id="-", after={"patients": len(rows)},
        )
    return len(rows)
