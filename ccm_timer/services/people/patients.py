"""Patients: add, find by MRN, list. Roster import lives in roster.py."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func
from sqlmodel import Session, col, select

from ccm_timer.core.parse import check_mrn, fold, parse_person_name
from ccm_timer.errors import NotFound, UserError
from ccm_timer.services.context import AppContext
from ccm_timer.services.people import enrollments
from ccm_timer.services.people.enrollments import EnrollmentView
from ccm_timer.services.security import audit
from ccm_timer.services.timing.entry_values import mask
from ccm_timer.store.models import Enrollment, Patient


@dataclass(frozen=True)
class PatientView:
    id: uuid.UUID
    mrn: str
    family_name: str
    given_name: str
    birth_date: date | None
    enrollments: tuple[EnrollmentView, ...] = field(default=())

    @property
    def display_name(self) -> str:
        return f"{self.family_name}, {self.given_name}"

    @property
    def masked(self) -> str:
        return mask(self.family_name, self.given_name, self.mrn)

    def matches(self, query: str) -> bool:
        q = fold(query.strip())
        return q in fold(self.mrn) or q in fold(f"{self.family_name} {self.given_name}") or (
            q in fold(self.display_name)
        )

    def to_dict(self) -> dict:
        return {
            "id": str(self.id),
            "mrn": self.mrn,
            "family_name": self.family_name,
            "given_name": self.given_name,
            "birth_date": self.birth_date.isoformat() if self.birth_date else None,
            "enrollments": [e.to_dict() for e in self.enrollments],
        }


def view(row: Patient, enrolled: list[EnrollmentView] | tuple = ()) -> PatientView:
    return PatientView(
        row.id, row.mrn, row.family_name, row.given_name, row.birth_date, tuple(enrolled)
    )


def validate(mrn: str, name: str) -> tuple[str, str, str]:
    """(mrn, family, given), or ValueError with the reason."""
    mrn = check_mrn(mrn)
    family, given = parse_person_name(name)
    return mrn, family, given


def add(
    ctx: AppContext,
    *,
    mrn: str,
    name: str,
    birth_date: date | None = None,
    program: str | None = None,
    consent: date | None = None,
) -> PatientView:
    try:
        mrn, family, given = validate(mrn, name)
    except ValueError as exc:
        raise UserError(f"Cannot add the patient: {exc}.") from None
    if consent and not program:
        raise UserError("--consent needs --program: say which program the consent is for.")
    the_program = enrollments.parse_program(program) if program else None
    with ctx.write() as session:
        clash = session.exec(select(Patient).where(func.upper(Patient.mrn) == mrn.upper())).first()
        if clash:
            raise UserError(f"A patient with MRN {clash.mrn} already exists; check the number.")
        row = Patient(mrn=mrn, family_name=family, given_name=given, birth_date=birth_date)
        session.add(row)
        session.flush()
        audit.append(
            session, ctx=ctx, actor="admin", action="patient.add", entity="patient",
            entity_id=row.id, after={"mrn": mrn},
        )
        if the_program:
            enrollments.enroll(session, ctx, row, the_program, consent_date=consent)
        return view(row, enrollments.for_patient(session, row.id))


def find(session: Session, mrn: str) -> Patient:
    """By MRN; letters match in either case, as MRNs differing only in case are refused."""
    row = session.exec(select(Patient).where(Patient.mrn == mrn.strip())).first() or (
        session.exec(select(Patient).where(func.upper(Patient.mrn) == mrn.strip().upper()))
        .first()
    )
    if row is None or not row.active:
        raise NotFound(
            f"No patient has MRN {mrn.strip()!r}; check the number or add the patient with "
            "`ccm-timer patient add`."
        )
    return row


def get(ctx: AppContext, mrn: str) -> PatientView:
    with ctx.read() as session:
        row = find(session, mrn)
        return view(row, enrollments.for_patient(session, row.id))


def list_patients(ctx: AppContext, query: str = "") -> list[PatientView]:
    with ctx.read() as session:
        rows = list(
            session.exec(
                select(Patient)
                .where(Patient.active)
                .order_by(col(Patient.family_name), col(Patient.given_name))
            )
        )
        by_patient: dict[uuid.UUID, list[EnrollmentView]] = {}
        for e in session.exec(select(Enrollment)):
            by_patient.setdefault(e.patient_id, []).append(enrollments.view(e))
    result = [view(r, by_patient.get(r.id, [])) for r in rows]
    return [p for p in result if p.matches(query)] if query else result


def set_consent(
    ctx: AppContext, mrn: str, program: str, consent: date | None, method: str | None = None,
    actor: str = "admin",
) -> PatientView:
    the_program = enrollments.parse_program(program)
    with ctx.write() as session:
        row = find(session, mrn)
        enrollments.enroll(
            session, ctx, row, the_program, consent_date=consent, consent_method=method,
            actor=actor,
        )
        return view(row, enrollments.for_patient(session, row.id))


def set_billing_practitioner(ctx: AppContext, mrn: str, practitioner: str, actor: str = "admin"
                             ) -> PatientView:
    """Name the practitioner who bills for this patient (one per patient-month)."""
    from ccm_timer.services.people import clinicians
    from ccm_timer.store.models import Role

    with ctx.write() as session:
        row = find(session, mrn)
        who = clinicians.find(session, ctx, practitioner)
        if who.role is not Role.PRACTITIONER:
            raise UserError(
                f"{who.name} is clinical staff; the billing practitioner must be a physician "
                "or qualified practitioner (MD, DO, NP, PA, CNS, CNM)."
            )
        before = str(row.billing_practitioner_id) if row.billing_practitioner_id else None
        row.billing_practitioner_id = who.id
        session.add(row)
        audit.append(
            session, ctx=ctx, actor=actor, action="patient.billing_practitioner",
            entity="patient", entity_id=row.id, before={"billing_practitioner": before},
            after={"billing_practitioner": str(who.id)},
        )
        return view(row, enrollments.for_patient(session, row.id))
