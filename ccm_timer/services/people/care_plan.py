"""The comprehensive care plan: problems (each linked, where it can be, to a condition on the
patient's list), measurable goals, and interventions or planned services, each dated and
attributed to a clinician; and its reviews, each with who reviewed it, when, and whether the
plan was substantially revised (complex CCM needs a plan established or substantially
revised; services/month/month_record.py derives that for the month).

Decisions, so a reader need not guess:
- A problem may be recorded without a condition (a social or functional problem, "lives
  alone, no transport", has no ICD-10-CM code of its own); a `condition` given must be on
  the patient's current list, so a link never points at nothing.
- Noridian's CCM Q&A: an RN or LPN may revise and monitor the plan but not create it. The
  care team often types what the practitioner decided, so recording the plan's first item
  as clinical staff is not refused; the item carries a `notice` (the command line prints
  it) asking to attribute it with `--as` the practitioner who established the plan, and
  the audit event records the role.
- Nothing is deleted: ending an item keeps it, with who ended it, when and why.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text as sql
from sqlmodel import Session, col, select

from ccm_timer.core.conditions import normalise
from ccm_timer.core.parse import check_note
from ccm_timer.errors import NotFound, UserError, sentence
from ccm_timer.services.context import AppContext
from ccm_timer.services.people import clinicians, conditions, patients
from ccm_timer.services.security import audit
from ccm_timer.store.models import CarePlanItem, CarePlanKind, CarePlanReview, Clinician, Role

MAX_TEXT = 1000
MAX_REASON = 500
KINDS = tuple(k.value for k in CarePlanKind)  # problem, goal, intervention: the shown order

ESTABLISH_NOTICE = (
    "{who} is clinical staff, and Medicare expects the billing practitioner to establish "
    "the care plan (an RN or LPN may revise and monitor it, Noridian JE CCM Q&A); if a "
    "practitioner established it, record the item again with --as that practitioner and "
    "end this one.")


@dataclass(frozen=True)
class CarePlanItemView:
    id: uuid.UUID
    kind: str
    text: str
    condition_code: str | None
    created_at: datetime
    created_by: str
    ended_at: datetime | None = None
    ended_by: str | None = None
    end_reason: str | None = None
    notice: str | None = None  # a caution for the person who just recorded it

    def to_dict(self) -> dict[str, Any]:
        return {"id": str(self.id), "kind": self.kind, "text": self.text,
                "condition": self.condition_code, "created_at": self.created_at.isoformat(),
                "created_by": self.created_by}

    def history_dict(self) -> dict[str, Any]:
        return {**self.to_dict(),
                "ended_at": self.ended_at.isoformat() if self.ended_at else None,
                "ended_by": self.ended_by, "end_reason": self.end_reason}


@dataclass(frozen=True)
class CarePlanView:
    items: tuple[CarePlanItemView, ...]  # the current ones, problems, goals, interventions
    reviewed_at: datetime | None = None
    reviewed_by: str | None = None
    substantial: bool = False  # the last review's
    reviewer_id: uuid.UUID | None = None

    def of_kind(self, kind: str) -> tuple[CarePlanItemView, ...]:
        return tuple(i for i in self.items if i.kind == kind)

    def to_dict(self) -> dict[str, Any]:
        return {"items": [i.to_dict() for i in self.items],
                "reviewed_at": self.reviewed_at.isoformat() if self.reviewed_at else None,
                "reviewed_by": self.reviewed_by,
                "reviewer_id": str(self.reviewer_id) if self.reviewer_id else None,
                "substantial": self.substantial}


def _item_view(row: CarePlanItem, notice: str | None = None) -> CarePlanItemView:
    return CarePlanItemView(row.id, CarePlanKind(row.kind).value, row.text, row.condition_code,
                            row.created_at, row.created_by, row.ended_at, row.ended_by,
                            row.end_reason, notice)


def parse_kind(text: str) -> CarePlanKind:
    try:
        return CarePlanKind(text.strip().lower())
    except ValueError:
        raise UserError(f"The kind must be problem, goal or intervention, not {text!r}; "
                        "nothing was written.") from None


def _checked(text: str, what: str, max_len: int) -> str:
    try:
        value = check_note(text, what, max_len)
    except ValueError as exc:
        raise UserError(f"{sentence(exc)[:-1]}; nothing was written.") from None
    if not value:
        raise UserError(f"The {what} is empty; write it out (nothing was written).")
    return value


def _clinician(session: Session, ctx: AppContext, name_or_id: str | None) -> Clinician:
    return clinicians.find(session, ctx, name_or_id)


def current(session: Session, patient_id: uuid.UUID) -> list[CarePlanItem]:
    """The patient's current items, problems first, then goals, then interventions, each
    oldest first."""
    rows = session.exec(select(CarePlanItem).where(
        CarePlanItem.patient_id == patient_id, col(CarePlanItem.ended_at).is_(None))
        .order_by(col(CarePlanItem.created_at)))
    return sorted(rows, key=lambda r: KINDS.index(CarePlanKind(r.kind).value))


def _last_review(session: Session, patient_id: uuid.UUID) -> CarePlanReview | None:
    return session.exec(select(CarePlanReview).where(CarePlanReview.patient_id == patient_id)
                        .order_by(col(CarePlanReview.reviewed_at).desc())).first()


def _plan_view(session: Session, patient_id: uuid.UUID) -> CarePlanView:
    items = tuple(_item_view(r) for r in current(session, patient_id))
    last = _last_review(session, patient_id)
    if last is None:
        return CarePlanView(items)
    return CarePlanView(items, last.reviewed_at, last.reviewed_by, bool(last.substantial),
                        last.reviewer_id)


def add(ctx: AppContext, mrn: str, kind: str, text: str, condition: str | None = None,
        actor: str | None = None) -> CarePlanItemView:
    """Record a problem, goal or intervention, attributed to `actor` (a clinician's name or
    id; None: the default clinician)."""
    the_kind = parse_kind(kind)
    body = _checked(text, f"{the_kind.value} text", MAX_TEXT)
    code = None
    if condition is not None and condition.strip():
        try:
            code = normalise(condition)
        except ValueError as exc:
            raise UserError(f"{sentence(exc)[:-1]}; nothing was written.") from None
    with ctx.write() as session:
        patient = patients.find(session, mrn)
        who = _clinician(session, ctx, actor)
        if code is not None and all(c.code != code for c in
                                    conditions.current(session, patient.id)):
            raise UserError(
                f"{code} is not on {patient.mrn}'s condition list; add it first with "
                f"`ccm-timer patient condition add --mrn {patient.mrn} --icd10 {code}` "
                "(nothing was written).")
        establishing = not current(session, patient.id)
        notice = (ESTABLISH_NOTICE.format(who=who.name)
                  if establishing and who.role == Role.CLINICAL_STAFF else None)
        row = CarePlanItem(patient_id=patient.id, kind=the_kind, text=body,
                           condition_code=code, created_at=ctx.now(), created_by=who.name,
                           created_by_id=who.id)
        session.add(row)
        session.flush()
        audit.append(session, ctx=ctx, actor=who.name, action="care_plan.add",
                     entity="patient", entity_id=patient.id,
                     after={"item": str(row.id), "kind": the_kind.value, "text": body,
                            "condition": code, "by_id": str(who.id),
                            "by_role": Role(who.role).value, "establishes": establishing})
        return _item_view(row, notice)


def find_item(session: Session, ref: str | uuid.UUID) -> CarePlanItem:
    """An item by its id, or a prefix of at least 8 characters (what `careplan show`
    prints)."""
    if isinstance(ref, uuid.UUID):
        row = session.get(CarePlanItem, ref)
    else:
        ref = str(ref).strip().lower()
        try:
            row = session.get(CarePlanItem, uuid.UUID(ref))
        except ValueError:
            hexed = ref.replace("-", "")
            if len(hexed) < 8 or any(c not in "0123456789abcdef" for c in hexed):
                raise UserError(f"{ref!r} is not a care-plan item id; copy it from "
                                "`ccm-timer careplan show --mrn MRN` (nothing was "
                                "written).") from None
            # Ids are stored as 32 hex digits; a prefix search uses the primary-key index.
            matches = list(session.exec(select(CarePlanItem).where(
                sql("care_plan_item.id LIKE :p")).params(p=hexed + "%")).all()[:2])
            if len(matches) > 1:
                raise UserError(f"The id {ref!r} matches several care-plan items; give "
                                "more of it (nothing was written).") from None
            row = matches[0] if matches else None
    if row is None:
        raise NotFound(f"There is no care-plan item {str(ref)!r}; see `ccm-timer careplan "
                       "show --mrn MRN` (nothing was written).")
    return row


def end(ctx: AppContext, item_id: str | uuid.UUID, reason: str,
        actor: str | None = None) -> CarePlanItemView:
    """End an item (met, resolved, no longer planned); it stays in the history."""
    why = _checked(reason, "reason", MAX_REASON)
    with ctx.write() as session:
        row = find_item(session, item_id)
        if row.ended_at is not None:
            raise UserError(f"That {CarePlanKind(row.kind).value} was already ended on "
                            f"{row.ended_at.astimezone(ctx.zone).date().isoformat()} by "
                            f"{row.ended_by}; nothing was written.")
        who = _clinician(session, ctx, actor)
        row.ended_at, row.ended_by, row.end_reason = ctx.now(), who.name, why
        session.add(row)
        audit.append(session, ctx=ctx, actor=who.name, action="care_plan.end",
                     entity="patient", entity_id=row.patient_id,
                     before={"item": str(row.id), "kind": CarePlanKind(row.kind).value},
                     after={"item": str(row.id), "reason": why, "by_id": str(who.id)})
        return _item_view(row)


def review(ctx: AppContext, mrn: str, as_name: str | None = None,
           substantial: bool = False) -> CarePlanView:
    """Record that `as_name` (None: the default clinician) reviewed the whole plan now;
    `substantial` when they revised it substantially."""
    with ctx.write() as session:
        patient = patients.find(session, mrn)
        who = _clinician(session, ctx, as_name)
        if not current(session, patient.id):
            raise UserError(
                f"{patient.mrn} has no care plan to review; record its problems, goals and "
                f"interventions first with `ccm-timer careplan add --mrn {patient.mrn}` "
                "(nothing was written).")
        row = CarePlanReview(patient_id=patient.id, reviewed_at=ctx.now(),
                             reviewed_by=who.name, reviewer_id=who.id,
                             substantial=substantial)
        session.add(row)
        session.flush()
        audit.append(session, ctx=ctx, actor=who.name, action="care_plan.review",
                     entity="patient", entity_id=patient.id,
                     after={"review": str(row.id), "by_id": str(who.id),
                            "by_role": Role(who.role).value, "substantial": substantial})
        return _plan_view(session, patient.id)


def show(ctx: AppContext, mrn: str) -> CarePlanView:
    with ctx.read() as session:
        patient = patients.find(session, mrn)
        return _plan_view(session, patient.id)


def history(ctx: AppContext, mrn: str) -> list[CarePlanItemView]:
    """Every item ever recorded for the patient, ended ones too, oldest first."""
    with ctx.read() as session:
        patient = patients.find(session, mrn)
        rows = session.exec(select(CarePlanItem).where(CarePlanItem.patient_id == patient.id)
                            .order_by(col(CarePlanItem.created_at)))
        return [_item_view(r) for r in rows]
