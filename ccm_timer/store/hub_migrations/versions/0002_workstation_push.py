"""Each workstation's pushes, for `hub status`: when it first and last pushed, how often,
and its audit head then. The hub's chain_head row moves only when a push carries new
events, so it cannot tell a quiet workstation from one that stopped pushing.

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


def upgrade() -> None:
    op.create_table(
        "workstation_push",
        sa.Column("workstation", sa.String(), primary_key=True),
        sa.Column("first_push_at", UTCDateTime(), nullable=False),
        sa.Column("last_push_at", UTCDateTime(), nullable=False),
        sa.Column("pushes", sa.Integer(), nullable=False),
        sa.Column("audit_seq", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("workstation_push")
