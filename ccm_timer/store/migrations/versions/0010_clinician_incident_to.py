"""Whose minutes count (issue 15): a practitioner may work incident to the billing
practitioner, which the clinic's setting other_practitioner_time reads to decide whether
their minutes count as clinical-staff time. Existing clinicians are not incident to anyone
until someone says so: their minutes then count toward no code of another practitioner's
patient, the safe side.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN (no batch copy of `clinician`, which entries, patients and
    # enrollments refer to); its server default fills the existing rows with false.
    op.add_column("clinician", sa.Column("incident_to", sa.Boolean(), nullable=False,
                                         server_default=sa.false()))


def downgrade() -> None:
    # A plain DROP COLUMN: a batch copy drops and recreates `clinician`, which entries,
    # patients and enrollments refer to, and SQLite refuses that with foreign keys on.
    op.drop_column("clinician", "incident_to")
