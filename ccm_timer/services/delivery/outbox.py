"""The outbox: exports waiting for a delivery target, with their delivery state.

States: pending -> in_flight (a lease: owner and expiry) -> delivered (with the receiver's
receipt) or failed (permanent, with the reason); a transient failure returns the item to
pending with its next attempt time. Every change is one IMMEDIATE transaction, so the tray's
worker thread and a `ccm-timer sync` process never send the same item at once (R5.6).
"""

from __future__ import annotations

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
from ccm_timer.store.models import Export, OutboxItem, OutboxState, Patient

ACTOR = "ccm-timer sync"


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
        _fits_a_bundle(bundle, export)
    item = OutboxItem(export_id=export.id, target=target.name, created_at=now,
                      next_attempt_at=now, bundle_records=bundle)
    session.add(item)
    session.flush()
    audit.append(session, ctx=ctx, actor=export.actor, action="export.queue", entity="export",
                 entity_id=export.id, after={"target": target.name, "kind": target.kind})
    return item


def _fits_a_bundle(records_json: bytes, export: Export) -> None:
    """Refuse now, not at every delivery, a bundle larger than a receiver opens: a month of
    every patient with their scanned consents can be (base64 inside the sealed file)."""
    from ccm_timer.services.delivery.bundle_format import MAX_SEALED

    sealed = (len(records_json) + len(export.content)) * 4 // 3 + 64 * 1024
    if sealed > MAX_SEALED:
        raise UserError(
            f"The bundle would be about {sealed // (1024 * 1024)} MB, more than a bundle may "
            f"hold ({MAX_SEALED // (1024 * 1024)} MB), mostly scanned consents; export the "
            "month one patient at a time (--patient MRN) for this folder.")


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
