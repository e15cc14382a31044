"""The outbox: exports waiting for a delivery target, with their delivery state.

States: pending -> in_flight (a lease: owner and expiry) -> delivered (with the receiver's
receipt) or failed (permanent, with the reason); a transient failure returns the item to
pending with its next attempt time. Every change is one IMMEDIATE transaction, so the tray's
worker thread and a `ccm-timer sync` process never send the same item at once (R5.6).
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, update
from sqlmodel import Session, col, select

from ccm_timer.errors import UserError
from ccm_timer.services.context import AppContext
from ccm_timer.services.delivery import targets
from ccm_timer.services.security import audit
from ccm_timer.store.models import Export, HubPush, OutboxItem, OutboxState, Patient

ACTOR = "ccm-timer sync"
ALERT_AFTER = timedelta(hours=24)  # a waiting export older than this is called out


def enqueue(session: Session, ctx: AppContext, export: Export, target_name: str) -> OutboxItem:
    """Queue `export` for `target_name` inside the caller's transaction (the one that
    recorded the export). Queuing the same export for the same target again is a no-op."""
    target = targets.get(ctx, target_name)
    existing = session.exec(
        select(OutboxItem).where(OutboxItem.export_id == export.id,
                                 OutboxItem.target == target.name)
    ).first()
    if existing is not None:
        return existing
    now = ctx.now()
    bundle = None
    if target.kind == "folder":
        # A folder bundle carries the records behind the export, frozen now, so rewriting
        # it after a crash gives the same bytes (R5.5).
        from ccm_timer.store import merge as records

        patient_id = None
        if export.scope != "all":
            patient = session.exec(select(Patient).where(Patient.mrn == export.scope)).first()
            if patient is None:
                raise UserError(f"There is no patient {export.scope!r} to export.")
            patient_id = patient.id
        rows = records.collect_month(session.connection(), export.month, ctx.zone, patient_id)
        bundle = records.to_json(rows, workstation=ctx.workstation, export_id=str(export.id))
    item = OutboxItem(export_id=export.id, target=target.name, created_at=now,
                      next_attempt_at=now, bundle_records=bundle)
    session.add(item)
    session.flush()
    audit.append(session, ctx=ctx, actor=export.actor, action="export.queue", entity="export",
                 entity_id=export.id, after={"target": target.name, "kind": target.kind})
    return item


# --- leases ------------------------------------------------------------------------------


def lease_owner(ctx: AppContext) -> str:
    return f"{ctx.workstation}#{os.getpid()}#{uuid.uuid4().hex[:8]}"


def _owner_is_dead(owner: str, workstation: str) -> bool:
    """True when the lease holder was a process on this workstation that no longer runs."""
    try:
        where, pid_text, _ = owner.rsplit("#", 2)
        pid = int(pid_text)
    except ValueError:
        return False
    if where != workstation or pid == os.getpid() or os.name != "posix":
        return False  # elsewhere (or Windows): only the lease expiry frees it
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


@dataclass(frozen=True)
class Parcel:
    """One claimed delivery: what the target needs, frozen."""

    item_id: uuid.UUID
    export_id: uuid.UUID
    target: str
    attempts: int
    content: bytes
    sha256: str
    format: str
    filename_hint: str
    month: str
    created_at: datetime
    bundle_records: bytes | None


def reclaim_dead(ctx: AppContext) -> int:
    """Return to pending the items whose lease holder on this workstation was killed."""
    with ctx.read() as session:  # the common case, nothing in flight, costs no write
        held = session.exec(select(OutboxItem.id, OutboxItem.lease_owner).where(
            OutboxItem.state == OutboxState.IN_FLIGHT)).all()
    dead = [i for i, owner in held if owner and _owner_is_dead(owner, ctx.workstation)]
    if not dead:
        return 0
    with ctx.write() as session:
        rows = session.exec(select(OutboxItem).where(col(OutboxItem.id).in_(dead)))
        count = 0
        for row in rows:
            if row.state is OutboxState.IN_FLIGHT and row.lease_owner and _owner_is_dead(
                row.lease_owner, ctx.workstation
            ):
                row.state = OutboxState.PENDING
                row.lease_owner = None
                row.lease_expires_at = None
                row.next_attempt_at = ctx.now()
                session.add(row)
                count += 1
        return count


def claim(
    ctx: AppContext, owner: str, *, due_by: datetime, lease: timedelta, limit: int = 1,
    skip_targets: frozenset[str] = frozenset(), target: str | None = None,
) -> list[Parcel]:
    """Lease up to `limit` items due by `due_by` (all for one target), counting an attempt
    for each before anything is sent: a crash mid-send still counts."""
    now = ctx.now()
    with ctx.write() as session:
        query = select(OutboxItem).where(
            or_(
                (col(OutboxItem.state) == OutboxState.PENDING)
                & (col(OutboxItem.next_attempt_at) <= due_by),
                (col(OutboxItem.state) == OutboxState.IN_FLIGHT)
                & (col(OutboxItem.lease_expires_at) <= due_by),
            )
        )
        if skip_targets:
            query = query.where(col(OutboxItem.target).not_in(sorted(skip_targets)))
        if target is not None:
            query = query.where(OutboxItem.target == target)
        first = session.exec(query.order_by(col(OutboxItem.next_attempt_at),
                                            col(OutboxItem.id)).limit(1)).first()
        if first is None:
            return []
        rows = [first]
        if limit > 1:
            rows += list(session.exec(
                query.where(OutboxItem.target == first.target, OutboxItem.id != first.id)
                .order_by(col(OutboxItem.next_attempt_at), col(OutboxItem.id))
                .limit(limit - 1)
            ))
        exports = {e.id: e for e in session.exec(
            select(Export).where(col(Export.id).in_([r.export_id for r in rows])))}
        out = []
        for row in rows:
            row.state = OutboxState.IN_FLIGHT
            row.lease_owner = owner
            row.lease_expires_at = now + lease
            row.attempts += 1
            session.add(row)
            e = exports[row.export_id]
            out.append(Parcel(row.id, e.id, row.target, row.attempts, e.content, e.sha256,
                              e.format, e.filename_hint, e.month, e.created_at,
                              row.bundle_records))
        return out


def release(ctx: AppContext, owner: str, item_ids: list[uuid.UUID]) -> None:
    """Give back leased items that were not tried (their target went down meanwhile)."""
    with ctx.write() as session:
        for row in session.exec(select(OutboxItem).where(col(OutboxItem.id).in_(item_ids))):
            if row.state is OutboxState.IN_FLIGHT and row.lease_owner == owner:
                row.state = OutboxState.PENDING
                row.attempts = max(0, row.attempts - 1)
                row.lease_owner = row.lease_expires_at = None
                session.add(row)


def finish(
    ctx: AppContext, owner: str, parcel: Parcel, *, state: OutboxState, error: str | None = None,
    receipt: str | None = None, next_attempt_at: datetime | None = None,
) -> bool:
    """Record an attempt's result. False when our lease was lost meanwhile (another sender
    took the item over after it expired): a delivery is still recorded, nothing else is."""
    now = ctx.now()
    with ctx.write() as session:
        row = session.get(OutboxItem, parcel.item_id)
        if row is None or row.state in (OutboxState.DELIVERED, OutboxState.FAILED):
            return False
        ours = row.state is OutboxState.IN_FLIGHT and row.lease_owner == owner
        if not ours and state is not OutboxState.DELIVERED:
            return False
        row.lease_owner = None
        row.lease_expires_at = None
        row.state = state
        row.last_try_at = now
        if state is OutboxState.DELIVERED:
            row.delivered_at = now
            row.receipt = receipt
            row.last_error = None
            audit.append(session, ctx=ctx, actor=ACTOR, action="export.deliver",
                         entity="export", entity_id=parcel.export_id,
                         after={"target": parcel.target, "attempts": row.attempts,
                                "receipt": receipt})
            # The target answers again: whatever of it waited on a back-off is due now.
            session.exec(
                update(OutboxItem)
                .where(col(OutboxItem.target) == parcel.target,
                       col(OutboxItem.state) == OutboxState.PENDING,
                       col(OutboxItem.next_attempt_at) > now)
                .values(next_attempt_at=now)
            )
        elif state is OutboxState.FAILED:
            row.last_error = error
            audit.append(session, ctx=ctx, actor=ACTOR, action="export.fail", entity="export",
                         entity_id=parcel.export_id,
                         after={"target": parcel.target, "attempts": row.attempts,
                                "reason": error})
        else:
            row.last_error = error
            row.next_attempt_at = next_attempt_at or now
        session.add(row)
        return True


def retry_failed(ctx: AppContext, actor: str = ACTOR) -> int:
    """Put permanently failed items back in the queue (after the cause was fixed)."""
    with ctx.write() as session:
        rows = list(session.exec(select(OutboxItem).where(
            OutboxItem.state == OutboxState.FAILED)))
        for row in rows:
            row.state = OutboxState.PENDING
            row.next_attempt_at = ctx.now()
            session.add(row)
            audit.append(session, ctx=ctx, actor=actor, action="export.requeue",
                         entity="export", entity_id=row.export_id,
                         after={"target": row.target, "previous_error": row.last_error})
        return len(rows)


def drop_target(ctx: AppContext, name: str, actor: str = ACTOR) -> int:
    """Mark a removed target's undelivered items failed (kept, with the reason)."""
    with ctx.write() as session:
        rows = list(session.exec(select(OutboxItem).where(
            OutboxItem.target == name,
            col(OutboxItem.state).in_([OutboxState.PENDING, OutboxState.IN_FLIGHT]))))
        for row in rows:
            row.state = OutboxState.FAILED
            row.last_error = f"the target {name} was removed"
            row.lease_owner = row.lease_expires_at = None
            session.add(row)
            audit.append(session, ctx=ctx, actor=actor, action="export.fail", entity="export",
                         entity_id=row.export_id,
                         after={"target": name, "reason": row.last_error})
        return len(rows)


