"""The audit trail: append-only, each event carrying the hash of the one before.

Appends happen inside the caller's write transaction (BEGIN IMMEDIATE), so reading the
chain head and writing the next event cannot interleave with another process.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from ccm_timer.services.context import AppContext
from ccm_timer.store.models import AuditEvent
from ccm_timer.store.types import new_id, to_db_text

GENESIS = "0" * 64


def digest(event: AuditEvent) -> str:
    """The hash an event must carry: its content chained to the previous event's hash."""
    payload = json.dumps(
        [
            event.seq,
            str(event.id),
            to_db_text(event.at_utc),
            event.actor,
            event.workstation,
            event.action,
            event.entity,
            event.entity_id,
            event.before,
            event.after,
            event.prev_hash,
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _dump(value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)


def append(
    session: Session,
    *,
    ctx: AppContext,
    actor: str,
    action: str,
    entity: str,
    entity_id: Any,
    before: Any = None,
    after: Any = None,
) -> AuditEvent:
    head = session.exec(select(AuditEvent).order_by(col(AuditEvent.seq).desc()).limit(1)).first()
    event = AuditEvent(
        seq=(head.seq or 0) + 1 if head else 1,
        id=new_id(),
        at_utc=ctx.now(),
        actor=actor,
        workstation=ctx.workstation,
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        before=_dump(before),
        after=_dump(after),
        prev_hash=head.hash if head else GENESIS,
        hash="",
    )
    event.hash = digest(event)
    session.add(event)
    session.flush()
    return event


@dataclass(frozen=True)
class ChainReport:
    events: int
    head: str
    broken_seq: int | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_seq is None


def verify(session: Session) -> ChainReport:
    """Walk the chain in order; name the first event whose link or content is wrong."""
    prev = GENESIS
    count = 0
    expected_seq = 1
    for event in session.exec(select(AuditEvent).order_by(col(AuditEvent.seq))):
        count += 1
        if event.seq != expected_seq:
            return ChainReport(count, prev, expected_seq, "an event is missing before this one")
        if event.prev_hash != prev:
            return ChainReport(count, prev, event.seq, "its link to the previous event is broken")
        if digest(event) != event.hash:
            return ChainReport(count, prev, event.seq, "its content was changed after writing")
        prev = event.hash
        expected_seq += 1
    return ChainReport(count, prev)


def history(session: Session, entity_id: Any) -> list[AuditEvent]:
    rows = select(AuditEvent).where(AuditEvent.entity_id == str(entity_id))
    return list(session.exec(rows.order_by(col(AuditEvent.seq))))


def authors(ctx: AppContext, entity_id: Any) -> dict[str, str]:
    """Entry version id -> who first recorded it, from the entity's audit events."""
    found: dict[str, str] = {}
    with ctx.read() as session:
        for event in history(session, entity_id):
            version_id = json.loads(event.after).get("id") if event.after else None
            if version_id and version_id not in found:
                found[version_id] = event.actor
    return found
