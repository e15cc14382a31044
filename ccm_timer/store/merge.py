"""The workstation's records as rows, and their idempotent merge into another database.

One code path serves the clinic hub (PostgreSQL) and bundles carried on a USB stick into a
hub or another workstation (SQLite). Rows are keyed by UUID, so merging the same rows twice
changes nothing. Two keys are natural rather than UUID, because every workstation seeds or
adds its own row for them: a patient is the same patient by MRN, a category by slug; rows
pointing at them (entries, enrollments, the patient's conditions, care-plan items, reviews
and scanned consents) are remapped to the receiving database's row.

A scanned consent never changes once stored, so a row already here is left alone. The rest
of a workstation's record is updated in place by its own pushes: a condition removed, a
care-plan item ended, a consent completed or withdrawn.

Entry versions already superseded are evidence and never change; a current version may
(a timer stopped, an entry superseded later), so it is updated in place, intervals before
the version is marked superseded (the SQLite triggers of migration 0002 require that order).

That holds for a workstation's own pushes to the hub. Rows from a bundle come with a
`Guard` (merge_guard.py), which only ever adds: what would rewrite or hide a row already
here becomes a recorded conflict instead.

A push names its workstation (`pusher`, a Guard used only to record): two workstations
amending one entry, or a patient's MRN arriving from a second workstation under another
name or birth date, is recorded in bundle_conflict (bundle "push:<workstation>") and the
receiving row is kept, never a silent last writer. See _Merge.versions.

Merges into the hub run concurrently (no global lock): rows a natural key names (patient by
MRN, category by slug, patient_month by patient and month) go in with INSERT ... ON
CONFLICT DO NOTHING and are selected again, so a workstation that lost the race maps to the
winner's row; rows go in key order, so two merges wait on each other's keys in one order.

Month approvals travel by id and never change once written. An approval's audit_seq is the
number of its event in the approving workstation's own chain (the hub numbers events its
own way), so on the hub "reopened by a later entry change" is read as on a workstation for
versions imported from elsewhere (services/month/approvals._elsewhere): a current version
for the patient-month created after the approval's approved_at.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Table, select, text
from sqlalchemy.dialects import postgresql, sqlite

# The rows and their JSON form live in record_rows.py; callers use them through here too.
from ccm_timer.store.record_rows import (  # noqa: F401
    MERGED,
    PUSHED,
    RECORD,
    RECORDS_FORMAT,
    Rows,
    _select_in,
    collect_all,
    collect_month,
    document_ids,
    document_sizes,
    documents,
    encode,
    entry_versions,
    from_json,
    table,
    to_json,
)

if TYPE_CHECKING:
    from ccm_timer.store.merge_guard import Guard

_FLAGS = ("complex_mdm", "care_plan_revised", "interactive_contact")
_encode = encode  # the name merge_guard.py and older callers use


# --- merging -----------------------------------------------------------------------------


# The connected role's clinic's rows, on a hub several clinics share (revision 0004). Row-
# level security already keeps a workstation's role, and an owner's connection from
# hub.open_engine (which takes on a clinic's role, revision 0005), to one clinic; this
# keeps an engine on the owner's URL made any other way from mixing clinics' MRNs.
OWN_CLINIC = "org_id = ccm_hub_org()"


def has_clinics(conn: Connection) -> bool:
    """A hub whose rows carry their clinic (OWN_CLINIC applies); not a workstation's SQLite
    nor a hub before revision 0004."""
    return conn.dialect.name == "postgresql" and conn.execute(
        text("SELECT to_regproc('ccm_hub_org')")).scalar() is not None


def _by(rows: list[dict], key: str) -> dict[Any, dict]:
    return {r[key]: r for r in rows}


def insert_new(conn: Connection, tbl: Table) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING, on PostgreSQL (the hub) and SQLite (a bundle)."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(tbl).on_conflict_do_nothing()


def _diff(old: dict, new: dict, skip: Iterable[str] = ()) -> dict[str, Any]:
    skipped = set(skip)
    return {k: v for k, v in new.items() if k not in skipped and old.get(k) != v}


class _Merge:
    def __init__(self, conn: Connection, keep_audit: bool, guard: Guard | None = None,
                 pusher: Guard | None = None) -> None:
        self.conn = conn
        self.keep_audit = keep_audit
        self.guard = guard
        self.pusher = pusher  # a push's workstation: only its conflicts are noted on it
        self.amended: set[str] = set()  # entries (origin ids) the pusher's own events wrote
        self.changed: dict[str, int] = {}
        self.patient_map: dict[uuid.UUID, uuid.UUID] = {}
        self.category_map: dict[uuid.UUID, uuid.UUID] = {}
        self.orgs: bool | None = None  # a hub with clinics (org_id), once asked

    def _count(self, name: str, n: int) -> None:
        if n:
            self.changed[name] = self.changed.get(name, 0) + n

    def _insert(self, name: str, rows: list[dict]) -> None:
        if rows:  # a concurrent merge may have put the same row in since it was looked for
            self.conn.execute(insert_new(self.conn, table(name)), rows)
            self._count(name, len(rows))

    def _update(self, name: str, key: Any, values: dict) -> None:
        if values:
            tbl = table(name)
            self.conn.execute(tbl.update().where(tbl.c.id == key).values(**values))
            self._count(name, 1)

    def by_id(self, name: str, incoming: list[dict], frozen: bool = False) -> dict[Any, dict]:
        """Insert rows missing by id; update changed ones unless `frozen` (a bundle's
        differing row is still the guard's to judge: a conflict, or a later state)."""
        existing = _by(_select_in(self.conn, table(name), "id", [r["id"] for r in incoming]),
                       "id")
        self._insert(name, [r for r in incoming if r["id"] not in existing])
        if frozen and self.guard is None:
            return existing
        for row in incoming:
            if row["id"] in existing:
                changes = _diff(existing[row["id"]], row, ("id",))
                if self.guard is not None:  # only what a later state adds
                    changes = self.guard.changed(name, existing[row["id"]], changes)
                if not frozen:
                    self._update(name, row["id"], changes)
        return existing

    def natural(self, name: str, incoming: list[dict], key: str) -> dict[uuid.UUID, uuid.UUID]:
        """Map incoming ids to the receiving rows with the same natural key; insert the rest
        (ON CONFLICT DO NOTHING: a concurrent merge may win a key, and is then mapped to)."""
        tbl = table(name)
        by_id = _by(_select_in(self.conn, tbl, "id", [r["id"] for r in incoming]), "id")
        by_key = _by(self._keyed(tbl, key, [r[key] for r in incoming]), key)
        mapping: dict[uuid.UUID, uuid.UUID] = {}
        fresh = []
        for row in sorted(incoming, key=lambda r: r[key]):
            if row["id"] in by_id:
                mapping[row["id"]] = row["id"]
                if name == "patient" and self.guard is not None:
                    self.guard.patient(by_id[row["id"]], row)
                elif name == "patient":  # only the workstation that made this row edits it
                    self._update(name, row["id"],
                                 _diff(by_id[row["id"]], row, ("id", key)))
            elif row[key] in by_key:
                self._another(name, by_key[row[key]], row, mapping)
            else:
                by_key[row[key]] = row
                fresh.append(row)
        if fresh:
            self.conn.execute(insert_new(self.conn, tbl), fresh)
            won = _by(self._keyed(tbl, key, [r[key] for r in fresh]), key)
            for row in fresh:
                if won[row[key]]["id"] == row["id"]:
                    mapping[row["id"]] = row["id"]
                    self._count(name, 1)
                else:
                    self._another(name, won[row[key]], row, mapping)
        return mapping

    def _keyed(self, tbl: Table, key: str, values: list) -> list[dict]:
        """The rows with these natural keys, of the merging role's clinic (OWN_CLINIC)."""
        if self.orgs is None:
            self.orgs = has_clinics(self.conn)
        if not self.orgs:
            return _select_in(self.conn, tbl, key, values)
        wanted, own = sorted(set(values), key=str), text(OWN_CLINIC)
        return [dict(r) for i in range(0, len(wanted), 500) for r in self.conn.execute(
            select(tbl).where(tbl.c[key].in_(wanted[i:i + 500]), own)).mappings()]

    def _another(self, name: str, here: dict, row: dict, mapping: dict) -> None:
        """`row` has the natural key of another row here: it maps to that row, and a
        patient under another name or birth date is a conflict for a person (bundle or
        push), the row here kept."""
        mapping[row["id"]] = here["id"]
        if name != "patient":
            return
        if self.guard is not None:
            self.guard.patient(here, row)
        elif self.pusher is not None:
            from ccm_timer.store.merge_guard import _PERSON, _fields

            person = {k: row[k] for k in _PERSON if here.get(k) != row.get(k)}
            if person:
                self.pusher.note(
                    "renamed", "patient", here["id"], f"patient {here['mrn']} is "
                    f"{here['family_name']}, {here['given_name']} on the hub; "
                    f"{self.pusher.sender} has {_fields(person)}; kept the hub's name", row)

    def of_patients(self, incoming: list[dict]) -> list[dict]:
        """Rows pointing at a patient, as copies pointing at this database's row for the
        patient's MRN (an enrollment, a condition, a care-plan item, a review, a scan)."""
        return [{**r, "patient_id": self.patient_map.get(r["patient_id"], r["patient_id"])}
                for r in incoming]

    def patient_months(self, incoming: list[dict]) -> None:
        tbl = table("patient_month")
        rows = sorted(self.of_patients(incoming), key=lambda r: (str(r["patient_id"]),
                                                                  r["month"]))
        existing = _select_in(self.conn, tbl, "patient_id", [r["patient_id"] for r in rows])
        keys = {(r["patient_id"], r["month"]) for r in existing}
        fresh = [r for r in rows if (r["patient_id"], r["month"]) not in keys]
        if fresh:  # ON CONFLICT DO NOTHING: a concurrent merge may add the same month
            self.conn.execute(insert_new(self.conn, tbl),
                              list({(r["patient_id"], r["month"]): r for r in fresh}.values()))
            existing = _select_in(self.conn, tbl, "patient_id", [r["patient_id"] for r in rows])
        by_key = {(r["patient_id"], r["month"]): r for r in existing}
        for row in rows:
            old = by_key[(row["patient_id"], row["month"])]
            if old["id"] == row["id"] and (row["patient_id"], row["month"]) not in keys:
                self._count("patient_month", 1)
                continue
            # Flags are facts someone recorded: any workstation's "yes" stands.
            raised = {f: True for f in _FLAGS if row[f] and not old[f]}
            if raised:
                self.conn.execute(tbl.update().where(tbl.c.id == old["id"]).values(**raised))
                old.update(raised)
                self._count("patient_month", 1)

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
        refused, kept = self.versions(rows, existing)
        # 1. Versions: new ones go in as current (marked superseded in step 3, once their
        #    intervals are in); current ones take the incoming values.
        self._insert("time_entry", [{**r, "superseded_at": None} for r in rows
                                    if r["id"] not in existing and r["id"] not in refused])
        for row in rows:
            old = existing.get(row["id"])
            if old is not None and old["superseded_at"] is None and row["id"] not in kept:
                self._update("time_entry", row["id"], _diff(old, row, ("id", "superseded_at")))
        # 2. Intervals of versions that are still current on the receiving side.
        frozen = {k for k, v in existing.items() if v["superseded_at"] is not None}
        old_spans = _by(_select_in(self.conn, table("interval"), "id",
                                   [r["id"] for r in intervals]), "id")
        self._insert("interval", [r for r in intervals
                                  if r["id"] not in old_spans and r["entry_id"] not in refused])
        for row in intervals:
            old = old_spans.get(row["id"])
            if old is not None and old["entry_id"] not in frozen:
                self._update("interval", row["id"], _diff(old, row, ("id", "entry_id")))
        # 3. Supersession, last (never of a version kept current by a refused successor).
        for row in rows:
            old = existing.get(row["id"])
            if row["id"] in refused or row["id"] in kept:
                continue
            if row["superseded_at"] is not None and (old is None or old["superseded_at"] is None):
                self._update("time_entry", row["id"], {"superseded_at": row["superseded_at"]})

    def versions(self, rows: list[dict], existing: dict) -> tuple[set, set]:
        """A push's new versions the receiver keeps out, each a conflict: a second successor
        of a version that already has one here ("diverged"), or an amendment of an entry
        whose lineage another workstation made ("superseded": two workstations amending one
        entry). A version keeps its lineage's workstation, so the pusher's amendment is told
        from a version it only relays (imported from a bundle, no event of its own) by an
        entry event of the pusher's chain in the push (`amended`). Their later versions are
        kept out with them. Returns (refused, the versions they would have superseded)."""
        if self.pusher is None:
            return set(), set()
        te = table("time_entry")
        fresh = sorted((r for r in rows if r["id"] not in existing and r["supersedes_id"]),
                       key=lambda r: (r["version"], str(r["id"])))
        before = [r["supersedes_id"] for r in fresh]
        here = _by(_select_in(self.conn, te, "id", before), "id")
        after = {r["supersedes_id"]: r["id"] for r in _select_in(self.conn, te, "supersedes_id",
                                                                  before)}
        sender, refused, kept = self.pusher.sender, set(), set()
        for row in fresh:
            prev, note = row["supersedes_id"], self.pusher.note
            if prev in refused:
                pass
            elif after.get(prev) not in (None, row["id"]):
                note("diverged", "time_entry", prev, f"entry version {prev} already has "
                     f"another successor on the hub; {sender}'s {row['id']} was not added", row)
            elif row["workstation"] != sender and str(row["origin_id"]) in self.amended:
                note("superseded", "time_entry", prev, f"{sender} amends entry version {prev}, "
                     f"made on {row['workstation']} (v{row['version']}, "
                     f"{row['change_reason'] or 'no reason given'}"
                     f"{', voided' if row['voided'] else ''}); kept the hub's version", row)
            else:
                continue
            refused.add(row["id"])
            if prev in here or prev in existing:
                kept.add(prev)
        return refused, kept - refused

    def audit(self, incoming: list[dict]) -> None:
        # Each workstation's chain keeps its hashes; the receiver numbers rows its own way
        # (see hub.verify_chains for checking them there).
        tbl = table("audit_event")
        existing = {r["id"] for r in _select_in(self.conn, tbl, "id", [r["id"] for r in incoming])}
        fresh = [{k: v for k, v in r.items() if k != "seq"}
                 for r in sorted(incoming, key=lambda r: r["seq"] or 0) if r["id"] not in existing]
        self._insert("audit_event", fresh)


def merge(conn: Connection, rows: Rows, *, keep_audit: bool,
          guard: Guard | None = None, pusher: Guard | None = None) -> dict[str, int]:
    """Bring `rows` into the database behind `conn` (inside the caller's transaction).

    Returns the number of rows inserted or changed per table: all zero when the receiving
    side already had everything. `keep_audit` False (a workstation's own database) leaves
    its audit chain alone; the caller records one event for the whole import instead.
    With a `guard` (rows from a bundle), nothing here is rewritten or hidden: see
    merge_guard.py. With a `pusher` (a push into the hub), its conflicts are recorded too.
    """
    m = _Merge(conn, keep_audit, guard, pusher)
    if pusher is not None:
        m.amended = {r["entity_id"] for r in rows.get("audit_event", [])
                     if r["workstation"] == pusher.sender and r["entity"] == "time_entry"}
    if guard is not None:
        guard.start(conn)
    # Duties (billing office, administrator) are granted on each workstation, as its
    # credentials are kept there: neither a bundle nor the hub grants or takes one away.
    m.by_id("clinician", [{k: v for k, v in r.items() if k != "duties"}
                          for r in rows.get("clinician", [])])
    m.category_map = m.natural("category", rows.get("category", []), "slug")
    m.patient_map = m.natural("patient", rows.get("patient", []), "mrn")
    # A scan never changes once stored; the rest of the record may reach a later state.
    m.by_id("consent_document", m.of_patients(rows.get("consent_document", [])), frozen=True)
    for name in ("enrollment", *RECORD):
        m.by_id(name, m.of_patients(rows.get(name, [])))
    m.patient_months(rows.get("patient_month", []))
    # An approval is never changed once written; only its patient is the hub's by MRN. It
    # travels with a workstation's own pushes, never in a bundle: a sender must not close a
    # month here (a guarded merge leaves any it carries out).
    if guard is None:
        m.by_id("month_approval", m.of_patients(rows.get("month_approval", [])), frozen=True)
    if guard is not None:
        guard.entries(m, rows.get("time_entry", []), rows.get("interval", []))
    else:
        m.entries(rows.get("time_entry", []), rows.get("interval", []))
    if keep_audit:
        m.audit(rows.get("audit_event", []))
    m.by_id("export", rows.get("export", []), frozen=True)
    for noter in (guard, pusher):
        if noter is not None:
            noter.record(conn)
    return m.changed

