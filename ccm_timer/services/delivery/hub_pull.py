"""Pull-back: this workstation takes the other workstations' records from the clinic hub, so
a patient's minutes add up here as Medicare counts them (every clinician, every machine).

A pull reads the hub's change log (`hub_change`, hub revision 0003) in one read-only
snapshot, then merges what other workstations changed into the local database in one write
transaction, through store/merge.py with a `PullGuard` (store/merge_guard.py): only ever
adding, a row made here never rewritten, a conflict recorded instead. A pull killed at any
point leaves the local database as it was (the hub is only read; SQLite's transaction
rolls back), and pulling again changes nothing.

What is not taken:
- this workstation's own entries (the hub holds what it pushed);
- running and paused entries: they are shown (`hub_live_timer`, replaced whole each pull)
  and travel, stopped, with a later pull;
- audit events: each workstation keeps its own chain (the hub verifies them all);
- month approvals: an approval's `audit_seq` is its own workstation's chain position, so
  here it would reopen or close the month against the wrong chain; they stay on the hub;
- exports: rendered files of another workstation (PHI, and a `chain_head` of its chain),
  nothing a total here stands on; they stay on the hub.

The cursor (`hub_cursor.pulled_seq`) is a transaction id, not a sequence number: merges from
several workstations run at once, so a note may commit after one with a higher `seq`, and a
sequence cursor would skip it for good. A pull keeps the oldest transaction still running
when its snapshot was taken (`pg_snapshot_xmin`); every note of an older transaction was
visible to it, and the next pull reads the notes of that transaction and later ones (a few
again, which changes nothing). Notes older than 60 days are pruned (hub revision 0005); a
workstation whose cursor is older than the last prune reads its clinic's rows whole.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError

from ccm_timer.errors import UserError, sentence
from ccm_timer.services.context import AppContext
from ccm_timer.services.delivery import hub, outbox_status, targets
from ccm_timer.services.security import audit
from ccm_timer.services.timing import entry_import_rollup
from ccm_timer.store import merge as records
from ccm_timer.store.hub_migrations.tables import hub_change, hub_change_pruned
from ccm_timer.store.local_tables import hub_cursor, hub_live_timer, sync_change
from ccm_timer.store.merge_guard import Conflict, PullGuard
from ccm_timer.store.models import EntryState
from ccm_timer.store.record_rows import _CHUNK

ACTOR = "ccm-timer hub pull"
PAGE = 5_000  # change notes per query
# What a pull takes, in merge order (see the module docstring for what it leaves).
PULLED = ("clinician", "category", "patient", "consent_document", "enrollment",
          *records.RECORD, "patient_month", "time_entry", "interval")
LIVE = (EntryState.RUNNING, EntryState.PAUSED)

Step = Callable[[str], None]


@dataclass(frozen=True)
class PullReport:
    target: str
    entries: int  # entries taken (new versions of other workstations' entries)
    workstations: tuple[str, ...]  # where they were made
    changed: dict[str, int] = field(default_factory=dict)
    conflicts: list[Conflict] = field(default_factory=list)  # this pull's, new or known
    live: int = 0  # other workstations' running or paused timers now shown
    at: datetime | None = None

    def sentence(self, ctx: AppContext) -> str:
        when = outbox_status.clock_text(ctx, self.at) if self.at else "now"
        if self.entries:
            n = len(self.workstations)
            took = (f"Took {self.entries} {'entry' if self.entries == 1 else 'entries'} from "
                    f"{n} other workstation{'' if n == 1 else 's'}")
        else:
            took = "Nothing new from the other workstations"
        text_ = f"{took}; the clinic's totals are as of {when}."
        if self.conflicts:
            text_ += (f" {len(self.conflicts)} conflicting "
                      f"{'row was' if len(self.conflicts) == 1 else 'rows were'} kept as "
                      "they are here and recorded for the billing office "
                      "(`ccm-timer conflicts list`).")
        return text_

    def to_dict(self) -> dict[str, Any]:
        return {"target": self.target, "entries": self.entries,
                "workstations": list(self.workstations), "changed": self.changed,
                "live_timers": self.live, "at": self.at,
                "conflicts": [{"id": c.id, "kind": c.kind, "entity": c.entity,
                               "entity_id": c.entity_id, "summary": c.summary}
                              for c in self.conflicts]}


@dataclass
class _Read:
    horizon: int
    rows: records.Rows
    live: list[dict[str, Any]]


def _plain(exc: Exception) -> str:
    said = hub._plain(exc)
    return "the clinic hub refused the pull" if said.endswith("the push") else said


# --- reading the hub ---------------------------------------------------------------------


def _changed_ids(conn: Connection, since: int, me: str) -> dict[str, set[uuid.UUID]]:
    ids: dict[str, set[uuid.UUID]] = {name: set() for name in PULLED}
    last = 0
    while True:
        page = conn.execute(
            select(hub_change.c.seq, hub_change.c.tbl, hub_change.c.row_id)
            .where(hub_change.c.txid >= since, hub_change.c.seq > last,
                   hub_change.c.tbl.in_(PULLED),
                   (hub_change.c.workstation.is_(None)) | (hub_change.c.workstation != me))
            .order_by(hub_change.c.seq).limit(PAGE)).all()
        for _seq, tbl, row_id in page:
            ids[tbl].add(uuid.UUID(row_id))
        if len(page) < PAGE:
            return ids
        last = page[-1][0]


def _every_id(conn: Connection, me: str) -> dict[str, set[uuid.UUID]]:
    """Every row a pull takes, for a cursor older than the change log's last prune: the
    notes since it are gone, so the clinic's rows are read whole (a first pull's cost).
    An interval comes with its entry."""
    ids: dict[str, set[uuid.UUID]] = {name: set() for name in PULLED}
    for name in PULLED:
        if name == "interval":
            continue
        tbl = records.table(name)
        query = select(tbl.c.id)
        if name == "time_entry":
            query = query.where(tbl.c.workstation != me)
        ids[name] = {r[0] for r in conn.execute(query)}
    return ids


def _live(conn: Connection, me: str) -> list[dict[str, Any]]:
    """Other workstations' running and paused entries, with who, for whom and what."""
    te = records.table("time_entry")
    live = [dict(r) for r in conn.execute(select(te).where(
        te.c.superseded_at.is_(None), te.c.state.in_(LIVE), te.c.workstation != me)).mappings()]
    if not live:
        return []
    names = {r["id"]: r["name"] for r in records._select_in(
        conn, records.table("clinician"), "id", {r["clinician_id"] for r in live})}
    mrns = {r["id"]: r["mrn"] for r in records._select_in(
        conn, records.table("patient"), "id", {r["patient_id"] for r in live if r["patient_id"]})}
    slugs = {r["id"]: r["slug"] for r in records._select_in(
        conn, records.table("category"), "id", {r["category_id"] for r in live})}
    spans: dict[Any, list[dict[str, Any]]] = {}
    for iv in records._select_in(conn, records.table("interval"), "entry_id",
                                 [r["id"] for r in live]):
        spans.setdefault(iv["entry_id"], []).append(iv)
    return [{"entry": r, "clinician_name": names[r["clinician_id"]],
             "patient_mrn": mrns.get(r["patient_id"]), "category_slug": slugs[r["category_id"]],
             "spans": spans.get(r["id"], [])} for r in live]


