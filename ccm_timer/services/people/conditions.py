"""A patient's conditions: ICD-10-CM codes checked against the code set (simple-icd-10-cm,
the CMS April release it ships), shown with their descriptions, whether they count as
chronic (chronic_list.py) and since when. Removal keeps the row, with who, when and why;
every change is audited.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from sqlmodel import Session, col, select

from ccm_timer.core.access import Action
from ccm_timer.core.conditions import ChronicList, normalise
from ccm_timer.core.parse import check_note
from ccm_timer.errors import NotFound, UserError, sentence
from ccm_timer.services.context import AppContext
from ccm_timer.services.people import code_set
from ccm_timer.services.people.chronic_list import chronic_list
from ccm_timer.services.security import audit
from ccm_timer.store.models import Condition, Patient

if TYPE_CHECKING:
    from ccm_timer.services.people.access import Signer

MAX_REASON = 500


@lru_cache(maxsize=4096)  # a roster repeats a few codes many times
def lookup(text: str) -> tuple[str, str]:
    """(the code with its dot, its description), or ValueError with the reason (for a
    roster row); check_code says the same as one sentence for people."""
    code = normalise(text)
    found = code_set.find(code)
    if found is None:
        raise ValueError(f"{code} is not in the ICD-10-CM code set; check the code")
    if not found.billable:
        raise ValueError(f"{code} is a category, not a billable code; use one of its codes "
                         f"such as {', '.join(found.examples)}")
    return code, found.description


def check_code(text: str) -> tuple[str, str]:
    """(the code with its dot, its description), or UserError in one sentence."""
    try:
        return lookup(text)
    except ValueError as exc:
        why = str(exc)
        tail = "; nothing was written." if why.endswith(")") else " (nothing was written)."
        raise UserError(f"{sentence(why)[:-1]}{tail}") from None


@dataclass(frozen=True)
class ConditionView:
    id: uuid.UUID
    code: str
    description: str
    since: date | None
    category: str | None  # chronic-condition category; None when not chronic
    added_at: datetime
    added_by: str
    removed_at: datetime | None = None
    removed_by: str | None = None
    removal_reason: str | None = None

    @property
    def chronic(self) -> bool:
        return self.category is not None

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "description": self.description,
                "since": self.since.isoformat() if self.since else None,
                "chronic": self.chronic, "chronic_category": self.category}

    def history_dict(self) -> dict[str, Any]:
        return {**self.to_dict(), "added_at": self.added_at.isoformat(),
                "added_by": self.added_by,
                "removed_at": self.removed_at.isoformat() if self.removed_at else None,
                "removed_by": self.removed_by, "removal_reason": self.removal_reason}


def _view(row: Condition, chronic: ChronicList) -> ConditionView:
    return ConditionView(row.id, row.code, row.description, row.since,
                         chronic.category_of(row.code), row.added_at, row.added_by,
                         row.removed_at, row.removed_by, row.removal_reason)


def current(session: Session, patient_id: uuid.UUID) -> list[Condition]:
    return list(session.exec(select(Condition).where(
        Condition.patient_id == patient_id, col(Condition.removed_at).is_(None))
        .order_by(col(Condition.code))))


def add_in(session: Session, ctx: AppContext, patient: Patient, code: str, description: str,
           since: date | None, actor: str) -> Condition:
    """Record a checked code (check_code) inside the caller's transaction."""
    if since is not None and since > ctx.now().astimezone(ctx.zone).date():
        raise UserError(f"The since-date {since.isoformat()} is in the future; give the date "
                        "the condition was diagnosed.")
    if any(c.code == code for c in current(session, patient.id)):
        raise UserError(f"{code} is already on {patient.mrn}'s problem list.")
    row = Condition(patient_id=patient.id, code=code, description=description, since=since,
                    added_at=ctx.now(), added_by=actor)
    session.add(row)
    session.flush()
    audit.append(session, ctx=ctx, actor=actor, action="condition.add", entity="patient",
                 entity_id=patient.id, after={"condition": str(row.id), "code": code,
                                              "since": since.isoformat() if since else None})
    return row


def add(ctx: AppContext, mrn: str, code: str, since: date | None = None,
        actor: str = "admin") -> ConditionView:
    from ccm_timer.services.people import patients

    checked, description = check_code(code)
    with ctx.write() as session:
        patient = patients.find(session, mrn)
        row = add_in(session, ctx, patient, checked, description, since, actor)
        return _view(row, chronic_list(ctx.paths.settings_dir))


def _removal(reason: str, code: str) -> tuple[str, str]:
    try:
        why = check_note(reason, "reason", MAX_REASON).strip()
    except ValueError as exc:
        raise UserError(f"{exc}.") from None
    if not why:
        raise UserError("Give a reason for removing the condition (--reason); nothing was "
                        "written.")
    try:
        return why, normalise(code)
    except ValueError as exc:
        raise UserError(f"{sentence(exc)[:-1]}; nothing was written.") from None


def _current_rows(session: Session, patient: Patient, wanted: str) -> list[Condition]:
    # A bundle from another workstation may have brought its own row of the same code:
    # removing the code removes every current row of it.
    rows = [c for c in current(session, patient.id) if c.code == wanted]
    if not rows:
        raise NotFound(f"{wanted} is not on {patient.mrn}'s problem list; see `ccm-timer "
                       "patient condition list`.")
    return rows


def check_removal(ctx: AppContext, mrn: str, code: str, reason: str) -> None:
    """What `remove` would refuse for the input itself, before anyone is asked for their
    password."""
    from ccm_timer.services.people import patients

    _, wanted = _removal(reason, code)
    with ctx.read() as session:
        _current_rows(session, patients.find(session, mrn), wanted)


def remove(ctx: AppContext, mrn: str, code: str, reason: str, *,
           by: Signer) -> ConditionView:
    """Remove a condition as `by`, attested for it: the row stays, with who, when and why."""
    from ccm_timer.services.people import access, patients

    why, wanted = _removal(reason, code)
    with ctx.write() as session:
        access.require(by, Action.REMOVE_CONDITION)
        patient = patients.find(session, mrn)
        rows = _current_rows(session, patient, wanted)
        for each in rows:
            each.removed_at, each.removed_by, each.removal_reason = ctx.now(), by.name, why
            session.add(each)
            audit.append(session, ctx=ctx, actor=by.name, action="condition.remove",
                         entity="patient", entity_id=patient.id,
                         before={"condition": str(each.id), "code": each.code},
                         after={"condition": str(each.id), "reason": why})
        return _view(rows[0], chronic_list(ctx.paths.settings_dir))


def list_for(ctx: AppContext, mrn: str, *, history: bool = False) -> list[ConditionView]:
    """The patient's current conditions (with `history`, removed ones too, oldest first)."""
    from ccm_timer.services.people import patients

    chronic = chronic_list(ctx.paths.settings_dir)
    with ctx.read() as session:
        patient = patients.find(session, mrn)
        if not history:  # one row per code, however many workstations recorded it
            unique = {r.code: r for r in reversed(current(session, patient.id))}
            return [_view(unique[code], chronic) for code in sorted(unique)]
        rows = session.exec(select(Condition).where(Condition.patient_id == patient.id)
                            .order_by(col(Condition.added_at)))
        return [_view(r, chronic) for r in rows]
