"""Program enrollments and consent. Time for a patient without consent is recorded and
reported, but its claim lines are held."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, select

from ccm_timer.errors import UserError
from ccm_timer.services.context import AppContext
from ccm_timer.services.security import audit
from ccm_timer.store.models import Enrollment, Patient, Program


@dataclass(frozen=True)
class EnrollmentView:
    id: uuid.UUID
    program: Program
    consent_date: date | None
    consent_method: str | None
    start_date: date | None
    end_date: date | None

    def to_dict(self) -> dict:
        return {
            "program": self.program.value,
            "consent_date": self.consent_date.isoformat() if self.consent_date else None,
            "consent_method": self.consent_method,
            "start_date": self.start_date.isoformat() if self.start_date else None,
            "end_date": self.end_date.isoformat() if self.end_date else None,
        }


def view(row: Enrollment) -> EnrollmentView:
    return EnrollmentView(
        row.id, row.program, row.consent_date, row.consent_method, row.start_date, row.end_date
    )


KEEP = object()  # "leave the stored value as it is"


def parse_program(text: str) -> Program:
    try:
        return Program(text.upper())
    except ValueError:
        names = ", ".join(p.value for p in Program)
        raise UserError(f"The program {text!r} is unknown; use one of {names}.") from None


def enroll(
    session: Session,
    ctx: AppContext,
    patient: Patient,
    program: Program,
    *,
    consent_date: date | None,
    consent_method: str | None = None,
    start_date: date | None = None,
    end_date: date | None | object = KEEP,
    actor: str = "admin",
) -> Enrollment:
    """Enroll (or update the enrollment of) a patient in a program, inside `session`.

    The stored end date is kept unless one is given (None reopens the enrollment), so
    recording consent never silently reopens an ended enrollment."""
    if consent_date and isinstance(end_date, date) and end_date < consent_date:
        raise UserError("The enrollment ends before consent was given; check the dates.")
    row = session.exec(
        select(Enrollment).where(
            Enrollment.patient_id == patient.id, Enrollment.program == program
        )
    ).first()
    before = view(row).to_dict() if row else None
    if row is None:
        row = Enrollment(patient_id=patient.id, program=program)
    row.consent_date = consent_date
    row.consent_method = consent_method
    row.start_date = start_date or row.start_date or consent_date
    if end_date is not KEEP:
        row.end_date = end_date  # type: ignore[assignment]
    session.add(row)
    session.flush()
    audit.append(
        session, ctx=ctx, actor=actor, action="enrollment.set", entity="patient",
        entity_id=patient.id, before=before, after=view(row).to_dict(),
    )
    return row


def for_patient(session: Session, patient_id: uuid.UUID) -> list[EnrollmentView]:
    rows = session.exec(select(Enrollment).where(Enrollment.patient_id == patient_id))
    return sorted((view(r) for r in rows), key=lambda e: e.program.value)
