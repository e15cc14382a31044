"""Facts about a patient-month that time alone cannot show (complex medical decision making,
care plan revised, interactive contact): read, and set with an audit event.

A month without a row has every flag off; a change that changes nothing writes nothing, so
the audit trail holds only real attestations.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import select

from ccm_timer.core.month import parse_month
from ccm_timer.errors import UserError, sentence
from ccm_timer.services.context import AppContext
from ccm_timer.services.people import clinicians, patients
from ccm_timer.services.security import audit
from ccm_timer.store.models import PatientMonth

FLAG_NAMES: tuple[str, ...] = ("complex_mdm", "care_plan_revised", "interactive_contact")


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
    actor: str | None = None,
) -> MonthFlagsView:
    """Set the flags given (None leaves a flag as it is); `actor` is a clinician name or id,
    the default clinician if None."""
    month = _month(month)
    wanted = {name: value for name, value in (
        ("complex_mdm", complex_mdm), ("care_plan_revised", care_plan_revised),
        ("interactive_contact", interactive_contact)) if value is not None}
    with ctx.write() as session:
        patient = patients.find(session, mrn)
        who = clinicians.find(session, ctx, actor)
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
