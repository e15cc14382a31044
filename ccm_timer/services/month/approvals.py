"""Month close: the billing practitioner approves a patient's month, and any later change to
that patient-month's time reopens it.

"Later" is measured on the audit trail, not the clock: every entry change appends an audit
event, and an approval (or export) remembers the sequence number it saw. Entries that came
from another workstation (no local audit event) are caught by their version's created_at.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlmodel import Session, col, select

from ccm_timer.core.access import Action
from ccm_timer.core.month import YearMonth, month_bounds_utc, parse_month
from ccm_timer.errors import UserError, sentence
from ccm_timer.services.context import AppContext
from ccm_timer.services.month.report import PatientReport, month_report_on
from ccm_timer.services.people import access, clinicians
from ccm_timer.services.people.access import Refused, Signer
from ccm_timer.services.security import audit
from ccm_timer.store.instants import to_db_text
from ccm_timer.store.models import (
    AuditEvent,
    Category,
    Clinician,
    MonthApproval,
    Patient,
)

_WHAT = {
    "entry.add": "added", "entry.edit": "edited", "entry.void": "voided",
    "timer.start": "timer started", "timer.stop": "timer stopped", "timer.pause": "paused",
    "timer.resume": "resumed", "timer.gap": "sleep gap removed",
}


@dataclass(frozen=True)
class Change:
    """One change to a patient-month's time after a point on the audit trail."""

    origin_id: str  # the entry's; empty for a change to the patient's month or consent
    what: str
    at: datetime
    by: str
    reason: str | None = None
    summary: str = ""  # "11/03/2026 10:00, Phone call ..., Avery Nurse: edited (why)"

    def to_dict(self) -> dict[str, Any]:
        return {"entry": self.origin_id or None, "what": self.what, "at": self.at.isoformat(),
                "by": self.by, "reason": self.reason, "summary": self.summary}


@dataclass(frozen=True)
class Mark:
    """A point a patient-month is compared against: an approval or an export."""

    seq: int
    at: datetime


class Approval(StrEnum):
    NOT_APPROVED = "not approved"
    APPROVED = "approved"  # and unchanged since
    REOPENED = "reopened"  # approved, then its time changed: to be approved again


@dataclass(frozen=True)
class ApprovalState:
    patient_id: uuid.UUID
    mrn: str
    name: str
    month: str
    approved_by: str | None = None
    approved_at: datetime | None = None
    approver_id: uuid.UUID | None = None
    changes: tuple[Change, ...] = field(default=())

    @property
    def approved(self) -> bool:
        """Approved and unchanged since."""
        return self.approved_at is not None and not self.changes

    @property
    def reopened(self) -> bool:
        return self.approved_at is not None and bool(self.changes)

    @property
    def status(self) -> Approval:
        return (Approval.APPROVED if self.approved else Approval.REOPENED if self.reopened
                else Approval.NOT_APPROVED)

    def to_dict(self) -> dict[str, Any]:
        return {"mrn": self.mrn, "name": self.name, "month": self.month,
                "approved": self.approved, "reopened": self.reopened,
                "approved_by": self.approved_by,
                "approved_at": self.approved_at.isoformat() if self.approved_at else None,
                "changes": [c.to_dict() for c in self.changes]}


def _touches(snap: Mapping[str, Any] | None, pid: str, lo: datetime, hi: datetime) -> bool:
    if not snap or snap.get("patient_id") != pid:
        return False
    return any(  # an open interval (a running timer) runs on
        datetime.fromisoformat(start) < hi and (end is None or datetime.fromisoformat(end) > lo)
        for start, end in snap["intervals"]
    )


def _summary(snap: Mapping[str, Any] | None, zone: ZoneInfo, labels: Mapping[str, str],
             people: Mapping[str, str]) -> str:
    if not snap or not snap.get("intervals"):
        return ""
    start = datetime.fromisoformat(snap["intervals"][0][0]).astimezone(zone)
    return (f"{start.strftime('%m/%d/%Y %H:%M')}, {labels.get(snap['category_id'], '?')}, "
            f"{people.get(snap['clinician_id'], '?')}")


