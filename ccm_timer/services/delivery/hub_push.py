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
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, func, select
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


@dataclass(frozen=True)
class Cursor:
    change_seq: int
    audit_seq: int


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
    _add(changed, merge_into(engine, rows, pushed))
    return (PushReport(sum(len(v) for v in rows.values()) + sent, changed, head),
            Cursor(log_head, head))


def push(ctx: AppContext, hub_url: str, password: str | None = None,
         engine: Engine | None = None) -> PushReport:
    """Push every patient, entry version, interval, enrollment, month approval, the
    clinical record and audit event of this workstation to the hub, and the scanned
    consents it lacks. Nothing local changes (no target's cursor)."""
    own = engine is None
    engine = engine or _open(hub_url, password)
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

    def work(conn: Connection) -> tuple[dict[str, int], tuple[int, int]]:
        merged = merge_rows(conn, rows, pushed)
        return merged, change_rows.current_entries(conn, ctx.workstation)

    try:
        merged, there = in_transaction(engine, work)
    except chain_heads.Uncovered:
        return _full(ctx, engine)
    if there != local:
        return _full(ctx, engine)
    return (PushReport(sum(len(v) for v in rows.values()) + sent, _add(changed, merged),
                       found.audit_seq, full=False),
            Cursor(found.change_seq, found.audit_seq))


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
        engine = _open(target.url, targets.get_secret(target.name))
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
