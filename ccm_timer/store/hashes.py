"""The hashes of the audit chain: each event's own, and the content hash of the billing
evidence an event records (every version of one time entry with all of its intervals).

An event about an entry carries, in `evidence`, the hash of that entry's rows as they stand
after the event; `audit verify` recomputes it from the rows, so a change made with SQL
behind the app's back (an interval stretched, an entry deleted) no longer matches the chain.
The evidence is hashed as stored (text, integers and NULL, read with plain SQL), so no type
conversion can differ between writing and checking. Kept here, below the services, because
a migration hashes the evidence of existing databases (0006) the same way.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from typing import Any

GENESIS = "0" * 64
# Every column a report, an export or a claim could read. A column added later is outside
# the hash until listed here (and existing hashes then need recording again at upgrade).
ENTRY_COLUMNS = (
    "id", "origin_id", "version", "supersedes_id", "superseded_at", "clinician_id",
    "patient_id", "category_id", "program", "note", "source", "state", "workstation",
    "tz_name", "voided", "void_reason", "change_reason", "created_at", "created_by",
    "recovered_at", "span_start", "span_end", "span_seconds",
)
INTERVAL_COLUMNS = ("id", "entry_id", "start_utc", "end_utc")
_CHUNK = 500  # ids per IN (...): under SQLite's variable limit


def event_digest(*, seq: int | None, id: str, at_utc: str, actor: str, workstation: str,
                 action: str, entity: str, entity_id: str, before: str | None,
                 after: str | None, prev_hash: str, evidence: str | None) -> str:
    """The hash an audit event must carry: its content chained to the previous event's hash
    (`id` with dashes, `at_utc` as stored). `evidence` counts only where there is some, so
    events written before it existed keep their hashes."""
    payload: list[Any] = [seq, id, at_utc, actor, workstation, action, entity, entity_id,
                          before, after, prev_hash]
    if evidence is not None:
        payload.append(evidence)
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def event_json(value: Any) -> str | None:
    """How an event stores its `before` and `after` (the text its hash covers)."""
    if value is None:
        return None
    return json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)


def evidence_text(digests: dict[str, str]) -> str:
    """How an event stores the evidence hashes it records."""
    return json.dumps(digests, sort_keys=True, separators=(",", ":"))


def _stored(value: Any) -> Any:
    return value.hex() if isinstance(value, bytes) else value  # a blob put in by hand


def _digest(entries: list[tuple], spans: list[tuple]) -> str:
    body = {"time_entry": [[_stored(v) for v in row] for row in entries],
            "interval": [[_stored(v) for v in row] for row in spans]}
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def rows_digest(entries: list[tuple], spans: list[tuple]) -> str:
    """One entry's evidence hash from its rows as stored (ENTRY_COLUMNS and INTERVAL_COLUMNS
    order, each list in id order), for a writer that holds the rows it just wrote."""
    return _digest(entries, spans)


def origin_digests(conn: Any, origins: Sequence[str]) -> dict[str, str]:
    """origin id (32 hex digits, as stored) -> the hash of every version of that entry and
    all their intervals, for the origins that have rows. `conn`: a SQLAlchemy connection
    on a workstation's SQLite database."""
    found: dict[str, str] = {}
    wanted = sorted(set(origins))
    entry_cols = ", ".join(ENTRY_COLUMNS)
    span_cols = ", ".join(f"interval.{c}" for c in INTERVAL_COLUMNS)
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start:start + _CHUNK]
        marks = ", ".join("?" * len(chunk))
        entries: dict[str, list[tuple]] = {}
        for row in conn.exec_driver_sql(
                f"SELECT {entry_cols} FROM time_entry WHERE origin_id IN ({marks}) "
                "ORDER BY origin_id, id", tuple(chunk)):
            entries.setdefault(row[1], []).append(tuple(row))
        spans: dict[str, list[tuple]] = {}
        for row in conn.exec_driver_sql(
                f"SELECT time_entry.origin_id, {span_cols} FROM interval JOIN time_entry "
                f"ON time_entry.id = interval.entry_id WHERE time_entry.origin_id IN ({marks}) "
                "ORDER BY time_entry.origin_id, interval.id", tuple(chunk)):
            spans.setdefault(row[0], []).append(tuple(row[1:]))
        for origin, rows in entries.items():
            found[origin] = _digest(rows, spans.get(origin, []))
    return found


def all_origin_digests(conn: Any) -> Iterator[tuple[str, str]]:
    """(origin, hash) for every entry in the database, in origin order, a chunk at a time
    (a million entries never sit in memory at once)."""
    last = ""
    while True:
        chunk = [r[0] for r in conn.exec_driver_sql(
            "SELECT DISTINCT origin_id FROM time_entry WHERE origin_id > ? "
            "ORDER BY origin_id LIMIT ?", (last, _CHUNK))]
        if not chunk:
            return
        yield from sorted(origin_digests(conn, chunk).items())
        last = chunk[-1]
