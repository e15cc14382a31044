"""The audit trail as administrators review it (HIPAA 164.312(b), audit controls): every
event, changes and reads, oldest first, one plain row each: when (clinic time), who, the
operating-system account of a read, the workstation, the action, the patient (its MRN,
resolved from the id of the patient or of the entry the event is about) or the month, and
a short what.

A row never carries a password (none is ever in an event), a note's text or an event's
before/after JSON: the "what" is made from a few named fields only. Reviewing the trail
is itself a read, recorded before the rows are read (Read.AUDIT).

A month is found by bisecting the primary key (events are appended in clock order), so a
month of 100k events is read without scanning the table; the day of slack on either side
keeps events written while the clock was set back by less than a day.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Row
from sqlmodel import Session, col, select

from ccm_timer.core.access import WHAT, Action
from ccm_timer.core.collation import name_key
from ccm_timer.core.month import month_bounds_utc, parse_month
from ccm_timer.errors import UserError
from ccm_timer.services.context import AppContext
from ccm_timer.services.people import access, patients
from ccm_timer.services.people.access import Signer
from ccm_timer.services.security import audit_reads, credentials
from ccm_timer.services.security.audit_reads import Read
from ccm_timer.store.models import AuditEvent, Clinician, Patient, TimeEntry

COLUMNS = ("When", "Who", "OS account", "Workstation", "Action", "Patient", "Month", "What")
SLACK = timedelta(days=1)
_CHUNK = 500  # ids per IN (...) query, below SQLite's parameter limit


@dataclass(frozen=True)
class EventRow:
    seq: int
    at_utc: datetime
    at: str  # clinic time, YYYY-MM-DD HH:MM:SS
    actor: str
    os_user: str  # the operating-system account, for a read
    workstation: str
    action: str
    entity: str
    entity_id: str
    mrn: str  # the patient the event is about, or ""
    month: str  # the month it is about, or ""
    what: str
    hash: str

    @property
    def is_read(self) -> bool:
        return self.entity == audit_reads.ENTITY

    def cells(self) -> tuple[str, ...]:
        """The table's columns (COLUMNS)."""
        return (self.at, self.actor, self.os_user, self.workstation, self.action, self.mrn,
                self.month, self.what)

    def to_dict(self) -> dict[str, Any]:
        found = asdict(self)
        found["at_utc"] = self.at_utc.isoformat()
        return found


@dataclass(frozen=True)
class LockedSignIn:
    name: str
    until: datetime
    failures: int

    def describe(self, zone: Any) -> str:
        return f"{self.name}: locked until {self.until.astimezone(zone):%Y-%m-%d %H:%M}"

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "locked_until": self.until.isoformat(),
                "failures_in_a_row": self.failures}


def reviewer(ctx: AppContext, by: Signer | None) -> str:
    """Who reviews: the administrator proven, or (while the clinic has none) the person of
    this workstation; refused in one sentence for anyone else."""
    name = access.require_admin(ctx, by, Action.AUDIT)
    if by is not None:
        return name
    try:
        return access.named(ctx, access.tray_person(ctx)).name
    except UserError:  # no default clinician yet: the OS account is in the event
        return name


def list_events(ctx: AppContext, by: Signer | None, *, month: str | None = None,
                person: str | None = None, mrn: str | None = None,
                where: str = "audit list") -> list[EventRow]:
    """The events (of the clinic-time `month`, by `person`, about the patient `mrn`),
    oldest first. Only an administrator may (access.require_admin); the review is recorded
    as a read (`where` says from which screen)."""
    who = reviewer(ctx, by)
    ym = _month(month)
    patient_id = None
    if mrn and mrn.strip():
        with ctx.read() as session:
            patient_id = patients.find(session, mrn).id
    audit_reads.record_read(ctx, who, Read.AUDIT, patient_id=patient_id, month=ym,
                            detail=where)
    with ctx.read() as session:
        rows = list(_events(session, ctx, ym))
        found = _resolve(session, ctx, rows)
    wanted = person.strip().casefold() if person and person.strip() else None
    chosen = mrn.strip().upper() if mrn and mrn.strip() else None
    return [r for r in found if (wanted is None or r.actor.casefold() == wanted)
            and (chosen is None or r.mrn.upper() == chosen)]


