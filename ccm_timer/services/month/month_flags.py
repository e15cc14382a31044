"""Facts about a patient-month that time alone cannot show (complex medical decision making,
care plan revised, interactive contact): read, and set with an audit event.

A month without a row has every flag off; a change that changes nothing writes nothing, so
the audit trail holds only real attestations.

Who may attest: complex medical decision making is the billing practitioner's ("moderate-
or high-complexity medical decision making by the billing practitioner", CMS MLN909188), so
clinical staff may not set or clear it, nor another practitioner when the patient has a
billing practitioner on file. Clinical staff may revise a care plan (Noridian JE CCM Q&A:
an RN or LPN may revise and monitor the plan) and make RPM's interactive contact (staff,
physician or QHP, CY 2021 PFS final rule), so those two are anyone's who may change the
record. None needs a password: the person is the one signed in or named.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from ccm_timer.core.access import Action, Duty
from ccm_timer.core.month import parse_month
from ccm_timer.errors import UserError, sentence
from ccm_timer.services.context import AppContext
from ccm_timer.services.people import access, clinicians, patients
from ccm_timer.services.people.access import Refused, Signer
from ccm_timer.services.security import audit
from ccm_timer.store.models import Clinician, Patient, PatientMonth

FLAG_NAMES: tuple[str, ...] = ("complex_mdm", "care_plan_revised", "interactive_contact")
PRACTITIONER_ONLY = ("complex_mdm",)  # the billing practitioner's own decision making


@dataclass(frozen=True)
class MonthFlagsView:
    mrn: str
    month: str  # YYYY-MM in the clinic's time zone
    complex_mdm: bool = False
    care_plan_revised: bool = False
    interactive_contact: bool = False

    def to_dict(self) -> dict[str, bool | str]:
        return {"mrn": self.mrn, "month": self.month,
                **{name: getattr(self, name) for name in FLAG_NAMES}}


def _month(month: str) -> str:
    try:
        return str(parse_month(month))
    except ValueError as exc:
        raise UserError(sentence(exc)) from None


def _flags(row: PatientMonth | None) -> dict[str, bool]:
    return {name: bool(getattr(row, name)) if row else False for name in FLAG_NAMES}


def _recorded(view: MonthFlagsView) -> dict[str, bool | str]:
    """What the audit trail keeps: the patient is its entity id, so no MRN in the text."""
    return {"month": view.month, **{name: getattr(view, name) for name in FLAG_NAMES}}


def get_flags(ctx: AppContext, mrn: str, month: str) -> MonthFlagsView:
    month = _month(month)
    with ctx.read() as session:
        patient = patients.find(session, mrn)
        row = session.exec(select(PatientMonth).where(
            PatientMonth.patient_id == patient.id, PatientMonth.month == month)).first()
        return MonthFlagsView(patient.mrn, month, **_flags(row))


def set_flags(
    ctx: AppContext,
    mrn: str,
    month: str,
    *,
    complex_mdm: bool | None = None,
    care_plan_revised: bool | None = None,
    interactive_contact: bool | None = None,
    by: Signer | None = None,
) -> MonthFlagsView:
    """Set the flags given (None leaves a flag as it is) as `by` (signed in or named; the
    default clinician if None), refused for a flag that is not theirs to attest."""
    month = _month(month)
    wanted = {name: value for name, value in (
        ("complex_mdm", complex_mdm), ("care_plan_revised", care_plan_revised),
        ("interactive_contact", interactive_contact)) if value is not None}
    with ctx.write() as session:
        patient = patients.find(session, mrn)
        who = clinicians.find(session, ctx, str(by.id) if by else None)
        _may_attest(session, by or access.signer_of(who), patient, list(wanted))
        row = session.exec(select(PatientMonth).where(
            PatientMonth.patient_id == patient.id, PatientMonth.month == month)).first()
        before = MonthFlagsView(patient.mrn, month, **_flags(row))
        after = MonthFlagsView(patient.mrn, month, **{**_flags(row), **wanted})
        if after == before:
            return before
        if row is None:
            row = PatientMonth(patient_id=patient.id, month=month)
        for name in FLAG_NAMES:
            setattr(row, name, getattr(after, name))
        session.add(row)
        session.flush()
        audit.append(
            session, ctx=ctx, actor=who.name, action="patient_month.set", entity="patient",
            entity_id=patient.id, before=_recorded(before), after=_recorded(after),
        )
        return after


def _spelled(field: str) -> str:
    return field.replace("_", "-")


def _may_attest(session: Session, by: Signer, patient: Patient, fields: list[str]) -> None:
    own = [f for f in fields if f in PRACTITIONER_ONLY]
    if not own:
        if fields:
            access.require(by, Action.RECORD)
        return
    if not by.may(Action.MONTH_FLAGS):
        what = "clinical staff" if Duty.CLINICAL_STAFF in by.duties else "not a practitioner"
        raise Refused(
            f"{by.name} is {what}, and {_spelled(own[0])} is the billing "
            "practitioner's own medical decision making (CMS MLN909188); pass --as with "
            "the practitioner's name.")
    billing = (session.get(Clinician, patient.billing_practitioner_id)
               if patient.billing_practitioner_id else None)
    if billing is not None and billing.id != by.id:
        raise Refused(
            f"{_spelled(own[0])} is the billing practitioner's own medical decision making "
            f"(CMS MLN909188), and {patient.mrn}'s billing practitioner is {billing.name}, "
            f"not {by.name}; pass --as \"{billing.name}\".")
