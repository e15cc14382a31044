"""Month close: a billing practitioner's approval of a patient-month.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from ccm_timer.store.types import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_TEXT = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "month_approval",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("month", _TEXT(), nullable=False),
        sa.Column("approved_at", UTCDateTime(length=27), nullable=False),
        sa.Column("approved_by", _TEXT(), nullable=False),
        sa.Column("approver_id", sa.Uuid(), nullable=False),
        sa.Column("audit_seq", sa.Integer(), nullable=False),
        sa.Column("lines", _TEXT(), nullable=False),
        sa.ForeignKeyConstraint(["patient_id"], ["patient.id"]),
        sa.ForeignKeyConstraint(["approver_id"], ["clinician.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("month_approval") as batch_op:
        batch_op.create_index(
            "ix_month_approval_patient_month", ["patient_id", "month"], unique=False
        )
    if op.get_bind().dialect.name == "sqlite":
        # An approval is evidence of who signed off on what: a new one supersedes, none
        # is edited or deleted.
        op.execute(
            "CREATE TRIGGER month_approval_frozen BEFORE UPDATE ON month_approval BEGIN "
            "SELECT RAISE(ABORT, 'an approval never changes once recorded'); END"
        )
        op.execute(
            "CREATE TRIGGER month_approval_no_delete BEFORE DELETE ON month_approval BEGIN "
            "SELECT RAISE(ABORT, 'approvals are never deleted'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS month_approval_frozen")
        op.execute("DROP TRIGGER IF EXISTS month_approval_no_delete")
    with op.batch_alter_table("month_approval") as batch_op:
        batch_op.drop_index("ix_month_approval_patient_month")
    op.drop_table("month_approval")