# Columns pointing at a row matched by its natural key here (a patient by MRN, a category by
# slug) or kept by id (a clinician): the rows they point at come with every pull, so the
# merge maps them to this database's rows even when they did not change on the hub.
_POINTING = {"patient": ("patient_id",), "category": ("category_id",),
             "clinician": ("clinician_id", "created_by", "created_by_id", "reviewer_id",
                           "consent_by_id", "billing_practitioner_id")}


def _column_in(conn: Connection, column: Any, key: Any, values: Iterable[Any]) -> list[Any]:
    """One column of the rows whose `key` is among `values`: a pull of a year asks for tens
    of thousands of rows only to learn their ids, and whole rows cost their decoding."""
    wanted = sorted(set(values), key=str)
    return [r[0] for i in range(0, len(wanted), _CHUNK)
            for r in conn.execute(select(column).where(key.in_(wanted[i:i + _CHUNK])))]


def _add_referenced(conn: Connection, rows: records.Rows) -> None:
    for target, columns in _POINTING.items():
        have = {r["id"] for r in rows[target]}
        wanted = {r[c] for name in PULLED for r in rows[name] for c in columns
                  if r.get(c) is not None} - have
        rows[target] += records._select_in(conn, records.table(target), "id", wanted)


def _read(engine: Engine, since: int, me: str, step: Step) -> _Read:
    """Everything a pull takes, in one read-only snapshot of the hub."""
    with engine.connect() as raw:
        conn = raw.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            conn.execute(text("SET TRANSACTION READ ONLY"))
            horizon = int(conn.execute(text(
                "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")).scalar_one())
            pruned = conn.execute(select(hub_change_pruned.c.below_txid)).scalar() or 0
            ids = _changed_ids(conn, since, me) if since >= pruned else _every_id(conn, me)
            step("read changes")
            rows: records.Rows = {}
            for name in PULLED:
                if name != "interval":
                    rows[name] = records._select_in(conn, records.table(name), "id", ids[name])
            # An interval's change comes with its entry; an entry comes with all its spans.
            te, iv = records.table("time_entry"), records.table("interval")
            owners = set(_column_in(conn, iv.c.entry_id, iv.c.id, ids["interval"]))
            known = {r["id"] for r in rows["time_entry"]}
            rows["time_entry"] += records._select_in(conn, te, "id", owners - known)
            rows["time_entry"] = sorted(
                (r for r in rows["time_entry"]
                 if r["workstation"] != me
                 and (r["state"] is EntryState.STOPPED or r["superseded_at"] is not None)),
                key=lambda r: (r["version"], str(r["id"])))
            rows["interval"] = sorted(
                records._select_in(conn, iv, "entry_id", [r["id"] for r in rows["time_entry"]]),
                key=lambda r: (r["start_utc"], str(r["id"])))
            _add_referenced(conn, rows)
            live = _live(conn, me)
    step("read rows")
    return _Read(horizon, rows, live)


