"""Every field of a bundle's rows checked as the command line checks what people type.

A bundle is signed by a trusted workstation, and still its rows reach this database's
reports, exports and terminals: a name starting with "=", an escape sequence, a bidi
override or 50,000 characters are refused here exactly as `patient add`, `clinician add` or
`entry add` refuse them (the same validators), and so are rows of the wrong shape. One bad
field refuses the whole bundle; the clause says which.

The clinical record is checked as `patient condition add`, `careplan add` and `patient
consent` check it: a condition's code in its stored form and in this workstation's
ICD-10-CM code set (read only when a bundle carries conditions or linked care-plan items),
texts bounded and free of control characters, dates and instants possible (nothing in the
future, a removal not before the addition), a removal or withdrawal recorded whole, and a
scanned consent of an accepted type, no larger than a scan may be, whose size, media type
and SHA-256 match its bytes.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import types as satypes
from sqlalchemy.types import TypeDecorator
from sqlmodel import SQLModel

from ccm_timer.core import entry_limits
from ccm_timer.core.conditions import normalise
from ccm_timer.core.month import parse_month
from ccm_timer.core.parse import FORMULA_PREFIXES, check_mrn, check_note, check_text
from ccm_timer.errors import UserError
from ccm_timer.services.people import care_plan, conditions, consent_documents
from ccm_timer.services.people.clinicians import check_credential, check_npi
from ccm_timer.store import merge as records
from ccm_timer.store.models import ConsentMethod, EntryState

# What collect_month puts in a bundle: no exports, and no month approvals (a sender may not
# close a month on another workstation), so a bundle holding either is refused outright.
CARRIED = tuple(t for t in records.PUSHED if t != "month_approval")
_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,59}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_OLDEST_BIRTH = date(1880, 1, 1)
_OLDEST_RECORD = datetime(2000, 1, 1, tzinfo=UTC)  # before any care-management code existed
_OLDEST_DAY = _OLDEST_RECORD.date()
_AHEAD = timedelta(days=1)  # the sender's clock may run ahead of this one's
_WHO = {"clinician": "a clinician's", "category": "a category's", "patient": "a patient's",
        "enrollment": "an enrollment's", "time_entry": "an entry's",
        "audit_event": "an audit event's", "patient_month": "a patient month's",
        "patient_condition": "a condition's", "care_plan_item": "a care-plan item's",
        "care_plan_review": "a care-plan review's", "consent_document": "a scanned consent's"}


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


def _day(table: str, value: date | None, what: str, now: datetime,
         oldest: date = _OLDEST_DAY) -> None:
    if value is not None and not oldest <= value <= (now + _AHEAD).date():
        raise BundleFieldError(f"{_WHO[table]} {what} {value} is not possible")


def _instant(table: str, value: datetime | None, what: str, now: datetime,
             after: datetime | None = None) -> None:
    if value is None:
        return
    if not _OLDEST_RECORD <= value <= now + _AHEAD:
        raise BundleFieldError(f"{_WHO[table]} {what} {value.date()} is not possible")
    if after is not None and value < after:
        raise BundleFieldError(f"{_WHO[table]} {what} is before it was added")


def _free(table: str, value: str, what: str, limit: int) -> None:
    """Free text as the services take it (a reason, a care-plan item): not empty."""
    try:
        if not check_note(value, what, limit):
            raise ValueError(f"the {what} is empty")
    except ValueError as exc:
        raise _say(table, exc) from None


def _ended(table: str, row: dict[str, Any], noun: str, columns: tuple[str, str, str],
           now: datetime, since: datetime) -> None:
    """A removal (or an end) is recorded whole: when, by whom and why, or not at all."""
    at, by, why = (row[c] for c in columns)
    if (at is None) != (by is None) or (at is None) != (why is None):
        raise BundleFieldError(f"{_WHO[table]} {noun} is not recorded whole (when, by whom "
                               "and why)")
    if at is not None:
        _instant(table, at, f"{noun} date", now, since)
        _text(table, by, f"{noun}'s author", 200)
        _free(table, why, f"{noun} reason", conditions.MAX_REASON)


def _code(table: str, code: str, what: str) -> None:
    """In its stored form ("E11.9") and a billable code of the ICD-10-CM code set."""
    try:
        stored = normalise(code)
    except ValueError:
        stored = None
    if stored != code:
        raise BundleFieldError(f"{_WHO[table]} {what} {code[:20]!r} is not an ICD-10-CM code "
                               "as CCM Timer stores one")
    try:
        conditions.check_code(code)
    except UserError:
        raise BundleFieldError(f"{_WHO[table]} {what} {code} is not a billable code of this "
                               "workstation's ICD-10-CM code set") from None


def _enrollment(row: dict[str, Any], now: datetime) -> None:
    if row["consent_method"] is not None:
        _text("enrollment", row["consent_method"], "consent method", 40)
    start, end = row["start_date"], row["end_date"]
    if start is not None and end is not None and end < start:
        raise BundleFieldError("an enrollment ends before it starts")
    consent, withdrawn = row["consent_date"], row["withdrawn_on"]
    _day("enrollment", consent, "consent date", now)
    _day("enrollment", withdrawn, "withdrawal date", now)
    if row["consent_by"] is not None:
        _text("enrollment", row["consent_by"], "consent obtainer's name")
    elif row["consent_by_id"] is not None:
        raise BundleFieldError("an enrollment names who obtained consent by id only")
    told = [row[c] for c in ("disclosed_cost_sharing", "disclosed_one_practitioner",
                             "disclosed_right_to_stop")]
    if consent is None and (row["consent_by"] or any(told) or row["consent_document_id"]):
        raise BundleFieldError("an enrollment records how consent was obtained without a "
                               "consent date")
    if row["consent_document_id"] is not None and row["consent_method"] != ConsentMethod.WRITTEN:
        raise BundleFieldError("an enrollment keeps a scanned consent for a consent that was "
                               "not written")
    if withdrawn is None:
        if row["withdrawal_reason"] is not None:
            raise BundleFieldError("an enrollment has a withdrawal reason but no withdrawal")
        return
    if not row["withdrawal_reason"]:
        raise BundleFieldError("an enrollment's withdrawal has no reason")
    _free("enrollment", row["withdrawal_reason"], "withdrawal reason", conditions.MAX_REASON)
    if end is None or end > withdrawn or (start is not None and withdrawn < start):
        raise BundleFieldError("an enrollment's withdrawal does not end it")


def _condition(row: dict[str, Any], now: datetime) -> None:
    _code("patient_condition", row["code"], "code")
    description = row["description"]
    _free("patient_condition", description, "description", 500)
    if description.startswith(FORMULA_PREFIXES):
        raise BundleFieldError("a condition's description starts like a spreadsheet formula")
    _day("patient_condition", row["since"], "since-date", now, _OLDEST_BIRTH)
    _instant("patient_condition", row["added_at"], "added date", now)
    _text("patient_condition", row["added_by"], "author's name", 200)
    _ended("patient_condition", row, "removal", ("removed_at", "removed_by", "removal_reason"),
           now, row["added_at"])


def _care_plan_item(row: dict[str, Any], now: datetime) -> None:
    _free("care_plan_item", row["text"], "text", care_plan.MAX_TEXT)
    if row["condition_code"] is not None:
        _code("care_plan_item", row["condition_code"], "condition")
    _instant("care_plan_item", row["created_at"], "date", now)
    _text("care_plan_item", row["created_by"], "author's name", 200)
    _ended("care_plan_item", row, "end", ("ended_at", "ended_by", "end_reason"), now,
           row["created_at"])


def _care_plan_review(row: dict[str, Any], now: datetime) -> None:
    _instant("care_plan_review", row["reviewed_at"], "date", now)
    _text("care_plan_review", row["reviewed_by"], "reviewer's name", 200)


def _consent_document(row: dict[str, Any], now: datetime) -> None:
    content, kind = row["content"], row["media_type"]
    if type(content) is not bytes:
        raise BundleFieldError("a consent_document row has a bad content")
    if kind not in consent_documents.EXTENSIONS:
        raise BundleFieldError(f"a scanned consent's type {kind[:40]!r} is not one CCM Timer "
                               "keeps")
    if row["size"] != len(content) or len(content) > consent_documents.MAX_BYTES:
        raise BundleFieldError("a scanned consent's size does not match its content, or it "
                               "is larger than a scan may be")
    if consent_documents.media_type(content) != kind:
        raise BundleFieldError(f"a scanned consent's content is not the {kind} it claims")
    if not _SHA256.fullmatch(row["sha256"]) or hashlib.sha256(content).hexdigest() != (
            row["sha256"]):
        raise BundleFieldError("a scanned consent's SHA-256 does not match its content")
    _instant("consent_document", row["added_at"], "date", now)
    _text("consent_document", row["added_by"], "author's name", 200)


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
    "audit_event": _audit, "patient_condition": _condition, "care_plan_item": _care_plan_item,
    "care_plan_review": _care_plan_review, "consent_document": _consent_document,
}


def _scans(rows: records.Rows) -> None:
    """An enrollment's scan is the same patient's (both as the sender numbers them)."""
    owner = {r["id"]: r["patient_id"] for r in rows.get("consent_document", [])}
    for row in rows.get("enrollment", []):
        doc = row["consent_document_id"]
        if doc in owner and owner[doc] != row["patient_id"]:
            raise BundleFieldError("an enrollment keeps another patient's scanned consent")


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
    _scans(rows)
    _spans(rows, now)
