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

from ccm_timer.errors import DatabaseError
from ccm_timer.services.context import AppContext
from ccm_timer.services.security import audit


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
                detail: str | None = None) -> bool:
    """Append the read's event in a transaction of its own; False when the database is
    read-only and the read went unrecorded."""
    if ctx.read_only is not None:
        return False
    after = {"os_user": os_user(), "month": month, "detail": detail}
    try:
        with ctx.write() as session:
            audit.append(session, ctx=ctx, actor=actor, action=read.value, entity="read",
                         entity_id=str(patient_id) if patient_id else (month or ""),
                         after={k: v for k, v in after.items() if v is not None})
    except DatabaseError:
        if ctx.read_only is not None:
            return False
        raise
    return True