# --- writing here ------------------------------------------------------------------------


def _pending(conn: Connection, target: str) -> set[str]:
    """Ids of rows changed here and not yet pushed to `target`: the hub's copy is older, so
    it is not judged against them (the next push sends them, the next pull finds them
    equal)."""
    after = conn.execute(select(hub_cursor.c.change_seq).where(
        hub_cursor.c.target == target)).scalar() or 0
    return {r[0] for r in conn.execute(select(sync_change.c.row_id).where(
        sync_change.c.seq > after))}


def _hex(value: Any) -> str:
    return uuid.UUID(str(value)).hex


def _live_rows(target: str, live: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    out = []
    for item in live:
        entry, spans = item["entry"], item["spans"]
        seconds = sum(int(((s["end_utc"] or now) - s["start_utc"]).total_seconds())
                      for s in spans)
        out.append({
            "target": target, "entry_id": _hex(entry["id"]),
            "workstation": entry["workstation"], "clinician_name": item["clinician_name"],
            "patient_mrn": item["patient_mrn"], "category_slug": item["category_slug"],
            "program": entry["program"].value if entry["program"] else None,
            "state": entry["state"].value,
            "started_at": min((s["start_utc"] for s in spans), default=entry["created_at"]),
            "seconds": max(0, seconds), "pulled_at": now})
    return out


def _write(ctx: AppContext, target: str, read: _Read, step: Step) -> PullReport:
    now = ctx.now()
    guard = PullGuard(sender=f"the clinic hub ({target})", bundle=f"hub pull {target}",
                      now=now, local=ctx.workstation)
    # A first pull brings a clinic's year: its one drain of the month rollup would recount
    # every patient's months, so a large pull sets the rollup aside and it is built once
    # after, as a large entry import does (services/timing/entry_import_rollup.py).
    aside = entry_import_rollup.set_aside(
        ctx, len(read.rows["time_entry"]) + len(read.rows["interval"]))
    try:
        return _merge(ctx, target, read, step, guard, now, aside)
    finally:
        if aside:
            entry_import_rollup.restore(ctx)


def _merge(ctx: AppContext, target: str, read: _Read, step: Step, guard: PullGuard,
           now: datetime, aside: bool) -> PullReport:
    try:
        with ctx.write() as session:
            conn = session.connection()
            if aside:
                entry_import_rollup.keep_aside(conn)
            pending = _pending(conn, target)
            rows = {name: [r for r in read.rows[name] if _hex(r["id"]) not in pending]
                    for name in PULLED}
            te = records.table("time_entry")
            incoming = [r["id"] for r in rows["time_entry"]]
            here = set(_column_in(conn, te.c.id, te.c.id, incoming))
            noted = conn.execute(select(func.max(sync_change.c.seq))).scalar() or 0
            changed = records.merge(conn, rows, keep_audit=False, guard=guard)
            # The pull's own writes are not local changes: never pushed back from here.
            conn.execute(delete(sync_change).where(sync_change.c.seq > noted))
            now_here = set(_column_in(conn, te.c.id, te.c.id, incoming))
            fresh = now_here - here  # once: per row it made a pull of a year quadratic
            taken = [r for r in rows["time_entry"] if r["id"] in fresh]
            conn.execute(delete(hub_live_timer).where(hub_live_timer.c.target == target))
            live = _live_rows(target, read.live, now)
            if live:
                conn.execute(hub_live_timer.insert(), live)
            _set_cursor(conn, target, read.horizon, now)
            _audit(session, ctx, target, guard, changed, taken)
            step("merged")
    except IntegrityError:
        raise UserError("The pull was refused, nothing was taken: the clinic hub's rows point "
                        "at records it does not hold; ask the hub's administrator to run "
                        "`ccm-timer hub verify`.") from None
    origins = {r["origin_id"] for r in taken}
    return PullReport(target, len(origins), tuple(sorted({r["workstation"] for r in taken})),
                      changed, guard.conflicts, len(live), now)


def _set_cursor(conn: Connection, target: str, horizon: int, now: datetime) -> None:
    # The row exists (pull() checked): a first push makes it, and a row without one would
    # tell the push to send only the change log, not every row.
    conn.execute(hub_cursor.update().where(hub_cursor.c.target == target).values(
        pulled_seq=horizon, pulled_at=now))


def _audit(session: Any, ctx: AppContext, target: str, guard: PullGuard,
           changed: dict[str, int], taken: list[dict[str, Any]]) -> None:
    """One event per new conflict, and one for the pull with the evidence hash of every
    entry taken as it now stands here (as bundle_import records bundle.import)."""
    for c in guard.fresh:
        audit.append(session, ctx=ctx, actor=ACTOR, action="hub.conflict", entity=c.entity,
                     entity_id=c.entity_id, after={"kind": c.kind, "target": target,
                                                   "conflict": c.id, "summary": c.summary})
    if changed or guard.fresh:
        audit.append(session, ctx=ctx, actor=ACTOR, action="hub.pull", entity="hub",
                     entity_id=target,
                     after={"target": target, "entries": len({r["origin_id"] for r in taken}),
                            "from": sorted({r["workstation"] for r in taken}),
                            "changed": changed, "conflicts": len(guard.fresh)},
                     origins={r["origin_id"] for r in taken})


# --- the pull ----------------------------------------------------------------------------


def pull(ctx: AppContext, target: targets.Target, *, password: str | None = None,
         engine: Engine | None = None, on_step: Step | None = None) -> PullReport:
    """Take the other workstations' changes from the hub `target` (see the module
    docstring). HubError, with nothing changed here, when the hub cannot be read."""
    def step(name: str) -> None:
        if on_step is not None:
            on_step(name)

    with ctx.read() as session:
        since = session.connection().execute(select(hub_cursor.c.pulled_seq).where(
            hub_cursor.c.target == target.name)).scalar()
    if since is None:  # the push's cursor is made by a first push, which sends every row
        raise UserError(f"This workstation has not pushed to the clinic hub {target.name} "
                        "yet; sync once first (`ccm-timer sync --once`), then pull.")
    with ExitStack() as opened:
        if engine is None:
            engine = opened.enter_context(hub.target_engine(ctx, target, password))
        try:
            read = _read(engine, int(since), ctx.workstation, step)
        except (DBAPIError, SQLAlchemyError, OSError) as exc:
            raise hub.HubError(sentence(_plain(exc)) + " Nothing was taken.") from None
    return _write(ctx, target.name, read, step)
