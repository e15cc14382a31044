"""SQLModel tables of the patient's clinical record beside the minutes (issue 14): the
problem list, the care plan and its reviews, and scanned consents. Imported by models.py,
which re-exports them, so `from ccm_timer.store.models import Condition` keeps working.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Column, Index, LargeBinary
from sqlmodel import Field, SQLModel

from ccm_timer.store.types import UTCDateTime, new_id


def _instant(nullable: bool = False) -> Column:
    return Column(UTCDateTime(), nullable=nullable)


class ConsentDocument(SQLModel, table=True):
    """A scanned written consent, kept inside the (encrypted) database rather than beside
    it, so it is backed up, encrypted and carried with the record. Never a file name: the
    patient's name is often in it."""

    __tablename__ = "consent_document"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    patient_id: uuid.UUID = Field(foreign_key="patient.id", index=True)
    media_type: str  # application/pdf, image/png, image/jpeg, image/tiff
    size: int
    sha256: str
    added_at: datetime = Field(sa_column=_instant())
    added_by: str
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class Condition(SQLModel, table=True):
    """One ICD-10-CM diagnosis on a patient's problem list. Never deleted: a removal keeps
    the row with who removed it, when and why. Whether it counts as chronic is decided when
    it is read, from the chronic-condition list (core/conditions.py), not stored."""

    __tablename__ = "patient_condition"
    __table_args__ = (Index("ix_patient_condition_patient", "patient_id", "removed_at"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    patient_id: uuid.UUID = Field(foreign_key="patient.id")
    code: str  # ICD-10-CM with its dot, upper case: "E11.9"
    description: str  # the code set's description when it was recorded
    since: date | None = None  # onset or diagnosis date, when known
    added_at: datetime = Field(sa_column=_instant())
    added_by: str
    removed_at: datetime | None = Field(default=None, sa_column=_instant(nullable=True))
    removed_by: str | None = None
    removal_reason: str | None = None


class CarePlanKind(StrEnum):
    PROBLEM = "problem"
    GOAL = "goal"
    INTERVENTION = "intervention"


class CarePlanItem(SQLModel, table=True):
    """A problem, measurable goal or intervention of the comprehensive care plan, dated and
    attributed. Ending an item keeps it, with who ended it and why."""

    __tablename__ = "care_plan_item"
    __table_args__ = (Index("ix_care_plan_item_patient", "patient_id", "ended_at"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    patient_id: uuid.UUID = Field(foreign_key="patient.id")
    kind: CarePlanKind
    text: str
    condition_code: str | None = None  # the ICD-10-CM code it addresses, if any
    created_at: datetime = Field(sa_column=_instant())
    created_by: str
    created_by_id: uuid.UUID | None = Field(default=None, foreign_key="clinician.id")
    ended_at: datetime | None = Field(default=None, sa_column=_instant(nullable=True))
    ended_by: str | None = None
    end_reason: str | None = None


class CarePlanReview(SQLModel, table=True):
    """Someone reviewed the whole care plan; `substantial` when they revised it
    substantially (complex CCM needs a plan established or substantially revised)."""

    __tablename__ = "care_plan_review"
    __table_args__ = (Index("ix_care_plan_review_patient", "patient_id", "reviewed_at"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    patient_id: uuid.UUID = Field(foreign_key="patient.id")
    reviewed_at: datetime = Field(sa_column=_instant())
    reviewed_by: str
    reviewer_id: uuid.UUID | None = Field(default=None, foreign_key="clinician.id")
    substantial: bool = False
