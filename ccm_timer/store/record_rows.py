"""The workstation's records as rows, for the clinic hub and for bundles, and their JSON form.

`collect_all` is everything a hub needs (the scanned consents apart: documents never change,
so a push sends only the ones the hub lacks, see `document_ids` and `documents`);
`collect_month` is what one month's export stands on, for a bundle. merge.py brings such
rows into another database.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Iterable
from datetime import date, datetime
from enum import Enum
from typing import Any

from sqlalchemy import Connection, Table, or_, select
from sqlalchemy import types as satypes
from sqlmodel import SQLModel

from ccm_timer.core.month import month_bounds_utc
from ccm_timer.store import models  # noqa: F401  (registers the tables)
from ccm_timer.store.types import UTCDateTime

Rows = dict[str, list[dict[str, Any]]]

# Order matters: a row comes after the rows it points at (an enrollment at its scan).
PUSHED = ("clinician", "category", "patient", "consent_document", "enrollment",
          "patient_condition", "care_plan_item", "care_plan_review", "patient_month",
          "month_approval", "time_entry", "interval", "audit_event")
MERGED = (*PUSHED, "export")
# The patient's clinical record: every row of it travels with the patient (history too,
# since a month's record depends on when a condition was removed or an item ended).
RECORD = ("patient_condition", "care_plan_item", "care_plan_review")
RECORDS_FORMAT = "ccm-timer-records/1"
_CHUNK = 500  # ids per IN (...) list: well under every driver's parameter limit


def table(name: str) -> Table:
    return SQLModel.metadata.tables[name]


def _chunks(values: list[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def _select_in(conn: Connection, tbl: Table, column: str, values: Iterable[Any]) -> list[dict]:
    out: list[dict] = []
    for chunk in _chunks(sorted(set(values), key=str)):
        out.extend(dict(r) for r in conn.execute(select(tbl).where(tbl.c[column].in_(chunk)))
                   .mappings())
    return out


def _by_key(rows: list[dict]) -> list[dict]:
    return sorted(rows, key=lambda r: str(r["id"]))


def _all(conn: Connection, name: str) -> list[dict]:
    tbl = table(name)
    order = tbl.c.seq if name == "audit_event" else list(tbl.primary_key.columns)[0]
    return [dict(r) for r in conn.execute(select(tbl).order_by(order)).mappings()]


# --- reading -----------------------------------------------------------------------------


def collect_all(conn: Connection, *, documents: bool = True) -> Rows:
    """Every row a hub needs from this workstation; without `documents`, no scanned
    consents (a push sends those apart, only the ones the hub lacks)."""
    rows = {name: _all(conn, name) for name in PUSHED
            if documents or name != "consent_document"}
    rows["time_entry"].sort(key=lambda r: (r["version"], str(r["id"])))
    return rows


def document_ids(conn: Connection) -> list[uuid.UUID]:
    tbl = table("consent_document")
    return [r[0] for r in conn.execute(select(tbl.c.id).order_by(tbl.c.id))]


def document_sizes(conn: Connection, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, int]:
    tbl = table("consent_document")
    out: dict[uuid.UUID, int] = {}
    for chunk in _chunks(sorted(set(ids), key=str)):
        out.update((r[0], int(r[1])) for r in conn.execute(
            select(tbl.c.id, tbl.c.size).where(tbl.c.id.in_(chunk))))
    return out


def documents(conn: Connection, ids: Iterable[uuid.UUID]) -> list[dict]:
    """The scanned consents with these ids, content included."""
    return _by_key(_select_in(conn, table("consent_document"), "id", ids))


def _record_of(conn: Connection, patient_ids: set[Any]) -> Rows:
    """The clinical record of these patients, and the scans their enrollments point at."""
    enrollments = _by_key(_select_in(conn, table("enrollment"), "patient_id", patient_ids))
    out: Rows = {"enrollment": enrollments,
                 "consent_document": documents(conn, {r["consent_document_id"] for r in
                                                      enrollments if r["consent_document_id"]})}
    for name in RECORD:
        out[name] = _by_key(_select_in(conn, table(name), "patient_id", patient_ids))
    return out


def collect_month(conn: Connection, month: str, zone: Any, patient_id: uuid.UUID | None) -> Rows:
    """The rows behind one month's export (one patient's, or everyone's): every version of
    every entry with time in the month, the clinical record and consent of the patients
    those versions are for, and what all of it points at."""
    lo, hi = month_bounds_utc(month, zone)
    te, iv = table("time_entry"), table("interval")
    touching = select(iv.c.entry_id).where(
        iv.c.start_utc < hi, or_(iv.c.end_utc.is_(None), iv.c.end_utc > lo)
    )
    query = select(te.c.origin_id).where(te.c.id.in_(touching)).distinct()
    if patient_id is not None:
        query = query.where(te.c.patient_id == patient_id)
    origins = [r[0] for r in conn.execute(query)]
    entries = _select_in(conn, te, "origin_id", origins)
    entries.sort(key=lambda r: (r["version"], str(r["id"])))
    entry_ids = [r["id"] for r in entries]
    patient_ids = {r["patient_id"] for r in entries if r["patient_id"]}
    if patient_id is not None:
        patient_ids.add(patient_id)
    patients = _select_in(conn, table("patient"), "id", patient_ids)
    record = _record_of(conn, patient_ids)
    clinician_ids = {r["clinician_id"] for r in entries} | {
        r["created_by"] for r in entries if r["created_by"]
    } | {p["billing_practitioner_id"] for p in patients if p["billing_practitioner_id"]} | {
        r["consent_by_id"] for r in record["enrollment"] if r["consent_by_id"]
    } | {r["created_by_id"] for r in record["care_plan_item"] if r["created_by_id"]} | {
        r["reviewer_id"] for r in record["care_plan_review"] if r["reviewer_id"]}
    months = [r for r in _select_in(conn, table("patient_month"), "patient_id", patient_ids)
              if r["month"] == month]
    audit_ids = [str(i) for i in entry_ids] + [str(i) for i in origins]
    audit = [r for r in _select_in(conn, table("audit_event"), "entity_id", audit_ids)
             if r["entity"] == "time_entry"]
    return {
        "clinician": _select_in(conn, table("clinician"), "id", clinician_ids),
        "category": _select_in(conn, table("category"), "id", {r["category_id"] for r in entries}),
        "patient": patients,
        **record,
        "patient_month": months,
        "time_entry": entries,
        "interval": sorted(_select_in(conn, iv, "entry_id", entry_ids),
                           key=lambda r: (r["start_utc"], str(r["id"]))),
        "audit_event": sorted(audit, key=lambda r: r["seq"]),
    }


def entry_versions(rows: Rows) -> list[dict[str, str | int]]:
    """What a bundle manifest lists: every entry version it carries."""
    return [{"id": str(r["id"]), "origin_id": str(r["origin_id"]), "version": r["version"]}
            for r in rows.get("time_entry", [])]


# --- JSON, for bundles -------------------------------------------------------------------


def encode(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return UTCDateTime().process_bind_param(value, None)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return value


def _base64(value: Any) -> bytes:
    if not isinstance(value, str):
        raise TypeError("not base64 text")
    return base64.b64decode(value, validate=True)


def _decoder(column_type: Any) -> Callable[[Any], Any] | None:
    if isinstance(column_type, UTCDateTime):
        return lambda v: UTCDateTime().process_result_value(v, None)
    if isinstance(column_type, satypes.Enum) and column_type.enum_class is not None:
        return column_type.enum_class
    if isinstance(column_type, satypes.Uuid):
        return uuid.UUID
    if isinstance(column_type, satypes.Date):
        return date.fromisoformat
    if isinstance(column_type, satypes.LargeBinary):
        return _base64
    return None


def to_json(rows: Rows, **header: Any) -> bytes:
    """Deterministic bytes: the same rows always give the same file (and SHA-256)."""
    body = {"format": RECORDS_FORMAT, **header,
            "rows": {name: [{k: encode(v) for k, v in r.items()} for r in rows.get(name, [])]
                     for name in MERGED if name in rows}}
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def from_json(data: bytes) -> tuple[dict[str, Any], Rows]:
    """(header, rows), or ValueError saying what is wrong."""
    try:
        body = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"the records file is not JSON ({exc})") from None
    if not isinstance(body, dict) or body.get("format") != RECORDS_FORMAT:
        raise ValueError("the records file is not in the CCM Timer records format")
    rows: Rows = {}
    for name, items in (body.get("rows") or {}).items():
        if name not in MERGED or not isinstance(items, list):
            raise ValueError(f"the records file has an unknown table {name!r}")
        columns = table(name).c
        decoded = []
        for item in items:
            if not isinstance(item, dict) or set(item) - set(columns.keys()):
                raise ValueError(f"a {name} row has unknown fields")
            row = {}
            for key, value in item.items():
                decode = _decoder(columns[key].type)
                try:
                    row[key] = decode(value) if decode and value is not None else value
                except (ValueError, TypeError) as exc:
                    raise ValueError(f"a {name} row has a bad {key} ({exc})") from None
            decoded.append(row)
        rows[name] = decoded
    header = {k: v for k, v in body.items() if k != "rows"}
    return header, rows
