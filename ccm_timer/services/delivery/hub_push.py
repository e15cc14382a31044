"""Pushing a workstation's records to the clinic hub (hub.py holds the connection and the
merge's transaction).

A configured hub target pushes from its cursor (store/local_tables.hub_cursor): the rows
the change log names after it, what they point at, and the audit events after it
(store/change_rows.py), merged in one hub transaction with the chain head check. The
cursor moves, locally, only after the hub committed, to the heads read in the same local
snapshot as the rows: a push killed at any point is done again from the old cursor, and a
redo only sends again what the hub may already have (the merge is idempotent by UUID).
A target without a cursor (its first push, or the first after the upgrade) pushes every
row and sets the cursor.

The hourly full push is gone: instead, each push's hub transaction counts this
workstation's entry versions on the hub (all of them, and the superseded ones) and compares
them with the local counts of the same snapshot. One statement, and it catches what the
change log could not tell the hub (a hub restored from a backup, rows lost there): on a
mismatch the whole record is pushed at once, and the cursor starts again from it. An idle
workstation still checks once an hour (CHECK_EVERY), without sending anything.

The change log's rows that every hub target's cursor has passed are dropped in the push's
local write; a hub target without a cursor needs none of them (it pushes everything).

Under its own login role (hub revision 0004) a workstation may write only rows naming it;
another workstation's entries it took from a bundle, which the hub lacks, would make the
hub refuse the whole push, every time. They are left out (`_own`, in the hub transaction:
the hub says which it holds) and noted again in the change log, so every push looks for
them until the hub has them (their workstation pushed, or the bundle was imported into the
hub by its owner); each push that leaves some out says so (PushReport.held_sentence). Rows
taken by a pull are on the hub already: they go as before (the merge leaves them alone).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, func, select, text
from sqlalchemy.dialects.sqlite import insert
from sqlalchemy.engine import Engine

from ccm_timer.core import backoff
from ccm_timer.services.context import AppContext
from ccm_timer.services.delivery import chain_heads, targets
from ccm_timer.services.delivery.hub import HubError, in_transaction, merge_into, merge_rows
from ccm_timer.services.delivery.hub import open_engine as _open
from ccm_timer.store import change_rows
from ccm_timer.store import merge as records
from ccm_timer.store.local_tables import hub_cursor, sync_change
from ccm_timer.store.models import HubPush

CHECK_EVERY = timedelta(hours=1)  # an idle workstation still checks the hub's counts
DOCUMENT_BATCH_BYTES = 64 * 1024 * 1024  # scans per transaction of a push, by their size


@dataclass(frozen=True)
class PushReport:
    rows: int  # rows sent
    changed: dict[str, int] = field(default_factory=dict)  # rows the hub did not have yet
    audit_seq: int = 0
    full: bool = True  # every row was sent (first push, or the counts did not match)
    held: dict[str, int] = field(default_factory=dict)  # workstation: its entries left out

    def held_sentence(self, target: str | None = None) -> str:
        return held_sentence(self.held, target)


def held_sentence(held: dict[str, int], target: str | None = None) -> str:
    """Entries left out of the push, by workstation, in one sentence ("" when none): with
    `target`, the command that brings a bundle into the hub (the command line's words)."""
    if not held:
        return ""
    parts = [f"{n} {'entry' if n == 1 else 'entries'} recorded on {ws}"
             for ws, n in sorted(held.items())]
    some = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    names = sorted(held)
    one = len(names) == 1
    who = f"{names[0]} pushes" if one else f"{', '.join(names[:-1])} and {names[-1]} push"
    how = f" with `ccm-timer import-bundle PATH --hub {target}`" if target else ""
    return (f"{some} came here in {'a bundle' if one else 'bundles'}: they reach the "
            f"clinic hub when {who}, or when an administrator imports "
            f"{'that bundle' if one else 'those bundles'} into the hub{how}.")


@dataclass(frozen=True)
class Cursor:
    change_seq: int
    audit_seq: int
    held: tuple[tuple[str, str], ...] = ()  # (table, row id hex) left out: noted again


# The rows a workstation role may write only when they name it (revision 0004's policies);
# an interval goes with its entry.
_NAMED = ("time_entry", "audit_event", "export")


def _own(conn: Connection, rows: records.Rows,
         workstation: str) -> tuple[records.Rows, dict[str, list[Any]]]:
    """Inside the push's hub transaction: `rows` without those naming another workstation
    that the hub lacks, when the pushing role writes only `workstation`'s; and the ids left
    out. A role of another workstation leaves nothing out: the hub refuses the push."""
    mine = conn.execute(text("SELECT ccm_hub_ws()")).scalar()
    if mine != workstation:  # the hub's owner, a role of before 0004, or another's role
        return rows, {}
    left: dict[str, list[Any]] = {}

    def lacking(name: str, others: list[dict]) -> set[Any]:
        there = {r["id"] for r in records._select_in(
            conn, records.table(name), "id", [r["id"] for r in others])}
        out = {r["id"] for r in others if r["id"] not in there}
        if out:
            left[name] = sorted(out, key=str)
        return out

    kept = dict(rows)
    for name in _NAMED:
        out = lacking(name, [r for r in rows.get(name, []) if r["workstation"] != mine])
        kept[name] = [r for r in rows.get(name, []) if r["id"] not in out]
    whose = {r["id"]: r["workstation"] for r in rows.get("time_entry", [])}
    out = lacking("interval", [r for r in rows.get("interval", [])
                               if whose.get(r["entry_id"], mine) != mine])
    kept["interval"] = [r for r in rows.get("interval", []) if r["id"] not in out]
    return kept, left


def _held(rows: records.Rows, left: dict[str, list[Any]]) -> dict[str, int]:
    """Entries (lineages) left out, by the workstation they were recorded on."""
    out = set(left.get("time_entry", []))
    lineages = {(r["workstation"], r["origin_id"]) for r in rows.get("time_entry", [])
                if r["id"] in out}
    counts: dict[str, int] = {}
    for ws, _origin in lineages:
        counts[ws] = counts.get(ws, 0) + 1
    return counts


def _noted(left: dict[str, list[Any]]) -> tuple[tuple[str, str], ...]:
    return tuple((name, i.hex) for name in ("time_entry", "interval")
                 for i in left.get(name, []))


def _add(into: dict[str, int], more: dict[str, int]) -> dict[str, int]:
    for name, count in more.items():
        into[name] = into.get(name, 0) + count
    return into


def _full(ctx: AppContext, engine: Engine) -> tuple[PushReport, Cursor]:
    """Every row, and the scans the hub lacks; the cursor of the snapshot read."""
    with ctx.read() as session:
        conn = session.connection()
        rows = records.collect_all(conn, documents=False)
        scans = records.document_ids(conn)
        log_head, _ = change_rows.heads(conn)
    head = max((r["seq"] for r in rows["audit_event"]), default=0)
    pushed = chain_heads.of_rows(rows, ctx.workstation, ctx.now())
    changed, sent = _push_documents(ctx, engine, rows, scans, pushed)

    def work(conn: Connection) -> tuple[dict[str, int], dict[str, list[Any]]]:
        kept, left = _own(conn, rows, ctx.workstation)
        return merge_rows(conn, kept, pushed), left

    merged, left = in_transaction(engine, work)
    _add(changed, merged)
    return (PushReport(sum(len(v) for v in rows.values()) - sum(map(len, left.values()))
                       + sent, changed, head, held=_held(rows, left)),
            Cursor(log_head, head, _noted(left)))


def push(ctx: AppContext, hub_url: str, password: str | None = None,
         engine: Engine | None = None) -> PushReport:
    """Push every patient, entry version, interval, enrollment, month approval, the
    clinical record and audit event of this workstation to the hub, and the scanned
    consents it lacks. Nothing local changes (no target's cursor)."""
    own = engine is None
    engine = engine or _open(hub_url, password, clinic=ctx.settings.clinic_id)
    try:
        return _full(ctx, engine)[0]
    finally:
        if own:
            engine.dispose()


def _since(ctx: AppContext, engine: Engine, at: Cursor) -> tuple[PushReport, Cursor]:
    """The rows changed after the cursor; everything when the hub's counts say so."""
    with ctx.read() as session:
        conn = session.connection()
        found = change_rows.since(conn, at.change_seq, at.audit_seq)
        local = change_rows.current_entries(conn, ctx.workstation)
    rows = found.rows
    pushed = chain_heads.of_rows(rows, ctx.workstation, ctx.now(), found.chain)
    changed, sent = _push_documents(ctx, engine, rows, found.scans, pushed)

    def work(conn: Connection) -> tuple[dict[str, int], dict[str, list[Any]], tuple[int, int]]:
        kept, left = _own(conn, rows, ctx.workstation)
        merged = merge_rows(conn, kept, pushed)
        return merged, left, change_rows.current_entries(conn, ctx.workstation)

    try:
        merged, left, there = in_transaction(engine, work)
    except chain_heads.Uncovered:
        return _full(ctx, engine)
    if there != local:
        return _full(ctx, engine)
    return (PushReport(sum(len(v) for v in rows.values()) - sum(map(len, left.values()))
                       + sent, _add(changed, merged), found.audit_seq, full=False,
                       held=_held(rows, left)),
            Cursor(found.change_seq, found.audit_seq, _noted(left)))


def _cursor(conn: Connection, target: str) -> Cursor | None:
    row = conn.execute(select(hub_cursor.c.change_seq, hub_cursor.c.audit_seq)
                       .where(hub_cursor.c.target == target)).first()
    return Cursor(row[0], row[1]) if row else None


def _move(ctx: AppContext, conn: Connection, target: str, to: Cursor, full: bool) -> None:
    """The target's cursor moved (after the hub committed), and the change log's rows every
    configured hub target has taken dropped."""
    values: dict[str, Any] = {"change_seq": to.change_seq, "audit_seq": to.audit_seq}
    if full:
        values["full_push_at"] = ctx.now()
    conn.execute(insert(hub_cursor).values(target=target, **values)
                 .on_conflict_do_update(index_elements=["target"], set_=values))
    hubs = [t.name for t in targets.list_targets(ctx) if t.kind is targets.TargetKind.HUB]
    taken = conn.execute(select(func.min(hub_cursor.c.change_seq))
                         .where(hub_cursor.c.target.in_([*hubs, target]))).scalar()
    if taken:
        conn.execute(delete(sync_change).where(sync_change.c.seq <= taken))
    if to.held:  # after the cursor: the next push looks for them on the hub again
        conn.execute(sync_change.insert(), [{"tbl": t, "row_id": i} for t, i in to.held])


def push_cursor(ctx: AppContext, target: str, engine: Engine) -> PushReport:
    """Push to the hub behind `engine` from `target`'s cursor, and move it."""
    with ctx.read() as session:
        at = _cursor(session.connection(), target)
    report, to = _full(ctx, engine) if at is None else _since(ctx, engine, at)
    with ctx.write() as session:
        _move(ctx, session.connection(), target, to, report.full)
    return report


def _push_documents(ctx: AppContext, engine: Engine, rows: records.Rows,
                    scans: list[Any], head: chain_heads.PushedHead | None,
                    ) -> tuple[dict[str, int], int]:
    """The scans the hub lacks, in transactions of at most DOCUMENT_BATCH_BYTES (one scan
    alone may be larger), each with the patients and clinicians they point at. The
    changed-row counts, and the number of scans sent."""
    changed: dict[str, int] = {}
    if not scans:
        return changed, 0
    there = {r["id"] for r in in_transaction(engine, lambda conn: records._select_in(
        conn, records.table("consent_document"), "id", scans))}
    wanted = [i for i in scans if i not in there]
    with ctx.read() as session:
        sizes = records.document_sizes(session.connection(), wanted)
    batches: list[list[Any]] = [[]]
    filled = 0
    for doc_id in wanted:
        if batches[-1] and filled + sizes[doc_id] > DOCUMENT_BATCH_BYTES:
            batches.append([])
            filled = 0
        batches[-1].append(doc_id)
        filled += sizes[doc_id]
    for batch in filter(None, batches):
        with ctx.read() as session:
            found = records.documents(session.connection(), batch)
        part = {"clinician": rows["clinician"], "patient": rows["patient"],
                "consent_document": found}
        _add(changed, merge_into(engine, part, head, chain=rows))
    return changed, len(wanted)


def _due(ctx: AppContext, target: str, state: HubPush, now: datetime) -> bool:
    """Something changed since the cursor, the last push failed, or the hourly check."""
    with ctx.read() as session:
        conn = session.connection()
        at = _cursor(conn, target)
        heads = change_rows.heads(conn)
    return (at is None or (at.change_seq, at.audit_seq) != heads or state.last_error is not None
            or state.last_success_at is None or now - state.last_success_at >= CHECK_EVERY)


def push_target(ctx: AppContext, target: targets.Target, *, force: bool = False,
                rng: random.Random | None = None) -> PushReport | None:
    """Push to a configured hub target when due, recording the result for the tray.

    Skipped (None) while backing off after a failure, or when nothing changed since the
    target's cursor and the hub's counts were checked within CHECK_EVERY. HubError on
    failure.
    """
    now = ctx.now()
    with ctx.write() as session:
        state = session.get(HubPush, target.name) or HubPush(target=target.name)
        if not force and state.next_attempt_at is not None and state.next_attempt_at > now:
            return None
    if not force and not _due(ctx, target.name, state, now):
        return None
    try:
        engine = _open(target.url, targets.get_secret(target.name), clinic=ctx.settings.clinic_id)
        try:
            report = push_cursor(ctx, target.name, engine)
        finally:
            engine.dispose()
    except HubError as exc:
        with ctx.write() as session:
            state = session.get(HubPush, target.name) or HubPush(target=target.name)
            state.attempts += 1
            state.last_try_at = now
            state.last_error = str(exc).rstrip(".")[0].lower() + str(exc).rstrip(".")[1:]
            state.next_attempt_at = now + timedelta(
                seconds=backoff.delay(state.attempts, None, rng))
            session.add(state)
        raise
    with ctx.write() as session:
        state = session.get(HubPush, target.name) or HubPush(target=target.name)
        state.attempts = 0
        state.last_try_at = state.last_success_at = now
        state.last_error = None
        state.next_attempt_at = None
        state.pushed_audit_seq = report.audit_seq
        session.add(state)
    return report
