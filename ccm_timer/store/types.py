"""Column types. Instants are stored as text by store/instants.py (SQLite has no native
datetime); keys are time-ordered UUIDs."""

from __future__ import annotations

import uuid
from datetime import datetime

import uuid6
from sqlalchemy.types import String, TypeDecorator

from ccm_timer.store.instants import from_db_text, to_db_text

__all__ = ["UTCDateTime", "new_id", "to_db_text"]


class UTCDateTime(TypeDecorator[datetime]):
    impl = String(27)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> str | None:
        return None if value is None else to_db_text(value)

    def process_result_value(self, value: str | None, dialect: object) -> datetime | None:
        return None if value is None else from_db_text(value)


def new_id() -> uuid.UUID:
    """A time-ordered UUID (v7): merges across workstations, indexes well."""
    return uuid6.uuid7()
