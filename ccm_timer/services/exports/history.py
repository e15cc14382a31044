"""Export records: the rendered bytes of an export, frozen with their SHA-256 when made.

The exports engineer renders, then in ONE write transaction calls `record_export` and, to
send it, `outbox.enqueue`:

    with ctx.write() as session:
        export = export_records.record_export(session, ctx, month="2026-11", scope="all",
                                              fmt="json", content=data, actor=who.name,
                                              filename_hint="ccm-2026-11.json")
        outbox.enqueue(session, ctx, export, "billing")

so a crash leaves either both or neither (the transactional outbox, reliability R5.1).
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from ccm_timer.core.access import WHAT, Action, who_may
from ccm_timer.core.month import parse_month
from ccm_timer.errors import NotFound, UserError, sentence
from ccm_timer.exports.formats import FORMATS
from ccm_timer.services.context import AppContext
from ccm_timer.services.delivery import outbox
from ccm_timer.services.people.access import Refused, Signer
from ccm_timer.services.security import audit
from ccm_timer.store.models import AuditEvent, Export, OutboxItem, OutboxState
from ccm_timer.store.types import new_id

_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,120}")


def _chain_head(session: Session) -> str:
    head = session.exec(select(AuditEvent).order_by(col(AuditEvent.seq).desc()).limit(1)).first()
    return head.hash if head else audit.GENESIS


def record_export(
    session: Session,
    ctx: AppContext,
    *,
    month: str,
    scope: str,
    fmt: str,
    content: bytes,
    actor: str,
    filename_hint: str,
    amendment: bool = False,
    chain_head: str | None = None,
) -> Export:
    """Store one export's bytes inside the caller's write transaction; audit it.
    `chain_head`: the audit head the content was read at (default: the head now)."""
    try:
        month = str(parse_month(month))
    except ValueError as exc:
        raise UserError(sentence(exc)) from None
    if fmt not in FORMATS:
        raise UserError(f"The export format {fmt!r} is unknown; use one of {', '.join(FORMATS)}.")
    if not isinstance(content, bytes | bytearray):
        raise TypeError("export content must be bytes")
    scope = scope.strip() or "all"
    if not _SAFE_NAME.fullmatch(filename_hint) or (
        scope != "all" and scope.lower() in filename_hint.lower()
    ):
        # File names travel to shared folders and servers' logs: no patient identifier.
        raise UserError(
            f"The export file name {filename_hint!r} must be plain letters, digits, '.', '_' "
            "or '-' and must not contain the patient's MRN."
        )
    data = bytes(content)
    export = Export(
        id=new_id(),
        created_at=ctx.now(),
        actor=actor,
        workstation=ctx.workstation,
        month=month,
        scope=scope,
        format=fmt,
        filename_hint=filename_hint,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        amendment=amendment,
        chain_head=chain_head or _chain_head(session),
        content=data,
    )
    session.add(export)
    session.flush()
    audit.append(
        session, ctx=ctx, actor=actor, action="export.record", entity="export",
        entity_id=export.id,
        after={"month": month, "scope": scope, "format": fmt, "sha256": export.sha256,
               "size": export.size, "amendment": amendment, "chain_head": export.chain_head},
    )
    return export


def get(session: Session, export_id: uuid.UUID | str) -> Export:
    try:
        key = export_id if isinstance(export_id, uuid.UUID) else uuid.UUID(str(export_id))
    except ValueError:
        raise NotFound(f"There is no export {export_id!r}.") from None
    row = session.get(Export, key)
    if row is None:
        raise NotFound(f"There is no export {export_id!r}.")
    return row


def requeue_failed(ctx: AppContext, by: Signer) -> int:
    """Put the exports that failed for good back in the queue, as `by` (someone with the
    export duty; a resend of a file already made needs no password). Audited per item."""
    if not by.may(Action.EXPORT):
        raise Refused(f"{by.name} may not {WHAT[Action.EXPORT]} or queue them again: only "
                      f"{who_may(Action.EXPORT)} may; pass --as with one's name.")
    return outbox.retry_failed(ctx, actor=by.name)


# --- the export history, as the billing office reads it ----------------------------------


@dataclass(frozen=True)
class Delivery:
    target: str
    state: OutboxState
    attempts: int
    last_error: str | None  # the target's last answer, as the sender worded it
    delivered_at: datetime | None


@dataclass(frozen=True)
class HistoryRow:
    export_id: uuid.UUID
    created_at: datetime
    actor: str
    month: str
    scope: str  # "all" or the patient's MRN
    fmt: str
    sha256: str
    amendment: bool
    draft: bool | None  # None: an export recorded without its content event
    approved_only: bool
    deliveries: tuple[Delivery, ...]

    @property
    def failed(self) -> bool:
        return any(d.state is OutboxState.FAILED for d in self.deliveries)


def list_history(ctx: AppContext, limit: int = 200) -> list[HistoryRow]:
    """The latest exports first: who, when, what, the file's hash, and each delivery."""
    with ctx.read() as session:
        rows = list(session.exec(select(Export).order_by(
            col(Export.created_at).desc(), col(Export.id).desc()).limit(limit)))
        ids = [r.id for r in rows]
        items: dict[uuid.UUID, list[Delivery]] = {}
        for item in session.exec(select(OutboxItem).where(col(OutboxItem.export_id).in_(ids))
                                 .order_by(col(OutboxItem.target))):
            items.setdefault(item.export_id, []).append(Delivery(
                item.target, item.state, item.attempts, item.last_error, item.delivered_at))
        content: dict[str, dict] = {}
        for event in session.exec(select(AuditEvent).where(
                AuditEvent.action == "export.content",
                col(AuditEvent.entity_id).in_([str(i) for i in ids]))):
            content[event.entity_id] = json.loads(event.after or "{}")
    out = []
    for r in rows:
        said = content.get(str(r.id))
        out.append(HistoryRow(r.id, r.created_at, r.actor, r.month, r.scope, r.format,
                              r.sha256, r.amendment,
                              bool(said.get("draft")) if said is not None else None,
                              bool(said and said.get("approved_only")),
                              tuple(items.get(r.id, ()))))
    return out
