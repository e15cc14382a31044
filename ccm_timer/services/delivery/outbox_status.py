"""What people read of the outbox: its items, the one-line summary the tray and `ccm-timer
sync` show, and times and receipts in words. The writing side is outbox.py."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import col, select

from ccm_timer.services.context import AppContext
from ccm_timer.store import change_rows
from ccm_timer.store.models import Export, HubPush, OutboxItem, OutboxState

ALERT_AFTER = timedelta(hours=24)  # a waiting export older than this is called out


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
        # Other workstations' entries from a bundle that this workstation's own hub role may
        # not push: said until the hub has them (hub_push leaves them out).
        held = change_rows.held_here(session.connection(), ctx.workstation) if hubs else {}
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
    if held:
        from ccm_timer.services.delivery.hub_push import held_sentence

        parts.append(held_sentence(held).rstrip("."))
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
