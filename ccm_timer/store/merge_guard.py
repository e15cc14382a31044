"""Merging rows from a bundle: only ever add, never rewrite or hide a row already here.

A bundle is signed by a trusted workstation, but trust is not a licence to change what this
database holds: a compromised or buggy sender must not be able to lengthen a local entry,
hide it, rename a patient or start a timer for someone here. So a bundle's rows are added
when they are new, and everything else becomes a conflict, recorded (bundle_conflict) for a
person to look at, with the local row left exactly as it was:

- "changed": a row with a UUID already here whose content differs (an entry, an interval,
  a clinician, a patient's other fields; an enrollment and the clinical record: below);
- "renamed": a patient with an MRN (or UUID) already here under another name or birth date;
- "superseded": a new version of an entry that was not made by the sending workstation
  (only the workstation that made an entry amends it); "diverged": a second, different
  successor of a version that already has one here;
- "hidden": a version marked superseded with no successor to show for it;
- "added time": an interval for an entry already here;
- "live timer": a running or paused entry for a clinician of this database. Live entries of
  other clinicians are not merged either (they come, stopped, with a later bundle).

A version's later state arrives as a new version, never as an edit of an old one, so a
trusted sender's genuine bundles raise no conflict: their entries are new here, or equal.

A pull from the clinic hub (`PullGuard`, at the end) is judged the same way, with one
difference: the hub speaks for every other workstation, so a version of an entry made on
another workstation is taken as the hub holds it (a timer stopped there, a new version).

The clinical record is different: its rows are changed in place, but only forward, each
column of a later state going once from empty to a value (see _LATER). So a row of it that
differs from the one here with the same UUID is judged column by column:

- a later state recorded elsewhere is taken: a condition removed (when, by whom, why), a
  care-plan item ended, a consent completed (how, by whom, a disclosure, the scan) or
  withdrawn (its date, the reason, the enrolment's end). Each adds a fact someone
  recorded; none can make up time, and a sender could add a whole new enrolment anyway;
- an earlier state is nothing to do: the local row already went further (a bundle made
  before the removal, carried after it), so it is kept as it is, without a conflict;
- anything else is "changed", a conflict, and the local row is kept whole: a rewritten
  code, description, since-date or author of a condition, the text or kind of a care-plan
  item, any field of a review (a review is never edited), a scanned consent's bytes or
  hash (a scan never changes), a consent's date or method once recorded, a removal or
  withdrawal recorded here with other details, or any row moved to another patient.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from ccm_timer.store import merge as records
from ccm_timer.store.models import EntryState
from ccm_timer.store.types import new_id

_DERIVED = ("id", "superseded_at", "span_start", "span_end", "span_seconds")
_PERSON = ("family_name", "given_name", "birth_date")
# Per table, the columns that go once from empty to a value as the row reaches a later state.
_LATER = {
    "patient_condition": ("removed_at", "removed_by", "removal_reason"),
    "care_plan_item": ("ended_at", "ended_by", "end_reason"),
    "enrollment": ("consent_date", "consent_method", "consent_by", "consent_by_id",
                   "disclosed_cost_sharing", "disclosed_one_practitioner",
                   "disclosed_right_to_stop", "consent_document_id", "start_date",
                   "end_date", "withdrawn_on", "withdrawal_reason"),
}


def _empty(value: Any) -> bool:
    return value is None or value is False  # a disclosure not recorded is False


@dataclass(frozen=True)
class Conflict:
    kind: str
    entity: str
    entity_id: str
    summary: str
    incoming: dict[str, Any]
    id: str = ""  # the bundle_conflict row, once recorded


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 60 else text[:60] + "…"


def _kept(value: Any) -> Any:
    """A value as a conflict keeps it: a scan's bytes by their size and hash, not whole."""
    if isinstance(value, bytes):
        return {"bytes": len(value), "sha256": hashlib.sha256(value).hexdigest()}
    return records.encode(value)


def _fields(changes: dict[str, Any]) -> str:
    return ", ".join(f"{k} {_short(_kept(v))!r}" for k, v in sorted(changes.items()))