def waiting_count(ctx: AppContext, target: str | None = None) -> int:
    with ctx.read() as session:
        query = select(func.count()).select_from(OutboxItem).where(
            col(OutboxItem.state).in_([OutboxState.PENDING, OutboxState.IN_FLIGHT]))
        if target:
            query = query.where(OutboxItem.target == target)
        return int(session.exec(query).one())


def next_due(ctx: AppContext, skip_targets: frozenset[str] = frozenset()) -> datetime | None:
    """When the earliest waiting item is due (or its lease expires)."""
    with ctx.read() as session:
        query = select(func.min(OutboxItem.next_attempt_at)).where(
            OutboxItem.state == OutboxState.PENDING)
        if skip_targets:
            query = query.where(col(OutboxItem.target).not_in(sorted(skip_targets)))
        pending = session.exec(query).one()
        leased = session.exec(select(func.min(OutboxItem.lease_expires_at)).where(
            OutboxItem.state == OutboxState.IN_FLIGHT)).one()
    from ccm_timer.store.types import UTCDateTime

    values = [UTCDateTime().process_result_value(v, None) if isinstance(v, str) else v
              for v in (pending, leased) if v is not None]
    return min(values) if values else None


# --- what people read --------------------------------------------------------------------


@dataclass(frozen=True)
class ItemView:
    export_id: uuid.UUID
    target: str
    state: OutboxState
    attempts: int
    format: str
    month: str
    created_at: datetime
    next_attempt_at: datetime | None
    last_try_at: datetime | None
    last_error: str | None
    delivered_at: datetime | None
    receipt: str | None

    def to_dict(self) -> dict:
        def iso(v: datetime | None) -> str | None:
            return v.isoformat() if v else None

        return {"export": str(self.export_id), "target": self.target, "state": self.state,
                "attempts": self.attempts, "format": self.format, "month": self.month,
                "created_at": iso(self.created_at), "next_attempt_at": iso(self.next_attempt_at),
                "last_try_at": iso(self.last_try_at), "last_error": self.last_error,
                "delivered_at": iso(self.delivered_at), "receipt": self.receipt}


