"""Each patient-month's overlapping entries, kept beside the month rollup (issue 18), in the
workstation-only table `month_overlap` (store/month_overlaps.py), so the month report reads
them instead of sweeping the month's entries.

The rollup's state row is cleared: the next open builds the rollup and the overlaps
together, in the clinic's zone (services/context.build_month_rollup); until then the report
counts from the entries, as before the rollup.

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "month_overlap",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("patient_id", sa.String(), nullable=False),
        sa.Column("month", sa.String(), nullable=False),
        sa.Column("entry_a", sa.String(), nullable=False),
        sa.Column("entry_b", sa.String(), nullable=False),
        sa.Column("seconds", sa.Integer(), nullable=False),
    )
    op.create_index("ix_month_overlap_month", "month_overlap", ["month", "patient_id"])
    op.execute("DELETE FROM month_rollup_state")


def downgrade() -> None:
    op.drop_index("ix_month_overlap_month", "month_overlap")
    op.drop_table("month_overlap")
