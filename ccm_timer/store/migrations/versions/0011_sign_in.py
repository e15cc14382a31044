"""Who is working (issue 16): duties granted beside the clinical role, and a credential per
person. Existing people get no duty and no credential: they can time, and set a credential
at their first sign-in before they can attest anything.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from ccm_timer.store.types import UTCDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_TEXT = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    # A plain ADD COLUMN, as in 0010: `clinician` is referred to by entries and patients.
    op.add_column("clinician", sa.Column("duties", _TEXT(), nullable=False,
                                         server_default=""))
    op.create_table(
        "credential",
        sa.Column("clinician_id", sa.Uuid(), nullable=False),
        sa.Column("secret_hash", _TEXT(), nullable=True),
        sa.Column("set_at", UTCDateTime(length=27), nullable=True),
        sa.Column("set_by", _TEXT(), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("failed_at", UTCDateTime(length=27), nullable=True),
        sa.Column("locked_until", UTCDateTime(length=27), nullable=True),
        sa.ForeignKeyConstraint(["clinician_id"], ["clinician.id"]),
        sa.PrimaryKeyConstraint("clinician_id"),
    )


def downgrade() -> None:
    op.drop_table("credential")
    op.drop_column("clinician", "duties")