def changes_since(session: Session, month: YearMonth, zone: ZoneInfo,
                  marks: Mapping[str, Mark], workstation: str) -> dict[str, list[Change]]:
    """Per patient id (str), the changes to its time in `month` after its mark."""
    found: dict[str, dict[str, Change]] = {pid: {} for pid in marks}
    if not marks:
        return {}
    lo, hi = month_bounds_utc(month, zone)
    labels = {str(c.id): c.label for c in session.exec(select(Category))}
    people = {str(c.id): c.name for c in session.exec(select(Clinician))}
    events = session.exec(
        select(AuditEvent).where(col(AuditEvent.entity).in_(["time_entry", "patient"]),
                                 col(AuditEvent.seq) > min(m.seq for m in marks.values()))
        .order_by(col(AuditEvent.seq)))
    for event in events:
        assert event.seq is not None  # read from the table: the key is set
        before = json.loads(event.before) if event.before else None
        after = json.loads(event.after) if event.after else None
        if event.entity == "patient":
            _patient_change(event, before, after, str(month), marks, found)
            continue
        for pid in marks.keys() & {(snap or {}).get("patient_id") for snap in (before, after)}:
            if event.seq <= marks[pid].seq:
                continue
            was, now = _touches(before, pid, lo, hi), _touches(after, pid, lo, hi)
            if not (was or now):
                continue
            what = _WHAT.get(event.action, event.action.replace(".", " "))
            if was and not now:
                what = "moved to another patient or month"
            reason = (after or {}).get("reason")
            text_ = _summary(after if now else before, zone, labels, people)
            tail = f"{what} ({reason})" if reason else what
            found[pid][event.entity_id] = Change(
                event.entity_id, what, event.at_utc, event.actor, reason,
                f"{text_}: {tail}" if text_ else tail)
    _elsewhere(session, marks, found, (lo, hi), workstation, labels, people, zone)
    return {pid: list(changes.values()) for pid, changes in found.items() if changes}


def _patient_change(event: AuditEvent, before: Mapping[str, Any] | None,
                    after: Mapping[str, Any] | None, month: str, marks: Mapping[str, Mark],
                    found: dict) -> None:
    """Consent, enrollment or month flags changed: the month's claim lines may change."""
    mark = marks.get(event.entity_id)
    if mark is None or event.seq is None or event.seq <= mark.seq:
        return
    if event.action == "patient_month.set" and after and after.get("month") == month:
        flags = ", ".join(f"{k.replace('_', ' ')} {'yes' if v else 'no'}"
                          for k, v in after.items()
                          if k != "month" and (before or {}).get(k) != v)
        what = f"month flags changed ({flags})"
    elif event.action == "enrollment.set":
        what = f"{(after or {}).get('program', 'program')} enrollment or consent changed"
    else:
        return
    found[event.entity_id][f"{event.action}#{event.seq}"] = Change(
        "", what, event.at_utc, event.actor, None, what)


def _elsewhere(session: Session, marks: Mapping[str, Mark], found: dict,
               bounds: tuple[datetime, datetime], workstation: str,
               labels: Mapping[str, str], people: Mapping[str, str], zone: ZoneInfo) -> None:
    """Versions written on another workstation and imported (no audit event here)."""
    since = min(m.at for m in marks.values())
    lo, hi = bounds
    rows = session.connection().execute(text(
        "SELECT e.origin_id, e.patient_id, e.created_at, e.category_id, e.clinician_id, "
        "MIN(i.start_utc) FROM time_entry e JOIN interval i ON i.entry_id = e.id "
        "WHERE e.superseded_at IS NULL AND e.created_at > :since AND e.workstation <> :me "
        "AND i.start_utc < :hi AND COALESCE(i.end_utc, :hi) > :lo "
        "GROUP BY e.id"
    ).bindparams(since=to_db_text(since), lo=to_db_text(lo), hi=to_db_text(hi),
                 me=workstation)).all()
    for origin, patient_id, created, category_id, clinician_id, start in rows:
        pid, origin = str(_uuid(patient_id)), str(_uuid(origin))
        mark = marks.get(pid)
        when = datetime.fromisoformat(str(created).replace("Z", "+00:00"))
        if mark is None or when <= mark.at or origin in found[pid]:
            continue
        local = datetime.fromisoformat(str(start).replace("Z", "+00:00")).astimezone(zone)
        found[pid][origin] = Change(
            origin, "changed on another workstation", when, people.get(
                str(_uuid(clinician_id)), "?"), None,
            f"{local.strftime('%m/%d/%Y %H:%M')}, {labels.get(str(_uuid(category_id)), '?')}"
            ": changed on another workstation")


def _uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def latest(session: Session, month: str) -> dict[str, MonthApproval]:
    """The newest approval of each patient for `month`, by patient id (str)."""
    rows = session.exec(select(MonthApproval).where(MonthApproval.month == month)
                        .order_by(col(MonthApproval.audit_seq)))
    return {str(r.patient_id): r for r in rows}


