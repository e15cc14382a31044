"""Signed bundles: the keys bundles are signed and sealed with, and the conflicts imports
record instead of changing local rows.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from ccm_timer.store.types import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_TEXT = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "bundle_key",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", _TEXT(), nullable=False),
        sa.Column("name", _TEXT(), nullable=False),
        sa.Column("public_key", _TEXT(), nullable=False),
        sa.Column("fingerprint", _TEXT(), nullable=False),
        sa.Column("private_in", _TEXT(), nullable=False),
        sa.Column("added_at", UTCDateTime(length=27), nullable=False),
        sa.Column("added_by", _TEXT(), nullable=False),
        sa.Column("retired_at", UTCDateTime(length=27), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("bundle_key") as batch_op:
        batch_op.create_index("ix_bundle_key_fingerprint", ["fingerprint"], unique=False)
    op.create_table(
        "bundle_conflict",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(length=27), nullable=False),
        sa.Column("bundle", _TEXT(), nullable=False),
        sa.Column("sender", _TEXT(), nullable=False),
        sa.Column("kind", _TEXT(), nullable=False),
        sa.Column("entity", _TEXT(), nullable=False),
        sa.Column("entity_id", _TEXT(), nullable=False),
        sa.Column("summary", _TEXT(), nullable=False),
        sa.Column("incoming", _TEXT(), nullable=False),
        sa.Column("resolved_at", UTCDateTime(length=27), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("bundle", "kind", "entity", "entity_id"),
    )


def downgrade() -> None:
    op.drop_table("bundle_conflict")
    with op.batch_alter_table("bundle_key") as batch_op:
        batch_op.drop_index("ix_bundle_key_fingerprint")
    op.drop_table("bundle_key")
