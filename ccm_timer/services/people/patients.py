"""Patients: add, find by MRN, list, change, deactivate. Roster import lives in roster.py.

A deactivated patient leaves the pickers, the lists and the worklist (find() refuses them),
but nothing of their history is removed: their entries, months and record stay, and
reactivating them brings all of it back."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Literal

from sqlalchemy import func
from sqlmodel import Session, select

from ccm_timer.core.collation import name_key
from ccm_timer.core.parse import check_mrn, fold, parse_person_name
from ccm_timer.errors import NotFound, UserError
from ccm_timer.services.context import AppContext
from ccm_timer.services.people import enrollments
from ccm_timer.services.people.enrollments import EnrollmentView
from ccm_timer.services.security import audit
from ccm_timer.services.timing.entry_values import mask
from ccm_timer.store.models import Clinician, Enrollment, Patient, Role

if TYPE_CHECKING:
    from ccm_timer.services.people.access import Signer

CLEAR: Literal[""] = ""  # as a person, QMB or birth date: remove what is on file


@dataclass(frozen=True)
class PatientView:
    id: uuid.UUID
    mrn: str
    family_name: str
    given_name: str
    birth_date: date | None
    enrollments: tuple[EnrollmentView, ...] = field(default=())
    qmb: bool | None = None
    billing_practitioner_id: uuid.UUID | None = None
    care_manager_id: uuid.UUID | None = None
    active: bool = True

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
            "qmb": self.qmb,
        }


def view(row: Patient, enrolled: list[EnrollmentView] | tuple = ()) -> PatientView:
    return PatientView(
        row.id, row.mrn, row.family_name, row.given_name, row.birth_date, tuple(enrolled),
        row.qmb, row.billing_practitioner_id, row.care_manager_id, row.active,
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
    consent_method: str | None = None,
    consent_by: str | None = None,
    disclosures: str | Iterable[str] = (),
    qmb: bool | None = None,
    billing_practitioner: str | None = None,
    care_manager: str | None = None,
    actor: str = "admin",
    by: Signer | None = None,
) -> PatientView:
    """Add a patient. `by`, when given, is the person adding them (whose duties must allow
    a change of the record) and the one the event names."""
    actor = _may_change(by, actor)
    try:
        mrn, family, given = validate(mrn, name)
    except ValueError as exc:
        raise UserError(f"Cannot add the patient: {exc}.") from None
    _check_born(ctx, birth_date)
    if consent and not program:
        raise UserError("--consent needs --program: say which program the consent is for.")
    if (consent_method or consent_by or disclosures) and not consent:
        raise UserError("How consent was given, by whom and what was disclosed need its date "
                        "(--consent).")
    the_program = enrollments.parse_program(program) if program else None
    told = enrollments.parse_disclosures(disclosures)
    enrollments.parse_method(consent_method)
    with ctx.write() as session:
        clash = session.exec(select(Patient).where(func.upper(Patient.mrn) == mrn.upper())).first()
        if clash:
            raise UserError(f"A patient with MRN {clash.mrn} already exists; check the number.")
        row = Patient(mrn=mrn, family_name=family, given_name=given, birth_date=birth_date,
                      qmb=qmb)
        after: dict[str, str] = {"mrn": mrn}
        if billing_practitioner:
            row.billing_practitioner_id = _practitioner(session, ctx, billing_practitioner).id
            after["billing_practitioner"] = str(row.billing_practitioner_id)
        if care_manager:
            row.care_manager_id = _care_manager(session, ctx, care_manager).id
            after["care_manager"] = str(row.care_manager_id)
        session.add(row)
        session.flush()
        audit.append(
            session, ctx=ctx, actor=actor, action="patient.add", entity="patient",
            entity_id=row.id, after=after,
        )
        if the_program:
            obtainer = _obtainer(session, ctx, consent_by)
            enrollments.enroll(session, ctx, row, the_program, consent_date=consent,
                               consent_method=consent_method, consent_by=obtainer,
                               disclosures=told, actor=actor)
        return view(row, enrollments.for_patient(session, row.id))


def _may_change(by: Signer | None, actor: str) -> str:
    """The name to audit a record change under; refused when `by` may not change records
    (a window saves as whoever is signed in at that moment, who may not be who opened it)."""
    if by is None:
        return actor
    from ccm_timer.core.access import Action
    from ccm_timer.services.people import access

    access.require(by, Action.RECORD)
    return by.name


def _check_born(ctx: AppContext, birth_date: date | str | None) -> None:
    if isinstance(birth_date, date) and birth_date > ctx.now().astimezone(ctx.zone).date():
        raise UserError(f"The birth date {birth_date.isoformat()} is in the future; check it.")


def _practitioner(session: Session, ctx: AppContext, name: str) -> Clinician:
    """The billing practitioner named: a physician or qualified practitioner."""
    from ccm_timer.services.people import clinicians

    who = clinicians.find(session, ctx, name)
    if who.role is not Role.PRACTITIONER:
        kind = "clinical staff" if who.role is Role.CLINICAL_STAFF else "office staff"
        raise UserError(
            f"{who.name} is {kind}; the billing practitioner must be a physician or "
            "qualified practitioner (MD, DO, NP, PA, CNS, CNM)."
        )
    return who


def _care_manager(session: Session, ctx: AppContext, name: str) -> Clinician:
    """The care manager named: someone who times care (clinical staff or a practitioner)."""
    from ccm_timer.services.people import clinicians

    who = clinicians.find(session, ctx, name)
    if who.role is Role.OFFICE:
        raise UserError(f"{who.name} has no clinical role; the care manager is a nurse or "
                        "other clinical staff member, or a practitioner.")
    return who


def _obtainer(session: Session, ctx: AppContext, name: str | None) -> Clinician | None:
    """The clinician who obtained a consent, by name or id; None when not given."""
    from ccm_timer.services.people import clinicians

    return clinicians.find(session, ctx, name) if name else None


def find(session: Session, mrn: str, *, inactive: bool = False) -> Patient:
    """By MRN; letters match in either case, as MRNs differing only in case are refused.
    A deactivated patient is found only when `inactive` asks for them too."""
    row = session.exec(select(Patient).where(Patient.mrn == mrn.strip())).first() or (
        session.exec(select(Patient).where(func.upper(Patient.mrn) == mrn.strip().upper()))
        .first()
    )
    if row is None or not (row.active or inactive):
        raise NotFound(
            f"No patient has MRN {mrn.strip()!r}; check the number or add the patient with "
            "`ccm-timer patient add`."
        )
    return row


def get(ctx: AppContext, mrn: str, *, inactive: bool = False) -> PatientView:
    with ctx.read() as session:
        row = find(session, mrn, inactive=inactive)
        return view(row, enrollments.for_patient(session, row.id))


def list_patients(ctx: AppContext, query: str = "", *,
                  inactive: bool = False) -> list[PatientView]:
    """Active patients (and the deactivated too, with `inactive`), sorted by name as people
    read names (core/collation.py), not by code point."""
    with ctx.read() as session:
        query_rows = select(Patient)
        if not inactive:
            query_rows = query_rows.where(Patient.active)
        rows = list(session.exec(query_rows))
        by_patient: dict[uuid.UUID, list[EnrollmentView]] = {}
        for e in session.exec(select(Enrollment)):
            by_patient.setdefault(e.patient_id, []).append(enrollments.view(e))
    rows.sort(key=lambda r: (name_key(r.family_name), name_key(r.given_name), r.mrn))
    result = [view(r, by_patient.get(r.id, [])) for r in rows]
    return [p for p in result if p.matches(query)] if query else result


def set_consent(
    ctx: AppContext, mrn: str, program: str, consent: date | None, method: str | None = None,
    actor: str = "admin", *, by: str | None = None,
    disclosures: str | Iterable[str] | None = None,
    document: tuple[bytes, str] | None = None,
) -> PatientView:
    """Record a program's consent. `document`: (the scanned written consent, its media type),
    kept in the encrypted database."""
    the_program = enrollments.parse_program(program)
    told = None if disclosures is None else enrollments.parse_disclosures(disclosures)
    if consent is not None and consent > ctx.now().astimezone(ctx.zone).date():
        raise UserError(f"The consent date {consent.isoformat()} is in the future; record "
                        "consent once it is given.")
    method_given = enrollments.parse_method(method)
    if document is not None and method_given is not enrollments.ConsentMethod.WRITTEN:
        raise UserError("A scanned consent belongs to a written consent; give --method "
                        "written.")
    with ctx.write() as session:
        row = find(session, mrn)
        doc_id = None
        if document is not None:
            from ccm_timer.services.people import consent_documents

            doc_id = consent_documents.store(session, ctx, row, *document, actor=actor).id
        enrollments.enroll(
            session, ctx, row, the_program, consent_date=consent, consent_method=method,
            actor=actor, consent_by=_obtainer(session, ctx, by), disclosures=told,
            document_id=doc_id,
        )
        return view(row, enrollments.for_patient(session, row.id))


def withdraw_consent(ctx: AppContext, mrn: str, program: str, on: date, reason: str,
                     actor: str = "admin") -> PatientView:
    from ccm_timer.core.parse import check_note

    the_program = enrollments.parse_program(program)
    try:
        why = check_note(reason, "reason", 500).strip()
    except ValueError as exc:
        raise UserError(f"{exc}.") from None
    if not why:
        raise UserError("Give the reason the consent was withdrawn (--reason).")
    with ctx.write() as session:
        row = find(session, mrn)
        enrollments.withdraw(session, ctx, row, the_program, on, why, actor)
        return view(row, enrollments.for_patient(session, row.id))


def update(ctx: AppContext, mrn: str, *, name: str | None = None,
           birth_date: date | Literal[""] | None = None, qmb: bool | Literal[""] | None = None,
           billing_practitioner: str | None = None, care_manager: str | None = None,
           actor: str = "admin", by: Signer | None = None) -> PatientView:
    """Change a patient's name, birth date, QMB status, billing practitioner or care manager
    (CLEAR removes any of them: "not recorded"); what is not given (None) stays. One
    transaction, one event. `by`, when given, must be allowed to change the record."""
    actor = _may_change(by, actor)
    family = given = None
    if name is not None:
        try:
            family, given = parse_person_name(name)
        except ValueError as exc:
            raise UserError(f"Cannot change the name: {exc}.") from None
    _check_born(ctx, birth_date)
    if (name is None and birth_date is None and qmb is None and billing_practitioner is None
            and care_manager is None):
        raise UserError("Say what to change: --name, --dob, --qmb or --care-manager.")
    with ctx.write() as session:
        row = find(session, mrn)
        before = _details(row)
        if family is not None and given is not None:
            row.family_name, row.given_name = family, given
        if birth_date is not None:
            row.birth_date = birth_date or None
        if qmb is not None:
            row.qmb = None if qmb == CLEAR else bool(qmb)
        extra = []
        if billing_practitioner is not None:
            row.billing_practitioner_id = (_practitioner(session, ctx, billing_practitioner).id
                                           if billing_practitioner else None)
            extra.append("billing_practitioner")
        if care_manager is not None:
            row.care_manager_id = (_care_manager(session, ctx, care_manager).id
                                   if care_manager else None)
            extra.append("care_manager")
        after = _details(row)
        session.add(row)
        # The people are in the event only when changed here: older events keep their shape.
        keys = ["name", "birth_date", "qmb", *extra]
        audit.append(session, ctx=ctx, actor=actor, action="patient.update", entity="patient",
                     entity_id=row.id, before={k: before[k] for k in keys},
                     after={k: after[k] for k in keys})
        return view(row, enrollments.for_patient(session, row.id))


def _details(row: Patient) -> dict[str, str | bool | None]:
    def ref(value: uuid.UUID | None) -> str | None:
        return str(value) if value else None

    return {"name": f"{row.family_name}, {row.given_name}",
            "birth_date": row.birth_date.isoformat() if row.birth_date else None,
            "qmb": row.qmb, "billing_practitioner": ref(row.billing_practitioner_id),
            "care_manager": ref(row.care_manager_id)}


def set_billing_practitioner(ctx: AppContext, mrn: str, practitioner: str, actor: str = "admin"
                             ) -> PatientView:
    """Name the practitioner who bills for this patient (one per patient-month)."""
    with ctx.write() as session:
        row = find(session, mrn)
        who = _practitioner(session, ctx, practitioner)
        before = str(row.billing_practitioner_id) if row.billing_practitioner_id else None
        row.billing_practitioner_id = who.id
        session.add(row)
        audit.append(
            session, ctx=ctx, actor=actor, action="patient.billing_practitioner",
            entity="patient", entity_id=row.id, before={"billing_practitioner": before},
            after={"billing_practitioner": str(who.id)},
        )
        return view(row, enrollments.for_patient(session, row.id))


def set_active(ctx: AppContext, mrn: str, active: bool, by: Signer) -> PatientView:
    """Deactivate (or reactivate) a patient: a change of the record, by someone whose duties
    allow it. Their history stays whole; only where they are offered changes."""
    from ccm_timer.core.access import Action
    from ccm_timer.services.people import access

    access.require(by, Action.RECORD)
    with ctx.write() as session:
        row = find(session, mrn, inactive=True)
        if row.active == active:
            state = "active" if active else "deactivated"
            raise UserError(f"{row.family_name}, {row.given_name} is already {state}.")
        row.active = active
        session.add(row)
        audit.append(session, ctx=ctx, actor=by.name,
                     action="patient.reactivate" if active else "patient.deactivate",
                     entity="patient", entity_id=row.id, before={"active": not active},
                     after={"active": active})
        return view(row, enrollments.for_patient(session, row.id))