def _month(month: str) -> YearMonth:
    try:
        return parse_month(month)
    except ValueError as exc:
        raise UserError(sentence(exc)) from None


def states(ctx: AppContext, month: str, mrn: str | None = None) -> list[ApprovalState]:
    """Every patient of the month report with its approval, reopened when changed since."""
    ym = _month(month)
    report = month_report_on(ctx.engine, ym, ctx.zone, ctx.now(), mrn,
                             other_time=ctx.settings.other_practitioner_time)
    with ctx.read() as session:
        approved = latest(session, str(ym))
        marks = {pid: Mark(a.audit_seq, a.approved_at) for pid, a in approved.items()}
        changed = changes_since(session, ym, ctx.zone, marks, ctx.workstation)
    out = []
    for p in report.patients:
        a = approved.get(str(p.patient_id))
        out.append(ApprovalState(
            p.patient_id, p.mrn, p.display_name, str(ym),
            a.approved_by if a else None, a.approved_at if a else None,
            a.approver_id if a else None, tuple(changed.get(str(p.patient_id), ()))))
    return out


class Approved(list[ApprovalState]):
    """The patient-months approved, and how many were left for another billing practitioner
    (their name -> patients), which approving them all skips."""

    def __init__(self, states: list[ApprovalState], left: dict[str, int]) -> None:
        super().__init__(states)
        self.left = left


def approve(ctx: AppContext, month: str, mrn: str | None = None, *,
            by: Signer) -> Approved:
    """Approve the month's patients (or one) as `by`, attested for it: a practitioner
    approves the patients they are billing practitioner of (or that have none on file);
    the others are left for theirs. Who and when, with an audit event each."""
    ym = _month(month)
    with ctx.write() as session:
        access.require(by, Action.APPROVE, session)
        who = clinicians.find(session, ctx, str(by.id))
        # Read through the engine while holding the write lock: nothing can change between
        # what is approved and the approval.
        report = month_report_on(ctx.engine, ym, ctx.zone, ctx.now(), mrn,
                                 other_time=ctx.settings.other_practitioner_time)
        # An enrolled patient without time this month has nothing to bill or approve.
        chosen = [p for p in report.patients if p.result.total_seconds or p.result.lines]
        if not chosen:
            raise UserError(f"No patient has care-management time in {ym}; nothing to "
                            "approve.")
        if mrn is not None:
            access.require(by, Action.APPROVE, session, chosen[0].patient_id)
        chosen, left = _theirs(session, chosen, who)
        if not chosen:
            owners = ", ".join(f"{name} ({count})" for name, count in sorted(left.items()))
            raise Refused(f"None of {ym}'s patients with time is {who.name}'s to approve: "
                          f"their billing practitioners approve them ({owners}).")
        ids = [p.patient_id for p in chosen]
        running = session.connection().execute(text(
            "SELECT COUNT(*) FROM time_entry WHERE superseded_at IS NULL AND state <> 'STOPPED' "
            f"AND patient_id IN ({', '.join(':p' + str(i) for i in range(len(ids)))})"
        ).bindparams(**{f"p{i}": pid.hex for i, pid in enumerate(ids)})).one()[0]
        if running:
            raise UserError("A timer is still running for a patient being approved; stop it "
                            "first, then approve.")
        now = ctx.now()
        for p in chosen:
            lines = [line.to_dict() for line in p.result.lines]
            event = audit.append(
                session, ctx=ctx, actor=who.name, action="month.approve", entity="patient",
                entity_id=p.patient_id, after={"month": str(ym), "lines": lines})
            session.add(MonthApproval(
                patient_id=p.patient_id, month=str(ym), approved_at=now, approved_by=who.name,
                approver_id=who.id, audit_seq=event.seq or 0,
                lines=json.dumps(lines, sort_keys=True)))
        session.flush()
    done = {p.patient_id for p in chosen}
    return Approved([s for s in states(ctx, str(ym), mrn) if s.patient_id in done], left)


def _theirs(session: Session, chosen: list[PatientReport],
            who: Clinician) -> tuple[list[PatientReport], dict[str, int]]:
    """The patients `who` is billing practitioner of (or that have none), and the count
    left for each other billing practitioner."""
    owners = dict(session.exec(
        select(Patient.id, Clinician.name)
        .join(Clinician, col(Clinician.id) == col(Patient.billing_practitioner_id))
        .where(col(Clinician.id) != who.id)).all())
    left: dict[str, int] = {}
    for p in chosen:
        if p.patient_id in owners:
            left[owners[p.patient_id]] = left.get(owners[p.patient_id], 0) + 1
    return [p for p in chosen if p.patient_id not in owners], left
