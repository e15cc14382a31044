"""Program enrollments and consent. Time for a patient without consent is recorded and
reported, but its claim lines are held; so are the lines of a consent that does not record
how it was given, who obtained it and each of the three disclosures CMS requires (the rule
file's `[eligibility]` tables say which each program needs)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, select

from ccm_timer.errors import UserError
from ccm_timer.services.context import AppContext
from ccm_timer.services.security import audit
from ccm_timer.store.models import Clinician, ConsentMethod, Enrollment, Patient, Program

# The three disclosures, as the command line names them, and the column of each.
DISCLOSURES = {"cost-sharing": "disclosed_cost_sharing",
               "one-practitioner": "disclosed_one_practitioner",
               "right-to-stop": "disclosed_right_to_stop"}


@dataclass(frozen=True)
class EnrollmentView:
    id: uuid.UUID
    program: Program
    consent_date: date | None
    consent_method: str | None
    start_date: date | None
    end_date: date | None
    consent_by: str | None = None
    disclosures: tuple[str, ...] = ()  # recorded, in DISCLOSURES order
    withdrawn_on: date | None = None
    withdrawal_reason: str | None = None
    has_document: bool = False

    @property
    def consent_missing(self) -> tuple[str, ...]:
        """What a complete consent records and this one does not, in words for people."""
        if self.consent_date is None:
            return ("the consent date",)
        missing = []
        if self.consent_method not in {m.value for m in ConsentMethod}:
            missing.append("how it was given")
        if not self.consent_by:
            missing.append("who obtained it")
        missing += [f"the {name} disclosure" for name in DISCLOSURES
                    if name not in self.disclosures]
        return tuple(missing)

    def to_dict(self) -> dict:
        def day(value: date | None) -> str | None:
            return value.isoformat() if value else None

        return {
            "program": self.program.value,
            "consent_date": day(self.consent_date),
            "consent_method": self.consent_method,
            "consent_by": self.consent_by,
            "disclosures": list(self.disclosures),
            "consent_complete": not self.consent_missing,
            "consent_document": self.has_document,
            "start_date": day(self.start_date),
            "end_date": day(self.end_date),
            "withdrawn_on": day(self.withdrawn_on),
            "withdrawal_reason": self.withdrawal_reason,
        }


def view(row: Enrollment) -> EnrollmentView:
    return EnrollmentView(
        row.id, row.program, row.consent_date, row.consent_method, row.start_date,
        row.end_date, row.consent_by,
        tuple(name for name, column in DISCLOSURES.items() if getattr(row, column)),
        row.withdrawn_on, row.withdrawal_reason, row.consent_document_id is not None,
    )


def parse_method(text: str | None) -> ConsentMethod | None:
    if text is None:
        return None
    try:
        return ConsentMethod(text.strip().lower())
    except ValueError:
        raise UserError(f"The consent method {text!r} is unknown; use verbal or written.") \
            from None


def parse_disclosures(text: str | Iterable[str]) -> frozenset[str]:
    """"cost-sharing,right-to-stop" (or a list of names) as a set; UserError naming the bad one."""
    names = [n.strip().lower() for n in (text.split(",") if isinstance(text, str) else text)]
    found = frozenset(n for n in names if n)
    if bad := sorted(found - DISCLOSURES.keys()):
        raise UserError(f"The disclosure {bad[0]!r} is unknown; use "
                        f"{', '.join(DISCLOSURES)} (comma-separated).")
    return found


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
    consent_by: Clinician | None = None,
    disclosures: frozenset[str] | None = None,
    document_id: uuid.UUID | None = None,
) -> Enrollment:
    """Enroll (or update the enrollment of) a patient in a program, inside `session`.

    The stored end date is kept unless one is given (None reopens the enrollment), so
    recording consent never silently reopens an ended enrollment. A new consent date
    replaces the whole consent: who obtained it and the disclosures are what is given now
    (`disclosures` None keeps them only when the date is unchanged)."""
    if consent_date and isinstance(end_date, date) and end_date < consent_date:
        raise UserError("The enrollment ends before consent was given; check the dates.")
    method = parse_method(consent_method)
    row = session.exec(
        select(Enrollment).where(
            Enrollment.patient_id == patient.id, Enrollment.program == program
        )
    ).first()
    before = view(row).to_dict() if row else None
    if row is None:
        row = Enrollment(patient_id=patient.id, program=program)
    same_consent = row.consent_date == consent_date
    row.consent_date = consent_date
    row.consent_method = method.value if method else (row.consent_method if same_consent
                                                      else None)
    if consent_by is not None:
        row.consent_by, row.consent_by_id = consent_by.name, consent_by.id
    elif not same_consent:
        row.consent_by = row.consent_by_id = None
    if disclosures is not None or not same_consent:
        for name, column in DISCLOSURES.items():
            setattr(row, column, name in (disclosures or ()))
    if document_id is not None:
        row.consent_document_id = document_id
    elif not same_consent:
        row.consent_document_id = None
    if consent_date is not None and row.withdrawn_on is not None and (
            consent_date > row.withdrawn_on):
        # A consent given again after a withdrawal starts a new enrolment from its date.
        row.withdrawn_on = row.withdrawal_reason = None
        row.end_date = None
        row.start_date = consent_date
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


def withdraw(session: Session, ctx: AppContext, patient: Patient, program: Program, on: date,
             reason: str, actor: str = "admin") -> Enrollment:
    """Consent withdrawn: the enrolment ends on `on`, so no later month is billed for the
    program (the month of the withdrawal still is, for its time before the date)."""
    row = session.exec(select(Enrollment).where(
        Enrollment.patient_id == patient.id, Enrollment.program == program)).first()
    if row is None:
        raise UserError(f"{patient.mrn} is not enrolled in {program.value}; nothing to "
                        "withdraw.")
    if row.withdrawn_on is not None:
        raise UserError(f"{patient.mrn}'s {program.value} consent was already withdrawn on "
                        f"{row.withdrawn_on.isoformat()}.")
    if row.start_date is not None and on < row.start_date:
        raise UserError(f"The withdrawal date {on.isoformat()} is before the enrolment began "
                        f"({row.start_date.isoformat()}); check the date.")
    before = view(row).to_dict()
    row.withdrawn_on, row.withdrawal_reason = on, reason
    row.end_date = on if row.end_date is None else min(row.end_date, on)
    session.add(row)
    session.flush()
    audit.append(session, ctx=ctx, actor=actor, action="enrollment.withdraw",
                 entity="patient", entity_id=patient.id, before=before,
                 after=view(row).to_dict())
    return row
