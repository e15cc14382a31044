"""The conflicts bundle imports recorded (store/merge_guard.py): listed for a person, and
marked resolved once someone has looked (the local rows are never changed by either).

The clinic hub keeps its own in the same table: what bundles imported into it and
workstations' pushes (store/merge.py: bundle "push:<workstation>") would have changed of
another workstation's rows there; `on_hub` lists them (`ccm-timer hub conflicts`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from ccm_timer.core.parse import check_note
from ccm_timer.errors import NotFound, UserError, sentence
from ccm_timer.services.context import AppContext
from ccm_timer.services.security import audit
from ccm_timer.store.models import BundleConflict


@dataclass(frozen=True)
class ConflictView:
    id: str
    recorded_at: datetime
    bundle: str
    sender: str
    kind: str
    entity: str
    entity_id: str
    summary: str
    resolved_at: datetime | None

    @property
    def source(self) -> str:
        """How it came, for people: "a push" or "bundle NAME"."""
        return "a push" if self.bundle.startswith(PUSH) else f"bundle {self.bundle}"

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "recorded_at": self.recorded_at.isoformat(),
                "bundle": self.bundle, "from": self.sender, "sender": self.sender,
                "source": self.source,
                "kind": self.kind, "entity": self.entity, "entity_id": self.entity_id,
                "summary": self.summary,
                "resolved_at": self.resolved_at.isoformat() if self.resolved_at else None}


PUSH = "push:"  # the bundle name of what a workstation's push raised on the hub


def _view(row: BundleConflict) -> ConflictView:
    return ConflictView(str(row.id), row.recorded_at, row.bundle, row.sender, row.kind,
                        row.entity, row.entity_id, row.summary, row.resolved_at)


def _listed(session: Session, include_resolved: bool) -> list[ConflictView]:
    query = select(BundleConflict).order_by(col(BundleConflict.recorded_at),
                                            col(BundleConflict.id))
    if not include_resolved:
        query = query.where(col(BundleConflict.resolved_at).is_(None))
    return [_view(r) for r in session.exec(query)]


def list_conflicts(ctx: AppContext, *, include_resolved: bool = False) -> list[ConflictView]:
    with ctx.read() as session:
        return _listed(session, include_resolved)


def on_hub(engine: Engine, *, include_resolved: bool = False) -> list[ConflictView]:
    """The conflicts recorded on the clinic hub (`engine`: hub.open_engine), oldest first."""
    with Session(engine) as session:
        return _listed(session, include_resolved)


def resolve(ctx: AppContext, ref: str, reason: str, *, actor: str = "admin") -> ConflictView:
    """Mark a conflict looked at, with why (what was done about it is the person's)."""
    try:
        reason = check_note(reason, "reason")
    except ValueError as exc:
        raise UserError(sentence(exc)) from None
    if not reason:
        raise UserError("A reason is required: say with --reason what was done about it.")
    with ctx.write() as session:
        rows = [r for r in session.exec(select(BundleConflict))
                if str(r.id).startswith(ref.strip().lower()) or r.id.hex.startswith(ref)]
        if len(rows) != 1:
            raise NotFound(f"No single conflict has the id {ref!r}; see "
                           "`ccm-timer conflicts list`.")
        row = rows[0]
        if row.resolved_at is not None:
            raise UserError("That conflict is already resolved.")
        row.resolved_at = ctx.now()
        session.add(row)
        audit.append(session, ctx=ctx, actor=actor, action="bundle.conflict.resolve",
                     entity=row.entity, entity_id=row.entity_id,
                     after={"conflict": str(row.id), "reason": reason})
        return _view(row)