def locked_sign_ins(ctx: AppContext) -> list[LockedSignIn]:
    """The people whose sign-in is locked now (five wrong passwords in a row)."""
    states = credentials.sign_in_states(ctx)
    with ctx.read() as session:
        names = {str(i): n for i, n in session.exec(select(Clinician.id, Clinician.name))}
    return sorted((LockedSignIn(names.get(pid, pid), s.locked_until, s.failures)
                   for pid, s in states.items() if s.locked_until is not None),
                  key=lambda lock: name_key(lock.name))


def people(rows: Iterable[EventRow]) -> list[str]:
    """The names in `rows`, for a filter's choices."""
    return sorted({r.actor for r in rows}, key=name_key)


def _month(month: str | None) -> str | None:
    if month is None:
        return None
    try:
        return str(parse_month(month))
    except ValueError as exc:
        raise UserError(f"The month must be YYYY-MM, not {month!r} ({exc}).") from None


# Every column but `before` (and `evidence`): the after JSON only for its named fields.
_FIELDS = ("seq", "at_utc", "actor", "workstation", "action", "entity", "entity_id", "after",
           "hash")


def _events(session: Session, ctx: AppContext, month: str | None) -> Iterable[Row[Any]]:
    events = AuditEvent.__table__.c  # type: ignore[attr-defined]
    # The instant as its stored text: fromisoformat reads it ten times faster than strptime.
    query = sa.select(*(sa.type_coerce(events[name], sa.String) if name == "at_utc"
                        else events[name] for name in _FIELDS)).order_by(events.seq)
    if month is not None:
        lo, hi = month_bounds_utc(month, ctx.zone)
        first, last = _first_seq_at(session, lo - SLACK), _first_seq_at(session, hi + SLACK)
        query = query.where(events.seq >= first, events.seq < last, events.at_utc >= lo,
                            events.at_utc < hi)
    return session.connection().execute(query)


def _first_seq_at(session: Session, instant: datetime) -> int:
    """The first event at or after `instant`, by bisection over the primary key (one
    indexed look-up per step; the end of the chain plus one when there is none)."""
    top = session.exec(select(col(AuditEvent.seq)).order_by(col(AuditEvent.seq).desc())
                       .limit(1)).first() or 0
    lo, hi = 1, top + 1
    while lo < hi:
        mid = (lo + hi) // 2
        at = session.exec(select(col(AuditEvent.at_utc)).where(col(AuditEvent.seq) >= mid)
                          .order_by(col(AuditEvent.seq)).limit(1)).first()
        if at is None or at >= instant:
            hi = mid
        else:
            lo = mid + 1
    return lo


def _uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def _chunks(ids: list[uuid.UUID]) -> Iterable[list[uuid.UUID]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start:start + _CHUNK]


def _resolve(session: Session, ctx: AppContext, rows: list[Row[Any]]) -> list[EventRow]:
    """Each event as a row, its patient's MRN looked up in a few queries for all."""
    about_entry = list({u for r in rows if r.entity == "time_entry"
                        and (u := _uuid(r.entity_id)) is not None})
    entry_patient: dict[uuid.UUID, uuid.UUID] = {}
    for part in _chunks(about_entry):
        found = session.exec(select(col(TimeEntry.origin_id), col(TimeEntry.patient_id))
                             .where(col(TimeEntry.origin_id).in_(part)))
        entry_patient.update((o, p) for o, p in found if p is not None)
    mrns = {i: m for i, m in session.exec(select(col(Patient.id), col(Patient.mrn)))}
    by_mrn = {m.upper(): m for m in mrns.values()}
    out = []
    zone = ctx.zone
    for r in rows:
        # Only the events whose "what" or month comes from their after JSON are parsed:
        # an entry's is its whole snapshot, note included, and is never needed.
        after = _after(r.after) if r.entity in _PARSED or r.action in _SAYS_MORE else {}
        at_utc = datetime.fromisoformat(r.at_utc)
        key = _uuid(r.entity_id)
        if r.entity == "time_entry" and key is not None:
            key = entry_patient.get(key)
        mrn = mrns.get(key, "") if key is not None and r.entity != "export" else ""
        if r.entity == "export" and isinstance(after.get("scope"), str):
            mrn = by_mrn.get(after["scope"].upper(), "")
        month = after.get("month")
        out.append(EventRow(
            seq=r.seq, at_utc=at_utc, at=f"{at_utc.astimezone(zone):%Y-%m-%d %H:%M:%S}",
            actor=r.actor, os_user=str(after.get("os_user", "")) if r.entity == "read" else "",
            workstation=r.workstation, action=r.action, entity=r.entity, entity_id=r.entity_id,
            mrn=mrn, month=month if isinstance(month, str) else "", what=what(r.action, after),
            hash=r.hash))
    return out