@dataclass
class Guard:
    sender: str  # the trusted name of the workstation that signed the bundle
    bundle: str
    now: datetime
    conflicts: list[Conflict] = field(default_factory=list)
    skipped_live: int = 0  # other clinicians' running timers, left for a later bundle
    local_clinicians: set[uuid.UUID] = field(default_factory=set)
    fresh: list[Conflict] = field(default_factory=list)  # recorded by this import

    def start(self, conn: Connection) -> None:
        """Note what is here before the merge adds anything."""
        tbl = records.table("clinician")
        self.local_clinicians = {r[0] for r in conn.execute(select(tbl.c.id))}

    def note(self, kind: str, entity: str, entity_id: Any, summary: str,
             incoming: dict[str, Any]) -> None:
        self.conflicts.append(Conflict(kind, entity, str(entity_id), summary,
                                       {k: _kept(v) for k, v in incoming.items()}))

    # --- rows keyed by UUID, and patients ---------------------------------------------

    def changed(self, name: str, old: dict[str, Any],
                changes: dict[str, Any]) -> dict[str, Any]:
        """What of `changes` (a bundle's row against the local one) to write here: the
        columns of a later state (_LATER); nothing, with a conflict, when anything else
        differs."""
        later = _LATER.get(name, ())
        fills = {k: v for k, v in changes.items()
                 if k in later and _empty(old.get(k)) and not _empty(v)}
        earlier = {k for k, v in changes.items()
                   if k in later and _empty(v) and not _empty(old.get(k))}
        rewritten = {k: v for k, v in changes.items() if k not in fills and k not in earlier}
        if name == "time_entry" and self.may_grow(old) and "workstation" not in changes:
            return changes
        if rewritten:
            self.note("changed", name, old["id"], f"{name} {old['id']}: the bundle has "
                      f"{_fields(rewritten)}; kept the local row", {"id": old["id"], **changes})
            return {}
        return fills

    def patient(self, old: dict[str, Any], row: dict[str, Any]) -> None:
        person = {k: row[k] for k in _PERSON if old.get(k) != row.get(k)}
        if person:
            self.note("renamed", "patient", old["id"], f"patient {old['mrn']} is "
                      f"{old['family_name']}, {old['given_name']} here; the bundle has "
                      f"{_fields(person)}; kept the local name", row)
        elif old["id"] == row["id"]:
            skip = ("id", "mrn", *_PERSON)
            self.changed("patient", old, {k: v for k, v in row.items()
                                          if k not in skip and old.get(k) != v})

    # --- entry versions and their intervals -------------------------------------------

    def entries(self, m: Any, incoming: list[dict[str, Any]],
                intervals: list[dict[str, Any]]) -> None:
        conn: Connection = m.conn
        rows = m.remapped(incoming)
        te = records.table("time_entry")
        here = records._by(records._select_in(conn, te, "id", [r["id"] for r in rows] + [
            r["supersedes_id"] for r in rows if r["supersedes_id"]]), "id")  # and their targets
        successors = {r["supersedes_id"]: r["id"] for r in records._select_in(
            conn, te, "supersedes_id", [r["id"] for r in rows] + [
                r["supersedes_id"] for r in rows if r["supersedes_id"]])}
        for row in rows:
            old = here.get(row["id"])
            if old is not None:
                m._update("time_entry", row["id"],
                          self.changed("time_entry", old, records._diff(old, row, _DERIVED)))
        added = self._new_versions([r for r in rows if r["id"] not in here], here, successors)
        m._insert("time_entry", [{**r, "superseded_at": None} for r in added])
        self._intervals(m, intervals, here, {r["id"] for r in added},
                        {r["id"] for r in rows if r["id"] not in here} - {r["id"] for r in added})
        self._supersede(m, rows, here, successors, {r["id"]: r for r in added})

    def _new_versions(self, fresh: list[dict[str, Any]], here: dict[Any, dict[str, Any]],
                      successors: dict[Any, Any]) -> list[dict[str, Any]]:
        added: list[dict[str, Any]] = []
        refused: set[Any] = set()
        for row in sorted(fresh, key=lambda r: (r["version"], str(r["id"]))):
            before = row["supersedes_id"]
            if self.is_live(row):
                if row["clinician_id"] in self.local_clinicians:
                    self.note("live timer", "time_entry", row["id"], f"a {row['state'].value} "
                              f"timer started {_short(records.encode(row['created_at']))} "
                              "for a clinician of this workstation; not started here", row)
                else:
                    self.skipped_live += 1
                refused.add(row["id"])
            elif before in refused:
                refused.add(row["id"])  # after a version that was refused
            elif before in here and successors.get(before) not in (None, row["id"]):
                self.note("diverged", "time_entry", before, f"entry version {before} already "
                          f"has another successor here; the bundle's {row['id']} was not "
                          "added", row)
                refused.add(row["id"])
            elif before in here and not self.may_amend(here[before], row):
                self.note("superseded", "time_entry", before, f"the bundle amends entry "
                          f"version {before}, made on {here[before]['workstation']}, not by "
                          f"{self.sender} (v{row['version']}, {_short(row['change_reason'])}"
                          f"{', voided' if row['voided'] else ''}); kept the local version",
                          row)
                refused.add(row["id"])
            else:
                added.append(row)
        return added

    def _intervals(self, m: Any, intervals: list[dict[str, Any]],
                   here: dict[Any, dict[str, Any]], added: set[Any], refused: set[Any]) -> None:
        iv = records.table("interval")
        old_spans = records._by(records._select_in(m.conn, iv, "id",
                                                   [r["id"] for r in intervals]), "id")
        fresh = []
        for row in intervals:
            old = old_spans.get(row["id"])
            if old is not None:
                changes = records._diff(old, row, ("id",))
                if changes and old["entry_id"] in here and self.may_grow(here[old["entry_id"]]) \
                        and "entry_id" not in changes:
                    m._update("interval", row["id"], changes)
                else:
                    self.changed("interval", old, changes)
            elif row["entry_id"] in added:
                fresh.append(row)
            elif row["entry_id"] in here and self.may_grow(here[row["entry_id"]]):
                fresh.append(row)
            elif row["entry_id"] in here:
                self.note("added time", "interval", row["entry_id"], f"the bundle adds an "
                          f"interval to entry version {row['entry_id']}, which is already "
                          "here; not added", row)
            elif row["entry_id"] not in refused:
                fresh.append(row)  # pointing nowhere: the foreign key refuses the bundle
        m._insert("interval", fresh)

    def _supersede(self, m: Any, rows: list[dict[str, Any]], here: dict[Any, dict[str, Any]],
                   successors: dict[Any, Any], added: dict[Any, dict[str, Any]]) -> None:
        new_successor = {r["supersedes_id"] for r in added.values() if r["supersedes_id"]}
        for row in rows:
            stamp = row["superseded_at"]
            if stamp is None:
                continue
            if row["id"] in added:
                if row["id"] in new_successor:
                    m._update("time_entry", row["id"], {"superseded_at": stamp})
            elif row["id"] in here and here[row["id"]]["superseded_at"] is None:
                if row["id"] in new_successor:
                    m._update("time_entry", row["id"], {"superseded_at": stamp})
                elif row["id"] not in successors:
                    self.note("hidden", "time_entry", row["id"], f"the bundle marks entry "
                              f"version {row['id']} superseded with no version after it; kept "
                              "it current", row)

    # --- who may change an entry -----------------------------------------------------

    def is_live(self, row: dict[str, Any]) -> bool:
        """Whether the incoming version is a live timer, never merged: any running or
        paused one from a bundle."""
        return bool(row["state"] is not EntryState.STOPPED)

    def may_amend(self, before: dict[str, Any], row: dict[str, Any]) -> bool:
        """Whether `row`, a new version, may supersede `before`: only the workstation that
        made an entry amends it, and a bundle speaks for its sender alone."""
        return bool(before["workstation"] == self.sender)

    def may_grow(self, old: dict[str, Any]) -> bool:
        """Whether the version `old`, already here, may take the incoming state of itself
        (its fields, its intervals): never from a bundle, whose later states come as new
        versions."""
        return False

    # --- recording ----------------------------------------------------------------------

    def record(self, conn: Connection) -> None:
        """Write each conflict once (a bundle imported twice raises it once); `conflicts`
        then carry their row ids, and `fresh` the ones written now."""
        tbl = records.table("bundle_conflict")
        known = {(r.kind, r.entity, r.entity_id): str(r.id) for r in conn.execute(
            select(tbl).where(tbl.c.bundle == self.bundle))}
        done: list[Conflict] = []
        for c in self.conflicts:
            key = (c.kind, c.entity, c.entity_id)
            if key not in known:
                row_id = new_id()
                known[key] = str(row_id)
                conn.execute(tbl.insert().values(
                    id=row_id, recorded_at=self.now, bundle=self.bundle, sender=self.sender,
                    kind=c.kind, entity=c.entity, entity_id=c.entity_id, summary=c.summary,
                    incoming=json.dumps(c.incoming, sort_keys=True, ensure_ascii=False)))
                self.fresh.append(replace(c, id=known[key]))
            done.append(replace(c, id=known[key]))
        self.conflicts = list({c.id: c for c in done}.values())


@dataclass
class PullGuard(Guard):
    """Rows pulled from the clinic hub (services/delivery/hub_pull.py): the hub speaks for
    every other workstation, so an entry's version is accepted as the hub holds it when it
    comes from the workstation that made it, which is not this one: its later state (a
    stop, a note) and its new versions. Everything else is judged as for a bundle: what
    would rewrite or hide a row made here, a patient here under another name, or a live
    timer, is a recorded conflict (the pull itself never brings live entries)."""

    local: str = ""  # this workstation's name: its own rows are never taken from the hub

    def is_live(self, row: dict[str, Any]) -> bool:
        # A version superseded while it ran (a live timer voided there) is history.
        return super().is_live(row) and row["superseded_at"] is None

    def may_amend(self, before: dict[str, Any], row: dict[str, Any]) -> bool:
        return bool(before["workstation"] == row["workstation"] != self.local)

    def may_grow(self, old: dict[str, Any]) -> bool:
        return bool(old["workstation"] != self.local and old["superseded_at"] is None)
