"""An index on `time_entry.supersedes_id` (issue 18): the merge of a pull, a bundle or an
import asks which version already follows each incoming one, and without it each such
question read every entry (a pull of one entry into a year of 50 workstations spent 125 of
its 200 ms there).

Revision ID: 0017
Revises: 0016
"""

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_time_entry_supersedes", "time_entry", ["supersedes_id"])


def downgrade() -> None:
    op.drop_index("ix_time_entry_supersedes", "time_entry")
