"""Exports, the delivery outbox and the clinic-hub push state.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from ccm_timer.store.types import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_TEXT = sqlmodel.sql.sqltypes.AutoString
_STATES = ("PENDING", "IN_FLIGHT", "DELIVERED", "FAILED")


def upgrade() -> None:
    op.create_table(
        "export",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(length=27), nullable=False),
        sa.Column("actor", _TEXT(), nullable=False),
        sa.Column("workstation", _TEXT(), nullable=False),
        sa.Column("month", _TEXT(), nullable=False),
        sa.Column("scope", _TEXT(), nullable=False),
        sa.Column("format", _TEXT(), nullable=False),
        sa.Column("filename_hint", _TEXT(), nullable=False),
        sa.Column("sha256", _TEXT(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("amendment", sa.Boolean(), nullable=False),
        sa.Column("chain_head", _TEXT(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "outbox_item",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("export_id", sa.Uuid(), nullable=False),
        sa.Column("target", _TEXT(), nullable=False),
        sa.Column("state", sa.Enum(*_STATES, name="outboxstate"), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(length=27), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(length=27), nullable=False),
        sa.Column("last_try_at", UTCDateTime(length=27), nullable=True),
        sa.Column("last_error", _TEXT(), nullable=True),
        sa.Column("delivered_at", UTCDateTime(length=27), nullable=True),
        sa.Column("receipt", _TEXT(), nullable=True),
        sa.Column("lease_owner", _TEXT(), nullable=True),
        sa.Column("lease_expires_at", UTCDateTime(length=27), nullable=True),
        sa.Column("bundle_records", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(["export_id"], ["export.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("export_id", "target"),
    )
    with op.batch_alter_table("outbox_item") as batch_op:
        batch_op.create_index("ix_outbox_item_due", ["state", "next_attempt_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_outbox_item_export_id"), ["export_id"], unique=False
        )
    op.create_table(
        "hub_push",
        sa.Column("target", _TEXT(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(length=27), nullable=True),
        sa.Column("last_try_at", UTCDateTime(length=27), nullable=True),
        sa.Column("last_success_at", UTCDateTime(length=27), nullable=True),
        sa.Column("last_error", _TEXT(), nullable=True),
        sa.Column("pushed_audit_seq", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("target"),
    )
    if op.get_bind().dialect.name == "sqlite":
        # An export is evidence of what was sent: its bytes never change and it is never
        # deleted (its outbox rows may change state, never the export).
        op.execute(
            "CREATE TRIGGER export_frozen BEFORE UPDATE ON export BEGIN "
            "SELECT RAISE(ABORT, 'an export never changes once recorded'); END"
        )
        op.execute(
            "CREATE TRIGGER export_no_delete BEFORE DELETE ON export BEGIN "
            "SELECT RAISE(ABORT, 'exports are never deleted'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS export_frozen")
        op.execute("DROP TRIGGER IF EXISTS export_no_delete")
    op.drop_table("hub_push")
    with op.batch_alter_table("outbox_item") as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_item_export_id"))
        batch_op.drop_index("ix_outbox_item_due")
    op.drop_table("outbox_item")
    op.drop_table("export")
