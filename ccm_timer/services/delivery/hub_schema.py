"""The clinic hub's tables, until the hub has migrations of its own (issue 19).

`create_all` makes the tables a hub lacks but never adds a column to a table it has, so the
columns later revisions gave older tables are added here, and a hub that still lacks one
(its user may not change tables, or it was opened without creating them, as `report --hub`
does) is named in words before anything is written or read.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import Connection, Enum, text
from sqlmodel import SQLModel

from ccm_timer.store import merge as records

# Columns later revisions gave tables an older hub already has (create_all adds tables,
# never columns): 0007 evidence hashes, 0009 the clinical record, 0010 incident-to.
ADDED_COLUMNS = (
    ("audit_event", "evidence", "VARCHAR"),
    ("clinician", "incident_to", "BOOLEAN NOT NULL DEFAULT false"),
    ("patient", "qmb", "BOOLEAN"),
    ("enrollment", "consent_by", "VARCHAR"),
    ("enrollment", "consent_by_id", "UUID REFERENCES clinician (id)"),
    ("enrollment", "disclosed_cost_sharing", "BOOLEAN NOT NULL DEFAULT false"),
    ("enrollment", "disclosed_one_practitioner", "BOOLEAN NOT NULL DEFAULT false"),
    ("enrollment", "disclosed_right_to_stop", "BOOLEAN NOT NULL DEFAULT false"),
    ("enrollment", "consent_document_id", "UUID REFERENCES consent_document (id)"),
    ("enrollment", "withdrawn_on", "DATE"),
    ("enrollment", "withdrawal_reason", "VARCHAR"),
)


def _columns(conn: Connection) -> dict[str, set[str]]:
    """The hub's tables and their columns, in one query."""
    found: dict[str, set[str]] = defaultdict(set)
    for name, column in conn.execute(text(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema()")):
        found[name].add(column)
    return found


def add_columns(conn: Connection) -> None:
    """Inside the transaction that created the missing tables (under the hub's lock)."""
    found = _columns(conn)
    for name, column, kind in ADDED_COLUMNS:
        if column not in found.get(name, set()):
            conn.execute(text(f"ALTER TABLE {name} ADD COLUMN IF NOT EXISTS {column} {kind}"))
    add_enum_values(conn)


def add_enum_values(conn: Connection) -> None:
    """A PostgreSQL enum type an older version made lacks the values added since (the
    programs APCM and COCM, issue 15), and create_all never changes a type that exists:
    add them. The values are our own enums' names, never user input."""
    kinds = {c.type.name: c.type.enums for t in SQLModel.metadata.tables.values()
             for c in t.columns if isinstance(c.type, Enum) and c.type.name}
    rows = conn.execute(text(
        "SELECT t.typname, e.enumlabel FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid "
        "JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = current_schema()"))
    have: dict[str, set[str]] = defaultdict(set)
    for name, label in rows:
        have[name].add(label)
    for name, labels in kinds.items():
        if name not in have:
            continue  # not made on this hub yet: create_all makes it whole
        for label in labels:
            if label not in have[name]:
                conn.execute(text(f"ALTER TYPE {name} ADD VALUE IF NOT EXISTS '{label}'"))


EMPTY = "it has no tables"


def lacking(conn: Connection) -> str:
    """What the hub lacks of the tables a push writes and the report reads, in words
    (EMPTY for a database without any); "" when nothing."""
    found = _columns(conn)
    if not found:
        return EMPTY
    for name in (*records.MERGED, "chain_head"):
        if name not in found:
            return f"it has no {name} table"
        if missing := sorted(set(records.table(name).c.keys()) - found[name]):
            return f"its {name} table has no {missing[0]} column"
    return ""
