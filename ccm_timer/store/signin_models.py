"""The sign-in table (issue 16): one row per person who has a credential or has failed to
give one. Imported by models.py, which re-exports it. Kept on this workstation only: the
merge and the bundles never carry it, so a credential hash never leaves the database.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from ccm_timer.store.types import UTCDateTime


def _instant(nullable: bool = False) -> Column:
    return Column(UTCDateTime(), nullable=nullable)


class Credential(SQLModel, table=True):
    clinician_id: uuid.UUID = Field(foreign_key="clinician.id", primary_key=True)
    # argon2id, in its own encoded form (parameters and salt included); None after an
    # administrator's reset, until the person sets a new one.
    secret_hash: str | None = None
    set_at: datetime | None = Field(default=None, sa_column=_instant(nullable=True))
    set_by: str | None = None  # the person themself, or the administrator who reset it
    failures: int = 0  # wrong credentials in a row
    failed_at: datetime | None = Field(default=None, sa_column=_instant(nullable=True))
    locked_until: datetime | None = Field(default=None, sa_column=_instant(nullable=True))
