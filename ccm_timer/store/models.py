"""SQLModel tables. UUID v7 keys everywhere; every instant UTC (see types.py).

Time entries are versioned, never overwritten: an edit writes a new row whose
`supersedes_id` names the old one, and marks the old one superseded. `origin_id` groups all
versions of one entry. Current versions are the rows with `superseded_at IS NULL`.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from ccm_timer.store.types import UTCDateTime, new_id


def _instant(nullable: bool = False, index: bool = False) -> Column:
    return Column(UTCDateTime(), nullable=nullable, index=index)


class Role(StrEnum):
    CLINICAL_STAFF = "clinical_staff"
    PRACTITIONER = "practitioner"


class Program(StrEnum):
    CCM = "CCM"
    PCM = "PCM"
    BHI = "BHI"
    RPM = "RPM"
    CPO_HOME_HEALTH = "CPO_HOME_HEALTH"
    CPO_HOSPICE = "CPO_HOSPICE"


class EntrySource(StrEnum):
    TIMER = "timer"
    MANUAL = "manual"
    IMPORT = "import"


class EntryState(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    STOPPED = "stopped"


class Clinician(SQLModel, table=True):
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    name: str = Field(index=True)
    credential: str
    role: Role
    npi: str | None = None
    active: bool = True


class Patient(SQLModel, table=True):
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    mrn: str = Field(unique=True)
    family_name: str
    given_name: str
    birth_date: date | None = None
    billing_practitioner_id: uuid.UUID | None = Field(default=None, foreign_key="clinician.id")
    active: bool = True


class Enrollment(SQLModel, table=True):
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    patient_id: uuid.UUID = Field(foreign_key="patient.id", index=True)
    program: Program
    consent_date: date | None = None
    consent_method: str | None = None
    start_date: date | None = None
    end_date: date | None = None


class Category(SQLModel, table=True):
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    slug: str = Field(unique=True)
    label: str
    program: Program | None = None  # None: program-level oversight, never billed per patient
    sort_order: int = 0
    active: bool = True


class TimeEntry(SQLModel, table=True):
    __tablename__ = "time_entry"
    __table_args__ = (
        Index("ix_time_entry_current_state", "superseded_at", "state"),
        Index("ix_time_entry_patient", "patient_id", "superseded_at"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    origin_id: uuid.UUID = Field(index=True)
    version: int = 1
    supersedes_id: uuid.UUID | None = Field(default=None, foreign_key="time_entry.id")
    superseded_at: datetime | None = Field(default=None, sa_column=_instant(nullable=True))
    clinician_id: uuid.UUID = Field(foreign_key="clinician.id", index=True)
    patient_id: uuid.UUID | None = Field(default=None, foreign_key="patient.id")
    category_id: uuid.UUID = Field(foreign_key="category.id")
    program: Program | None = None
    note: str = ""
    source: EntrySource
    state: EntryState
    workstation: str
    tz_name: str
    voided: bool = False
    void_reason: str | None = None
    change_reason: str | None = None
    created_at: datetime = Field(sa_column=_instant())
    created_by: uuid.UUID | None = Field(default=None, foreign_key="clinician.id")
    # Set when a recovery decision was taken; heartbeats older than this no longer count.
    recovered_at: datetime | None = Field(default=None, sa_column=_instant(nullable=True))


class Interval(SQLModel, table=True):
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    entry_id: uuid.UUID = Field(foreign_key="time_entry.id", index=True)
    start_utc: datetime = Field(sa_column=_instant(index=True))
    end_utc: datetime | None = Field(default=None, sa_column=_instant(nullable=True))


class Heartbeat(SQLModel, table=True):
    workstation: str = Field(primary_key=True)
    last_seen_utc: datetime = Field(sa_column=_instant())
    monotonic_ns: int
    boot_id: str = ""
    pid: int = 0


class PatientMonth(SQLModel, table=True):
    __tablename__ = "patient_month"
    __table_args__ = (UniqueConstraint("patient_id", "month"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    patient_id: uuid.UUID = Field(foreign_key="patient.id")
    month: str  # YYYY-MM in the clinic's time zone
    complex_mdm: bool = False
    care_plan_revised: bool = False
    interactive_contact: bool = False


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"

    seq: int | None = Field(default=None, primary_key=True)  # chain order
    id: uuid.UUID = Field(default_factory=new_id, unique=True)
    at_utc: datetime = Field(sa_column=_instant())
    actor: str
    workstation: str
    action: str = Field(index=True)
    entity: str
    entity_id: str
    before: str | None = None  # JSON
    after: str | None = None  # JSON
    prev_hash: str
    hash: str
