"""Month end in the app (issue 17): a patient's care manager, the clinician who looks after
their month (the worklist filters by it). Existing patients have none until someone says.

Revision ID: 0012
Revises: 0011
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN (no batch copy of `patient`, which entries and enrolments refer to).
    # SQLite accepts a REFERENCES clause on an added column whose default is NULL, but
    # Alembic's add_column refuses a foreign key there, so the statement is written out;
    # CHAR(32) is how sa.Uuid is stored on SQLite.
    op.execute("ALTER TABLE patient ADD COLUMN care_manager_id CHAR(32) "
               "REFERENCES clinician (id)")


def downgrade() -> None:
    op.drop_column("patient", "care_manager_id")
