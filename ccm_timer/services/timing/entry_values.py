"""What callers see of a time entry. Plain data, free of SQLAlchemy, so the command line's
fast status path and the full services build exactly the same view."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from ccm_timer.core.masking import masked_label
from ccm_timer.core.month import whole_seconds
from ccm_timer.core.timer import TimerState

S = TypeVar("S")


def mask(family: str, given: str, mrn: str) -> str:
    """Initials and the last digits of the MRN: enough to tell calls apart on a shared
    screen, not enough to identify anyone."""
    return masked_label(family, given, mrn)  # grapheme- and bidi-safe: core/masking.py


@dataclass(frozen=True)
class EntryRow:
    """One entry version as stored, joined with its patient, category and clinician."""

    id: uuid.UUID
    origin_id: uuid.UUID
    version: int
    patient_mrn: str | None
    patient_family: str | None
    patient_given: str | None
    category: str
    category_label: str
    program: str | None
    clinician: str
    clinician_role: str
    source: str
    state: TimerState  # running, paused or stopped
    note: str
    voided: bool
    void_reason: str | None
    change_reason: str | None
    workstation: str
    supersedes_id: uuid.UUID | None
    superseded: bool
    created_at: datetime


@dataclass(frozen=True)
class EntryView:
    id: uuid.UUID
    origin_id: uuid.UUID
    version: int
    patient_mrn: str | None
    patient_name: str | None
    patient_masked: str | None
    category: str
    category_label: str
    program: str | None
    clinician: str
    clinician_role: str
    start: datetime | None
    end: datetime | None  # None while running or paused
    seconds: int
    source: str
    state: TimerState  # running, paused or stopped
    note: str
    voided: bool
    void_reason: str | None
    change_reason: str | None
    workstation: str
    supersedes_id: uuid.UUID | None
    superseded: bool
    created_at: datetime

    def to_dict(self) -> dict:
        return {
            "id": str(self.id),
            "origin_id": str(self.origin_id),
            "version": self.version,
            "patient": self.patient_mrn,
            "category": self.category,
            "program": self.program,
            "clinician": self.clinician,
            "role": self.clinician_role,
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
            "seconds": self.seconds,
            "source": self.source,
            "state": self.state,
            "note": self.note,
            "voided": self.voided,
            "void_reason": self.void_reason,
            "change_reason": self.change_reason,
            "workstation": self.workstation,
            "supersedes": str(self.supersedes_id) if self.supersedes_id else None,
        }


def build_view(
    row: EntryRow, spans: list[tuple[datetime, datetime | None]], now: datetime
) -> EntryView:
    """Seconds are the sum of the stored intervals (an open one counts up to `now`)."""
    seconds = sum(whole_seconds(start, end or now) for start, end in spans)
    has_patient = row.patient_mrn is not None
    return EntryView(
        id=row.id,
        origin_id=row.origin_id,
        version=row.version,
        patient_mrn=row.patient_mrn,
        patient_name=f"{row.patient_family}, {row.patient_given}" if has_patient else None,
        patient_masked=(
            mask(row.patient_family or "", row.patient_given or "", row.patient_mrn or "")
            if has_patient else None
        ),
        category=row.category,
        category_label=row.category_label,
        program=row.program,
        clinician=row.clinician,
        clinician_role=row.clinician_role,
        start=spans[0][0] if spans else None,
        # The latest end, not the last interval's: after the clock stepped back, an interval
        # can start earlier yet end later than another.
        end=max((e for _, e in spans if e is not None), default=None)
        if row.state == TimerState.STOPPED else None,
        seconds=seconds,
        source=row.source,
        state=row.state,
        note=row.note,
        voided=row.voided,
        void_reason=row.void_reason,
        change_reason=row.change_reason,
        workstation=row.workstation,
        supersedes_id=row.supersedes_id,
        superseded=row.superseded,
        created_at=row.created_at,
    )


@dataclass(frozen=True)
class Status:
    state: TimerState  # idle, running or paused
    clinician: str | None
    entry: EntryView | None
    warning: str | None = None  # e.g. left running while no app was watching

    def to_dict(self) -> dict:
        return {
            "state": self.state,
            "clinician": self.clinician,
            "entry": self.entry.to_dict() if self.entry else None,
            "warning": self.warning,
        }


# --- Pure rules shared by the ORM services and the command line's plain path ------------


def snapshot_of(*, id: uuid.UUID, version: int, patient_id: uuid.UUID | None,
                category_id: uuid.UUID, program: str | None, clinician_id: uuid.UUID,
                state: str, note: str, voided: bool,
                spans: list[tuple[datetime, datetime | None]]) -> dict:
    """What the audit trail records of an entry version (its intervals by start)."""
    return {
        "id": str(id),
        "version": version,
        "patient_id": str(patient_id) if patient_id else None,
        "category_id": str(category_id),
        "program": program,
        "clinician_id": str(clinician_id),
        "state": state,
        "note": note,
        "voided": voided,
        "intervals": [[s.isoformat(), e.isoformat() if e else None] for s, e in spans],
    }


def subject_problem(label: str, program_level: bool, patient_mrn: str | None) -> str | None:
    """Why a category and a patient do not go together, or None."""
    if program_level and patient_mrn:
        return (f"{label} is program-level oversight and takes no patient; "
                "leave out --patient.")
    if not program_level and not patient_mrn:
        return f"{label} needs a patient: pass --patient MRN."
    return None


def timer_order(spans: list[S], id_of: Callable[[S], Any],
                   end_of: Callable[[S], datetime | None]) -> list[S]:
    """The intervals as the state machine needs them: the closed ones in the order they were
    made, then the open one (found by its empty end). Stored order is by start, which is not
    the timer's order once the wall clock has stepped back past an interval's start; ids are
    time-ordered and never go backwards within one process, so they keep the making order."""
    closed = sorted((s for s in spans if end_of(s) is not None), key=id_of)
    return closed + [s for s in spans if end_of(s) is None]
