"""The workstation's records as rows, and their idempotent merge into another database.

One code path serves the clinic hub (PostgreSQL) and bundles carried on a USB stick into a
hub or another workstation (SQLite). Rows are keyed by UUID, so merging the same rows twice
changes nothing. Two keys are natural rather than UUID, because every workstation seeds or
adds its own row for them: a patient is the same patient by MRN, a category by slug; rows
pointing at them are remapped to the receiving database's row.

Entry versions already superseded are evidence and never change; a current version may
(a timer stopped, an entry superseded later), so it is updated in place, intervals before
the version is marked superseded (the SQLite triggers of migration 0002 require that order).

That holds for a workstation's own pushes to the hub. Rows from a bundle come with a
`Guard` (merge_guard.py), which only ever adds: what would rewrite or hide a row already
here becomes a recorded conflict instead.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Iterable
from datetime import date, datetime
from enum import Enum
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Table, or_, select
from sqlalchemy import types as satypes
from sqlmodel import SQLModel

from ccm_timer.core.month import month_bounds_utc
from ccm_timer.store import models  # noqa: F401  (registers the tables)
from ccm_timer.store.types import UTCDateTime

if TYPE_CHECKING:
    from ccm_timer.store.merge_guard import Guard

Rows = dict[str, list[dict[str, Any]]]

# Order matters: a row comes after the rows it points at.
PUSHED = ("clinician", "category", "patient", "enrollment", "patient_month", "time_entry",
          "interval", "audit_event")
MERGED = (*PUSHED, "export")
RECORDS_FORMAT = "ccm-timer-records/1"
_CHUNK = 500  # ids per IN (...) list: well under every driver's parameter limit
_FLAGS = ("complex_mdm", "care_plan_revised", "interactive_contact")


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


def _all(conn: Connection, name: str) -> list[dict]:
    tbl = table(name)
    order = tbl.c.seq if name == "audit_event" else list(tbl.primary_key.columns)[0]
    return [dict(r) for r in conn.execute(select(tbl).order_by(order)).mappings()]


# --- reading -----------------------------------------------------------------------------


def collect_all(conn: Connection) -> Rows:
    """Every row a hub needs from this workstation."""
    rows = {name: _all(conn, name) for name in PUSHED}
    rows["time_entry"].sort(key=lambda r: (r["version"], str(r["id"])))
    return rows


def collect_month(conn: Connection, month: str, zone: Any, patient_id: uuid.UUID | None) -> Rows:
    """The rows behind one month's export (one patient's, or everyone's): every version of
    every entry with time in the month, and what those versions point at."""
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
    clinician_ids = {r["clinician_id"] for r in entries} | {
        r["created_by"] for r in entries if r["created_by"]
    } | {p["billing_practitioner_id"] for p in patients if p["billing_practitioner_id"]}
    months = [r for r in _select_in(conn, table("patient_month"), "patient_id", patient_ids)
              if r["month"] == month]
    audit_ids = [str(i) for i in entry_ids] + [str(i) for i in origins]
    audit = [r for r in _select_in(conn, table("audit_event"), "entity_id", audit_ids)
             if r["entity"] == "time_entry"]
    return {
        "clinician": _select_in(conn, table("clinician"), "id", clinician_ids),
        "category": _select_in(conn, table("category"), "id", {r["category_id"] for r in entries}),
        "patient": patients,
        "enrollment": _select_in(conn, table("enrollment"), "patient_id", patient_ids),
        "patient_month": months,
        "time_entry": entries,
        "interval": sorted(_select_in(conn, iv, "entry_id", entry_ids),
                           key=lambda r: (r["start_utc"], str(r["id"]))),
        "audit_event": sorted(audit, key=lambda r: r["seq"]),
    }


# --- JSON, for bundles -------------------------------------------------------------------


def _encode(value: Any) -> Any:
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
        return base64.b64decode
    return None


def to_json(rows: Rows, **header: Any) -> bytes:
    """Deterministic bytes: the same rows always give the same file (and SHA-256)."""
    body = {"format": RECORDS_FORMAT, **header,
            "rows": {name: [{k: _encode(v) for k, v in r.items()} for r in rows.get(name, [])]
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


# --- merging -----------------------------------------------------------------------------


def _by(rows: list[dict], key: str) -> dict[Any, dict]:
    return {r[key]: r for r in rows}


def _diff(old: dict, new: dict, skip: Iterable[str] = ()) -> dict[str, Any]:
    skipped = set(skip)
    return {k: v for k, v in new.items() if k not in skipped and old.get(k) != v}


class _Merge:
    def __init__(self, conn: Connection, keep_audit: bool, guard: Guard | None = None) -> None:
        self.conn = conn
        self.keep_audit = keep_audit
        self.guard = guard
        self.changed: dict[str, int] = {}
        self.patient_map: dict[uuid.UUID, uuid.UUID] = {}
        self.category_map: dict[uuid.UUID, uuid.UUID] = {}

    def _count(self, name: str, n: int) -> None:
        if n:
            self.changed[name] = self.changed.get(name, 0) + n

    def _insert(self, name: str, rows: list[dict]) -> None:
        if rows:
            self.conn.execute(table(name).insert(), rows)
            self._count(name, len(rows))

    def _update(self, name: str, key: Any, values: dict) -> None:
        if values:
            tbl = table(name)
            self.conn.execute(tbl.update().where(tbl.c.id == key).values(**values))
            self._count(name, 1)

    def by_id(self, name: str, incoming: list[dict], frozen: bool = False) -> dict[Any, dict]:
        """Insert rows missing by id; update changed ones unless `frozen`."""
        existing = _by(_select_in(self.conn, table(name), "id", [r["id"] for r in incoming]),
                       "id")
        self._insert(name, [r for r in incoming if r["id"] not in existing])
        if not frozen:
            for row in incoming:
                if row["id"] in existing:
                    changes = _diff(existing[row["id"]], row, ("id",))
                    if self.guard is not None:
                        self.guard.changed(name, existing[row["id"]], changes)
                    else:
                        self._update(name, row["id"], changes)
        return existing

    def natural(self, name: str, incoming: list[dict], key: str) -> dict[uuid.UUID, uuid.UUID]:
        """Map incoming ids to the receiving rows with the same natural key; insert the rest."""
        tbl = table(name)
        by_id = _by(_select_in(self.conn, tbl, "id", [r["id"] for r in incoming]), "id")
        by_key = _by(_select_in(self.conn, tbl, key, [r[key] for r in incoming]), key)
        mapping: dict[uuid.UUID, uuid.UUID] = {}
        fresh = []
        for row in incoming:
            if row["id"] in by_id:
                mapping[row["id"]] = row["id"]
                if name == "patient" and self.guard is not None:
                    self.guard.patient(by_id[row["id"]], row)
                elif name == "patient":  # only the workstation that made this row edits it
                    self._update(name, row["id"],
                                 _diff(by_id[row["id"]], row, ("id", key)))
            elif row[key] in by_key:
                mapping[row["id"]] = by_key[row[key]]["id"]
                if name == "patient" and self.guard is not None:
                    self.guard.patient(by_key[row[key]], row)
            else:
                mapping[row["id"]] = row["id"]
                by_key[row[key]] = row
                fresh.append(row)
        self._insert(name, fresh)
        return mapping

    def patient_months(self, incoming: list[dict]) -> None:
        tbl = table("patient_month")
        rows = [{**r, "patient_id": self.patient_map.get(r["patient_id"], r["patient_id"])}
                for r in incoming]
        existing = _select_in(self.conn, tbl, "patient_id", [r["patient_id"] for r in rows])
        by_key = {(r["patient_id"], r["month"]): r for r in existing}
        fresh = []
        for row in rows:
            old = by_key.get((row["patient_id"], row["month"]))
            if old is None:
                by_key[(row["patient_id"], row["month"])] = row
                fresh.append(row)
                continue
            # Flags are facts someone recorded: any workstation's "yes" stands.
            raised = {f: True for f in _FLAGS if row[f] and not old[f]}
            if raised:
                self.conn.execute(tbl.update().where(tbl.c.id == old["id"]).values(**raised))
                self._count("patient_month", 1)
        self._insert("patient_month", fresh)

    def remapped(self, incoming: list[dict]) -> list[dict]:
        """Entry rows pointing at this database's patient and category rows (matched by MRN
        and slug before), as copies: the incoming rows stay as they came."""
        rows = []
        for r in incoming:
            row = dict(r)
            if row["patient_id"] is not None:
                row["patient_id"] = self.patient_map.get(row["patient_id"], row["patient_id"])
            row["category_id"] = self.category_map.get(row["category_id"], row["category_id"])
            rows.append(row)
        return rows

    def entries(self, incoming: list[dict], intervals: list[dict]) -> None:
        rows = self.remapped(incoming)
        te = table("time_entry")
        existing = _by(_select_in(self.conn, te, "id", [r["id"] for r in rows]), "id")
        # 1. Versions: new ones go in as current (marked superseded in step 3, once their
        #    intervals are in); current ones take the incoming values.
        self._insert("time_entry", [{**r, "superseded_at": None} for r in rows
                                    if r["id"] not in existing])
        for row in rows:
            old = existing.get(row["id"])
            if old is not None and old["superseded_at"] is None:
                self._update("time_entry", row["id"], _diff(old, row, ("id", "superseded_at")))
        # 2. Intervals of versions that are still current on the receiving side.
        frozen = {k for k, v in existing.items() if v["superseded_at"] is not None}
        old_spans = _by(_select_in(self.conn, table("interval"), "id",
                                   [r["id"] for r in intervals]), "id")
        self._insert("interval", [r for r in intervals if r["id"] not in old_spans])
        for row in intervals:
            old = old_spans.get(row["id"])
            if old is not None and old["entry_id"] not in frozen:
                self._update("interval", row["id"], _diff(old, row, ("id", "entry_id")))
        # 3. Supersession, last.
        for row in rows:
            old = existing.get(row["id"])
            if row["superseded_at"] is not None and (old is None or old["superseded_at"] is None):
                self._update("time_entry", row["id"], {"superseded_at": row["superseded_at"]})

    def audit(self, incoming: list[dict]) -> None:
        # Each workstation's chain keeps its hashes; the receiver numbers rows its own way
        # (see hub.verify_chains for checking them there).
        tbl = table("audit_event")
        existing = {r["id"] for r in _select_in(self.conn, tbl, "id", [r["id"] for r in incoming])}
        fresh = [{k: v for k, v in r.items() if k != "seq"}
                 for r in sorted(incoming, key=lambda r: r["seq"] or 0) if r["id"] not in existing]
        self._insert("audit_event", fresh)


def merge(conn: Connection, rows: Rows, *, keep_audit: bool,
          guard: Guard | None = None) -> dict[str, int]:
    """Bring `rows` into the database behind `conn` (inside the caller's transaction).

    Returns the number of rows inserted or changed per table: all zero when the receiving
    side already had everything. `keep_audit` False (a workstation's own database) leaves
    its audit chain alone; the caller records one event for the whole import instead.
    With a `guard` (rows from a bundle), nothing here is rewritten or hidden: see
    merge_guard.py.
    """
    m = _Merge(conn, keep_audit, guard)
    if guard is not None:
        guard.start(conn)
    m.by_id("clinician", rows.get("clinician", []))
    m.category_map = m.natural("category", rows.get("category", []), "slug")
    m.patient_map = m.natural("patient", rows.get("patient", []), "mrn")
    m.by_id("enrollment", [
        {**r, "patient_id": m.patient_map.get(r["patient_id"], r["patient_id"])}
        for r in rows.get("enrollment", [])
    ])
    m.patient_months(rows.get("patient_month", []))
    if guard is not None:
        guard.entries(m, rows.get("time_entry", []), rows.get("interval", []))
    else:
        m.entries(rows.get("time_entry", []), rows.get("interval", []))
    if keep_audit:
        m.audit(rows.get("audit_event", []))
    m.by_id("export", rows.get("export", []), frozen=True)
    if guard is not None:
        guard.record(conn)
    return m.changed


def entry_versions(rows: Rows) -> list[dict[str, str | int]]:
    """What a bundle manifest lists: every entry version it carries."""
    return [{"id": str(r["id"]), "origin_id": str(r["origin_id"]), "version": r["version"]}
            for r in rows.get("time_entry", [])]

