"""How an instant is written in the database: fixed-width UTC text with microseconds, so
it sorts as text and keeps every microsecond. Free of SQLAlchemy for the fast read path."""

from __future__ import annotations

from datetime import UTC, datetime

FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def to_db_text(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("naive datetime reached the database; use UTC-aware instants")
    return value.astimezone(UTC).strftime(FORMAT)


def from_db_text(value: str) -> datetime:
    return datetime.strptime(value, FORMAT).replace(tzinfo=UTC)
