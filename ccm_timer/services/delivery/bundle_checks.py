"""Every field of a bundle's rows checked as the command line checks what people type.

A bundle is signed by a trusted workstation, and still its rows reach this database's
reports, exports and terminals: a name starting with "=", an escape sequence, a bidi
override or 50,000 characters are refused here exactly as `patient add`, `clinician add` or
`entry add` refuse them (the same validators), and so are rows of the wrong shape. One bad
field refuses the whole bundle; the clause says which.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import types as satypes
from sqlalchemy.types import TypeDecorator
from sqlmodel import SQLModel

from ccm_timer.core import entry_limits
from ccm_timer.core.month import parse_month
from ccm_timer.core.parse import check_mrn, check_note, check_text
from ccm_timer.services.people.clinicians import check_credential, check_npi
from ccm_timer.store import merge as records
from ccm_timer.store.models import EntryState

CARRIED = ("clinician", "category", "patient", "enrollment", "patient_month", "time_entry",
           "interval", "audit_event")  # what collect_month puts in a bundle; no exports
_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,59}")
_OLDEST_BIRTH = date(1880, 1, 1)
_AHEAD = timedelta(days=1)  # the sender's clock may run ahead of this one's
_WHO = {"clinician": "a clinician's", "category": "a category's", "patient": "a patient's",
        "enrollment": "an enrollment's", "time_entry": "an entry's",
        "audit_event": "an audit event's", "patient_month": "a patient month's"}


class BundleFieldError(ValueError):
    """A field the command line would refuse; the message is a clause."""


def _say(table: str, exc: ValueError) -> BundleFieldError:
    text = str(exc)
    return BundleFieldError(f"{_WHO.get(table, 'a')} {text.removeprefix('the ')}"
                            if text.startswith("the ") else f"{_WHO.get(table, 'a')} {text}")


def _plain_type(column_type: Any) -> type | None:
    """bool, int or str for the columns JSON carries as themselves; None for the rest (the
    records decoder turned those into UUIDs, instants, dates and enums, or refused)."""
    if isinstance(column_type, (TypeDecorator, satypes.Enum)):
        return None
    for sql_type, kind in ((satypes.Boolean, bool), (satypes.Integer, int),
                           (satypes.String, str)):
        if isinstance(column_type, sql_type):
            return kind
    return None


def _shapes(name: str, rows: list[dict[str, Any]]) -> None:
    """Every column present, each of its type (the JSON decoder checked the typed ones)."""
    columns = SQLModel.metadata.tables[name].c
    for row in rows:
        for column in columns:
            if column.key not in row:
                raise BundleFieldError(f"a {name} row has no {column.key}")
            value = row[column.key]
            if value is None:
                if not column.nullable:
                    raise BundleFieldError(f"a {name} row has no {column.key}")
                continue
            kind = _plain_type(column.type)
            if kind is not None and type(value) is not kind:
                raise BundleFieldError(f"a {name} row has a bad {column.key}")


def _text(table: str, value: str, what: str, limit: int = 100) -> None:
    try:
        check_text(value, what, limit)
    except ValueError as exc:
        raise _say(table, exc) from None


def _note(table: str, value: str | None, what: str) -> None:
    if value:
        try:
            check_note(value, what)
        except ValueError as exc:
            raise _say(table, exc) from None


def _clinician(row: dict[str, Any], now: datetime) -> None:
    _text("clinician", row["name"], "name")
    try:
        check_credential(row["credential"], row["role"])
        check_npi(row["npi"])
    except ValueError as exc:
        raise _say("clinician", exc) from None


def _category(row: dict[str, Any], now: datetime) -> None:
    if not _SLUG.fullmatch(row["slug"]):
        raise BundleFieldError(f"a category's slug {row['slug'][:40]!r} is not a slug")
    _text("category", row["label"], "label")


def _patient(row: dict[str, Any], now: datetime) -> None:
    try:
        check_mrn(row["mrn"])
    except ValueError as exc:
        raise BundleFieldError(f"a patient's MRN is not valid ({exc})") from None
    _text("patient", row["family_name"], "family name")
    _text("patient", row["given_name"], "given name")
    born = row["birth_date"]
    if born is not None and not _OLDEST_BIRTH <= born <= now.date():
        raise BundleFieldError(f"a patient's birth date {born} is not possible")


def _enrollment(row: dict[str, Any], now: datetime) -> None:
    if row["consent_method"] is not None:
        _text("enrollment", row["consent_method"], "consent method", 40)
    start, end = row["start_date"], row["end_date"]
    if start is not None and end is not None and end < start:
        raise BundleFieldError("an enrollment ends before it starts")


def _patient_month(row: dict[str, Any], now: datetime) -> None:
    try:
        parse_month(row["month"])
    except ValueError as exc:
        raise _say("patient_month", exc) from None


def _entry(row: dict[str, Any], now: datetime) -> None:
    _note("time_entry", row["note"], "note")
    _note("time_entry", row["change_reason"], "reason")
    _note("time_entry", row["void_reason"], "void reason")
    _text("time_entry", row["workstation"], "workstation name")
    if row["version"] < 1:
        raise BundleFieldError("an entry's version is not a version number")
    try:
        ZoneInfo(row["tz_name"])
    except (ZoneInfoNotFoundError, ValueError):
        raise BundleFieldError(f"an entry's time zone {row['tz_name'][:40]!r} is unknown") \
            from None


def _audit(row: dict[str, Any], now: datetime) -> None:
    for key in ("actor", "workstation", "action", "entity"):
        _text("audit_event", row[key], key, 200)
    _note("audit_event", row["entity_id"], "entity id")


_FIELDS: dict[str, Callable[[dict[str, Any], datetime], None]] = {
    "clinician": _clinician, "category": _category, "patient": _patient,
    "enrollment": _enrollment, "patient_month": _patient_month, "time_entry": _entry,
    "audit_event": _audit,
}


def _spans(rows: records.Rows, now: datetime) -> None:
    """Each interval within the dates and length `entry add` allows; a stopped entry has
    no open interval (an open one belongs to a live timer, which merge_guard.py keeps out)."""
    stopped = {r["id"] for r in rows.get("time_entry", []) if r["state"] is EntryState.STOPPED}
    for span in rows.get("interval", []):
        start, end = span["start_utc"], span["end_utc"]
        if end is None and span["entry_id"] in stopped:
            raise BundleFieldError("a stopped entry has an interval without an end")
        if end is not None and end <= start:
            raise BundleFieldError("an interval ends before it starts")
        try:
            entry_limits.check_times(start, start if end is None else end)
        except ValueError as exc:
            raise _say("time_entry", exc) from None
        if max(start, end or start) > now + _AHEAD:
            raise BundleFieldError(f"an entry ends on {(end or start).date()}, in the future")


def check(rows: records.Rows, now: datetime) -> None:
    """BundleFieldError naming the first field the command line would refuse."""
    for name in rows:
        if name not in CARRIED:
            raise BundleFieldError(f"it carries {name} rows, which a bundle never holds")
    for name in CARRIED:
        found = rows.get(name, [])
        _shapes(name, found)
        checker = _FIELDS.get(name)
        for row in found:
            if checker is not None:
                checker(row, now)
    _spans(rows, now)
