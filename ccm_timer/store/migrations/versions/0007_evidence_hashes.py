"""The audit chain records the content hash of the evidence: each event that writes an entry
carries the hash of all its versions and intervals (store/hashes.py). Existing entries are
hashed here, in audit events "evidence hashes recorded at upgrade", so `audit verify`
holds every entry to its rows from now on. The hub's record of each chain's head
(chain_head) is created on workstations too: the two share one schema.

Downgrade drops the column but cannot take back the upgrade's audit events (the table is
append-only); an older version then reports them as changed.

Revision ID: 0007
Revises: 0006
"""

import json
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from ccm_timer.store import hashes
from ccm_timer.store.types import UTCDateTime, new_id, to_db_text

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_TEXT = sqlmodel.sql.sqltypes.AutoString
SUMMARY = "evidence hashes recorded at upgrade"
_PER_EVENT = 2000  # entries per upgrade event: no single row of many megabytes


def upgrade() -> None:
    # A plain ADD COLUMN: a batch copy would drop the append-only triggers of 0002.
    op.add_column("audit_event", sa.Column("evidence", _TEXT(), nullable=True))
    op.create_table(
        "chain_head",
        sa.Column("chain", _TEXT(), nullable=False),
        sa.Column("workstation", _TEXT(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", _TEXT(), nullable=False),
        sa.Column("pushed_at", UTCDateTime(length=27), nullable=False),
        sa.PrimaryKeyConstraint("chain"),
    )
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        _record_existing(conn)


def _record_existing(conn: sa.Connection) -> None:
    digests = list(hashes.all_origin_digests(conn))
    if not digests:
        return
    head = conn.exec_driver_sql(
        "SELECT seq, hash, workstation FROM audit_event ORDER BY seq DESC LIMIT 1").first()
    if head is not None:
        seq, prev, workstation = head
    else:  # entries written by an importer with no event yet: this chain starts here
        seq, prev = 0, hashes.GENESIS
        workstation = conn.exec_driver_sql("SELECT workstation FROM time_entry LIMIT 1").scalar()
    at = to_db_text(datetime.now(UTC))
    for start in range(0, len(digests), _PER_EVENT):
        part = dict(digests[start:start + _PER_EVENT])
        seq += 1
        event_id = new_id()
        after = json.dumps({"summary": SUMMARY, "entries": len(part)}, sort_keys=True)
        evidence = hashes.evidence_text(part)
        digest = hashes.event_digest(
            seq=seq, id=str(event_id), at_utc=at, actor="system", workstation=workstation,
            action="evidence.upgrade", entity="database", entity_id="-", before=None,
            after=after, prev_hash=prev, evidence=evidence)
        conn.exec_driver_sql(
            "INSERT INTO audit_event (seq, id, at_utc, actor, workstation, action, entity, "
            "entity_id, before, after, prev_hash, hash, evidence) "
            "VALUES (?, ?, ?, 'system', ?, 'evidence.upgrade', 'database', '-', NULL, ?, ?, ?, ?)",
            (seq, event_id.hex, at, workstation, after, prev, digest, evidence))
        prev = digest


def downgrade() -> None:
    op.drop_table("chain_head")
    op.execute("ALTER TABLE audit_event DROP COLUMN evidence")
