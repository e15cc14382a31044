"""The patient-and-activity pairs a clinician timed most recently: one click to time again."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import col, select

from ccm_timer.services.context import AppContext
from ccm_timer.services.people import clinicians
from ccm_timer.services.timing.entry_values import mask
from ccm_timer.store.models import Category, Patient, TimeEntry


@dataclass(frozen=True)
class RecentPair:
    patient_mrn: str
    patient_name: str  # "Family, Given"
    patient_masked: str
    category: str  # slug
    category_label: str


def recent_pairs(ctx: AppContext, clinician: str | None = None, limit: int = 5) -> list[RecentPair]:
    """Newest first, each pair once; program-level time (no patient) is left out, and so
    are voided entries and inactive patients or categories."""
    with ctx.read() as session:
        who = clinicians.find(session, ctx, clinician)
        last = func.max(TimeEntry.created_at).label("last")
        rows = session.exec(
            select(TimeEntry.patient_id, TimeEntry.category_id, last)
            .where(
                TimeEntry.clinician_id == who.id,
                col(TimeEntry.patient_id).is_not(None),
                col(TimeEntry.superseded_at).is_(None),
                col(TimeEntry.voided).is_(False),
            )
            .group_by(col(TimeEntry.patient_id), col(TimeEntry.category_id))
            .order_by(last.desc())
            .limit(limit * 2)  # room for pairs whose patient or category was retired
        ).all()
        out: list[RecentPair] = []
        for patient_id, category_id, _ in rows:
            patient = session.get(Patient, _uuid(patient_id))
            category = session.get(Category, _uuid(category_id))
            if patient is None or category is None or not patient.active or not category.active:
                continue
            out.append(
                RecentPair(
                    patient.mrn, f"{patient.family_name}, {patient.given_name}",
                    mask(patient.family_name, patient.given_name, patient.mrn),
                    category.slug, category.label,
                )
            )
            if len(out) == limit:
                break
        return out


def _uuid(value: object) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