def list_items(ctx: AppContext, *, include_delivered: bool = False,
               limit: int = 500) -> list[ItemView]:
    """The reconciliation view (R5.7): per export and target, attempts, error, receipt."""
    with ctx.read() as session:
        query = select(OutboxItem, Export).join(Export, col(Export.id) == OutboxItem.export_id)
        if not include_delivered:
            query = query.where(OutboxItem.state != OutboxState.DELIVERED)
        rows = session.exec(query.order_by(col(OutboxItem.created_at).desc(),
                                           col(OutboxItem.id)).limit(limit))
        return [
            ItemView(item.export_id, item.target, item.state, item.attempts, e.format,
                     e.month, item.created_at,
                     item.next_attempt_at if item.state is OutboxState.PENDING else None,
                     item.last_try_at, item.last_error, item.delivered_at, item.receipt)
            for item, e in rows
        ]


def clock_text(ctx: AppContext, instant: datetime) -> str:
    """10:42 today, otherwise Nov 3 10:42, in the clinic's time zone."""
    local = instant.astimezone(ctx.zone)
    today = ctx.now().astimezone(ctx.zone).date()
    if local.date() == today:
        return local.strftime("%H:%M")
    return f"{local.strftime('%b')} {local.day} {local.strftime('%H:%M')}"


