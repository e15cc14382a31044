"""Column types. Instants are stored as fixed-width UTC ISO strings with microseconds, so
they sort as text and keep every microsecond (SQLite has no native datetime)."""

from __future__ import annotations

from datetime import UTC, datetime

import uuid6
from sqlalchemy.types import String, TypeDecorator

_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


class UTCDateTime(TypeDecorator[datetime]):
    impl = String(27)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> str | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime reached the database; use UTC-aware instants")
        return value.astimezone(UTC).strftime(_FORMAT)

    def process_result_value(self, value: str | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        return datetime.strptime(value, _FORMAT).replace(tzinfo=UTC)


def to_db_text(value: datetime) -> str:
    """The stored text of an instant, for raw SQL comparisons."""
    return value.astimezone(UTC).strftime(_FORMAT)


def new_id():  # -> uuid.UUID
    """A time-ordered UUID (v7): merges across workstations, indexes well."""
    return uuid6.uuid7()
