"""Recovery marker on entries; triggers that keep the record append-only.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from ccm_timer.store.types import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# The audit table is append-only, and a superseded entry version is evidence: no UPDATE or
# DELETE may touch either, whatever program opens the file.
TRIGGERS = {
    "audit_event_no_update": "BEFORE UPDATE ON audit_event BEGIN "
    "SELECT RAISE(ABORT, 'audit events are append-only'); END",
    "audit_event_no_delete": "BEFORE DELETE ON audit_event BEGIN "
    "SELECT RAISE(ABORT, 'audit events are append-only'); END",
    "time_entry_no_delete": "BEFORE DELETE ON time_entry BEGIN "
    "SELECT RAISE(ABORT, 'time entries are never deleted; void them'); END",
    "time_entry_superseded_frozen": "BEFORE UPDATE ON time_entry "
    "WHEN OLD.superseded_at IS NOT NULL BEGIN "
    "SELECT RAISE(ABORT, 'a superseded entry version cannot change'); END",
    "interval_no_delete": "BEFORE DELETE ON interval BEGIN "
    "SELECT RAISE(ABORT, 'intervals are never deleted'); END",
    "interval_superseded_frozen": "BEFORE UPDATE ON interval WHEN "
    "(SELECT superseded_at FROM time_entry WHERE id = OLD.entry_id) IS NOT NULL BEGIN "
    "SELECT RAISE(ABORT, 'a superseded entry version cannot change'); END",
}


def upgrade() -> None:
    with op.batch_alter_table("time_entry") as batch_op:
        batch_op.add_column(sa.Column("recovered_at", UTCDateTime(length=27), nullable=True))
    if op.get_bind().dialect.name == "sqlite":
        for name, body in TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {body}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    with op.batch_alter_table("time_entry") as batch_op:
        batch_op.drop_column("recovered_at")