def _age_text(delta: timedelta) -> str:
    hours = int(delta.total_seconds() // 3600)
    if hours >= 48:
        return f"{hours // 24} days"
    return f"{hours} hours"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def summary(ctx: AppContext) -> str:
    """The tray's sentence about deliveries, for example
    "3 exports waiting, last try 10:42: no connection"."""
    with ctx.read() as session:
        waiting = list(session.exec(select(OutboxItem).where(
            col(OutboxItem.state).in_([OutboxState.PENDING, OutboxState.IN_FLIGHT]))))
        failed = int(session.exec(select(func.count()).select_from(OutboxItem).where(
            OutboxItem.state == OutboxState.FAILED)).one())
        last_delivered = session.exec(select(func.max(OutboxItem.delivered_at))).one()
        hubs = list(session.exec(select(HubPush)))
    parts: list[str] = []
    if waiting:
        text = f"{_plural(len(waiting), 'export')} waiting"
        tried = [(w.last_try_at, w) for w in waiting if w.last_try_at is not None]
        if any(w.state is OutboxState.IN_FLIGHT for w in waiting):
            text += ", sending now"
        elif tried:
            at, last = max(tried, key=lambda pair: pair[0])
            text += f", last try {clock_text(ctx, at)}"
            if last.last_error:
                text += f": {last.last_error}"
        else:
            text += ", not tried yet"
        oldest = min(w.created_at for w in waiting)
        if ctx.now() - oldest >= ALERT_AFTER:
            text += f"; the oldest has waited {_age_text(ctx.now() - oldest)}"
        parts.append(text)
    if failed:
        parts.append(f"{_plural(failed, 'export')} refused and not retried: see "
                     "`ccm-timer sync --list`")
    for hub in hubs:
        if hub.last_error and (hub.last_success_at is None or (
            hub.last_try_at and hub.last_try_at > hub.last_success_at)
        ):
            since = (f"since {clock_text(ctx, hub.last_success_at)}" if hub.last_success_at
                     else "yet")
            parts.append(f"hub {hub.target} not reached {since}: {hub.last_error}")
    if not parts:
        if last_delivered is not None:
            from ccm_timer.store.types import UTCDateTime

            when = (UTCDateTime().process_result_value(last_delivered, None)
                    if isinstance(last_delivered, str) else last_delivered)
            return f"All exports delivered, the last at {clock_text(ctx, when)}"
        return "No exports waiting"
    return "; ".join(parts)


def receipt_text(status: int, detail: str) -> str:
    return json.dumps({"status": status, "detail": detail[:300]}, ensure_ascii=False)