def _after(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        found = json.loads(text)
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


# What each kind of event did, in a few words; the dynamic parts come from named fields
# that hold codes, counts and formats only, never free text a person typed.
_SAID = {
    Read.PATIENT.value: "viewed a patient's record",
    Read.NOTE_COPY.value: "copied a note",
    Read.PRINT.value: "printed",
    Read.REPORT.value: "ran a report",
    Read.EXPORT.value: "exported",
    Read.AUDIT.value: "reviewed the audit trail",
    Read.ENTRIES.value: "listed entries",
    "timer.start": "started a timer",
    "timer.stop": "stopped a timer",
    "timer.pause": "paused a timer",
    "timer.resume": "resumed a timer",
    "timer.gap": "timer gap (sleep) recorded",
    "entry.add": "added time by hand",
    "entry.edit": "corrected an entry",
    "entry.void": "voided an entry",
    "signin": "signed in",
    "credential.set": "set their password",
    "credential.change": "changed their password",
    "credential.reset": "reset a password",
    "clinician.add": "added a person",
    "patient.add": "added a patient",
    "patient.billing_practitioner": "named the billing practitioner",
    "enrollment.set": "recorded an enrolment or consent",
    "enrollment.withdraw": "recorded a withdrawal of consent",
    "consent_document.add": "stored a consent scan",
    "consent_document.read": "read a consent scan",
    "care_plan.add": "added to the care plan",
    "care_plan.end": "ended a care-plan item",
    "care_plan.review": "reviewed the care plan",
    "patient_month.set": "set the month's flags",
    "patient.update": "changed a patient's details",
    "condition.add": "added the condition",
    "condition.remove": "removed a condition",
    "month.approve": "approved the month",
    "export.record": "recorded an export",
    "export.content": "exported",
}


_PARSED = {audit_reads.ENTITY, "export"}
_SAYS_MORE = {"attest", "signin.fail", "clinician.duties", "condition.add", "month.approve"}


def what(action: str, after: dict[str, Any]) -> str:
    said = _SAID.get(action) or action.replace("_", " ").replace(".", ": ")
    if action.startswith("read.") and isinstance(after.get("detail"), str):
        return f"{said} ({after['detail'][:60]})"
    if action == "attest" and after.get("action") in {a.value for a in Action}:
        return f"gave their password to {WHAT[Action(after['action'])]}"
    if action == "signin.fail":
        return f"wrong password ({after.get('in_a_row', '?')} in a row)"
    if action == "signin.locked":
        return "sign-in locked"
    if action == "clinician.duties" and isinstance(after.get("duties"), list):
        return "duties now: " + (", ".join(map(str, after["duties"])) or "none")
    if action == "condition.add" and isinstance(after.get("code"), str):
        return f"{said} {after['code'][:12]}"
    if action.startswith("export.") and isinstance(after.get("format"), str):
        return f"{said}: {after['format']}" + (" (draft)" if after.get("draft") else "")
    if action == "month.approve" and isinstance(after.get("lines"), list):
        codes = [str(x["code"]) for x in after["lines"] if isinstance(x, dict) and "code" in x]
        return f"{said}: {' '.join(codes)}" if codes else f"{said} (nothing to bill)"
    return said
