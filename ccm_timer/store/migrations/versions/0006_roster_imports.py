"""Roster imports in batches: each import recorded, and which patients it wrote.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from ccm_timer.store.types import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_TEXT = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "roster_import",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("started_at", UTCDateTime(length=27), nullable=False),
        sa.Column("updated_at", UTCDateTime(length=27), nullable=False),
        sa.Column("finished_at", UTCDateTime(length=27), nullable=True),
        sa.Column("state", _TEXT(), nullable=False),
        sa.Column("owner", _TEXT(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("written", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "roster_import_patient",
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("import_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["patient_id"], ["patient.id"]),
        sa.ForeignKeyConstraint(["import_id"], ["roster_import.id"]),
        sa.PrimaryKeyConstraint("patient_id"),
    )
    with op.batch_alter_table("roster_import_patient") as batch_op:
        batch_op.create_index("ix_roster_import_patient_import_id", ["import_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("roster_import_patient") as batch_op:
        batch_op.drop_index("ix_roster_import_patient_import_id")
    op.drop_table("roster_import_patient")
    op.drop_table("roster_import")
