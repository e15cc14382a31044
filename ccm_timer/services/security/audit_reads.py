"""Reads leave a trace too (HIPAA 164.312(b), audit controls): who opened which patient,
copied or printed a note, ran a report or exported, in the same hash chain as the changes.

A read's event names the person acting (signed in at the tray, or named on the command
line) and the operating-system account, never the content read. A database opened
read-only (a failed integrity check) cannot take the event; the read goes on, as looking at
a damaged record to restore it must, and the caller is told it was not recorded.
"""

from __future__ import annotations

import getpass
import uuid
from enum import StrEnum

from sqlmodel import Session, func, select

from ccm_timer.errors import DatabaseError
from ccm_timer.services.context import AppContext
from ccm_timer.services.security import audit
from ccm_timer.store.models import Patient

ENTITY = "read"  # every read event's entity; its id is the patient's id, or the month


class Read(StrEnum):
    PATIENT = "read.patient"  # a patient's window or record opened
    NOTE_COPY = "read.note_copy"  # a chart note copied to the clipboard
    PRINT = "read.print"
    REPORT = "read.report"  # a month report, worklist or status of patients
    EXPORT = "read.export"  # any export, draft or billing file (its own event follows)
    AUDIT = "read.audit"  # the audit trail itself reviewed
    ENTRIES = "read.entries"  # a list of entries naming patients


def os_user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError, ImportError):  # no login name (a service account)
        return "?"


def record_read(ctx: AppContext, actor: str, read: Read, *,
                patient_id: uuid.UUID | None = None, month: str | None = None,
                detail: str | None = None, mrn: str | None = None) -> bool:
    """Append the read's event in a transaction of its own; False when the database is
    read-only and the read went unrecorded. `mrn` names the patient when the caller has
    no id (an MRN no patient has names none: the read itself says so to the user)."""
    if ctx.read_only is not None:
        return False
    after = {"os_user": os_user(), "month": month, "detail": detail}
    try:
        with ctx.write() as session:
            if patient_id is None and mrn and mrn.strip():
                patient_id = _patient_id(session, mrn)
            audit.append(session, ctx=ctx, actor=actor, action=read.value, entity=ENTITY,
                         entity_id=str(patient_id) if patient_id else (month or ""),
                         after={k: v for k, v in after.items() if v is not None})
    except DatabaseError:
        if ctx.read_only is not None:
            return False
        raise
    return True


def _patient_id(session: Session, mrn: str) -> uuid.UUID | None:
    """As patients.find matches an MRN (either case), without its refusal."""
    exact = session.exec(select(Patient.id).where(Patient.mrn == mrn.strip())).first()
    return exact or session.exec(select(Patient.id).where(
        func.upper(Patient.mrn) == mrn.strip().upper())).first()
