"""The month rollup's tables (issue 18), re-exported by models.py; kept by
store/month_rollup.py."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Column, Index
from sqlmodel import Field, SQLModel

from ccm_timer.store.types import UTCDateTime


def _instant(nullable: bool = False) -> Column:
    return Column(UTCDateTime(), nullable=nullable)


class MonthRollup(SQLModel, table=True):
    """Seconds of the stopped entries (every interval closed) per patient, clinic month,
    clinician, category and program, split at the month edges of `MonthRollupState.zone`.
    Derived, never evidence: store/month_rollup.py keeps it and can rebuild it any time.
    `longest`: the most seconds one entry of the group has in the month. Ids and the
    program are copied as time_entry stores them; no foreign keys (a derived row never
    holds a delete back)."""

    __tablename__ = "month_rollup"
    __table_args__ = (Index("ix_month_rollup_month", "month", "patient_id"),)

    id: int | None = Field(default=None, primary_key=True)
    patient_id: uuid.UUID | None = None  # None: program-level time
    month: str  # YYYY-MM in the rollup's zone
    clinician_id: uuid.UUID
    category_id: uuid.UUID
    program: str | None = None
    seconds: int
    longest: int


class MonthRollupState(SQLModel, table=True):
    """One row once the rollup is built: the zone its months are cut in. No row: nothing
    reads or keeps the rollup."""

    __tablename__ = "month_rollup_state"

    id: int = Field(default=1, primary_key=True)
    zone: str
    built_at: datetime = Field(sa_column=_instant())


class MonthRollupDirty(SQLModel, table=True):
    """What a write changed since the rollup was last brought up to date, recorded by the
    triggers of migration 0013 whoever writes (the ORM, a raw statement, a merge): an entry,
    and a patient's instants [lo, hi]. Emptied in the same transaction by the drain."""

    __tablename__ = "month_rollup_dirty"

    id: int | None = Field(default=None, primary_key=True)
    entry_id: uuid.UUID | None = None
    patient_id: uuid.UUID | None = None
    lo: datetime | None = Field(default=None, sa_column=_instant(nullable=True))
    hi: datetime | None = Field(default=None, sa_column=_instant(nullable=True))


# The drain runs before every session's commit; importing it here registers it in every
# process that writes through the models.
from ccm_timer.store import month_rollup  # noqa: E402, F401
