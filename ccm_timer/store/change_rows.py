"""What an incremental push carries: the rows the change log (store/local_tables.sync_change)
names after a hub target's cursor, the rows they point at, and the audit events after its
audit cursor. Read in one local snapshot, with the log's and the chain's heads of that
snapshot, so the cursor can move to exactly what was read (services/delivery/hub_push.py).

The rows pointed at travel because the merge needs them, not because they changed: a
patient and a category map to the hub's row by MRN and slug (merge.py), so an entry cannot
go without them; a clinician, an earlier version, an interval's entry are foreign keys the
hub checks. They are followed through every foreign key until nothing new is named, which
stays small (a patient's clinicians, an entry's earlier versions). Scanned consents go apart
(hub_push sends only the ones the hub lacks), so they are returned by id.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, select, text

from ccm_timer.store.local_tables import sync_change
from ccm_timer.store.record_rows import PUSHED, Rows, _select_in, table

_SCANS = "consent_document"


@dataclass(frozen=True)
class Changes:
    rows: Rows
    scans: list[uuid.UUID]  # consent documents named or pointed at (sent apart)
    change_seq: int  # the change log's head in the snapshot read
    audit_seq: int  # the audit chain's head in the snapshot read
    chain: str | None  # the hash of the chain's first event (which chain it is); None: empty


def heads(conn: Connection) -> tuple[int, int]:
    """(the change log's head, the audit chain's head): nothing to push when both are where
    a target's cursor is."""
    ev = table("audit_event")
    log = conn.execute(select(func.max(sync_change.c.seq))).scalar()
    if log is None:  # every row dropped: the last seq given out (AUTOINCREMENT keeps it)
        log = conn.execute(text(
            "SELECT seq FROM sqlite_sequence WHERE name = 'sync_change'")).scalar()
    return int(log or 0), int(conn.execute(select(func.max(ev.c.seq))).scalar() or 0)


def _named(conn: Connection, after: int) -> tuple[dict[str, set[uuid.UUID]], int]:
    named: dict[str, set[uuid.UUID]] = {}
    top = after
    for seq, tbl, row_id in conn.execute(
            select(sync_change.c.seq, sync_change.c.tbl, sync_change.c.row_id)
            .where(sync_change.c.seq > after)):
        named.setdefault(tbl, set()).add(uuid.UUID(hex=row_id))
        top = max(top, seq)
    return named, top


def _follow(conn: Connection, named: dict[str, set[uuid.UUID]]) -> dict[str, dict[Any, dict]]:
    """The named rows and, through every foreign key, the rows they point at."""
    got: dict[str, dict[Any, dict]] = {}
    wanted = {name: set(ids) for name, ids in named.items()}
    while any(wanted.values()):
        pointed: dict[str, set[uuid.UUID]] = {}
        for name, ids in wanted.items():
            if not ids or name == _SCANS:
                got.setdefault(name, {}).update({i: {} for i in ids})
                continue
            found = _select_in(conn, table(name), "id", ids)
            got.setdefault(name, {}).update({r["id"]: r for r in found})
            for fk in table(name).foreign_keys:
                target = fk.column.table.name
                pointed.setdefault(target, set()).update(
                    r[fk.parent.name] for r in found if r[fk.parent.name] is not None)
        wanted = {name: ids - got.get(name, {}).keys() for name, ids in pointed.items()}
    return got


def since(conn: Connection, change_seq: int, audit_seq: int) -> Changes:
    """The rows changed after `change_seq`, what they point at, and the audit events from
    `audit_seq` on: the event at `audit_seq` itself too, so the hub can check that the chain
    still holds the head it recorded (chain_heads.hold)."""
    named, top = _named(conn, change_seq)
    got = _follow(conn, named)
    ev = table("audit_event")
    events = [dict(r) for r in conn.execute(
        select(ev).where(ev.c.seq >= audit_seq).order_by(ev.c.seq)).mappings()]
    first = conn.execute(select(ev.c.hash).order_by(ev.c.seq).limit(1)).scalar()
    rows: Rows = {}
    for name in PUSHED:
        if name in (_SCANS, "audit_event"):
            continue
        rows[name] = sorted(got.get(name, {}).values(), key=lambda r: str(r["id"]))
    rows["time_entry"].sort(key=lambda r: (r["version"], str(r["id"])))
    rows["audit_event"] = events
    scans = sorted(got.get(_SCANS, {}), key=str)
    head = events[-1]["seq"] if events else audit_seq
    return Changes(rows, scans, top, max(head, audit_seq), first)


def current_entries(conn: Connection, workstation: str) -> tuple[int, int]:
    """(versions, superseded versions) of `workstation`'s entries: what the hub should hold
    of them, compared once per push instead of sending the history again."""
    te = table("time_entry")
    return tuple(int(v or 0) for v in conn.execute(  # type: ignore[return-value]
        select(func.count(), func.count(te.c.superseded_at))
        .where(te.c.workstation == workstation)).one())


def held_here(conn: Connection, workstation: str) -> dict[str, int]:
    """Entries (lineages) of other workstations the change log names, by workstation: taken
    here from a bundle and not on the hub yet (a push that leaves them out notes them
    again; a pull's rows are never noted). Cheap, for the tray's sync line."""
    te = table("time_entry")
    ids = [uuid.UUID(hex=r) for (r,) in conn.execute(
        select(sync_change.c.row_id).where(sync_change.c.tbl == "time_entry"))]
    counts: dict[str, int] = {}
    for ws, _origin in {(r["workstation"], r["origin_id"]) for r in _select_in(conn, te, "id", ids)
                        if r["workstation"] != workstation}:
        counts[ws] = counts.get(ws, 0) + 1
    return counts
