"""The hub as it was before it had migrations: every workstation table, as `create_all`
made it, with the columns and enum values the old ADDED_COLUMNS patch gave a hub made by an
earlier version.

Every statement skips what exists (IF NOT EXISTS, a duplicate type ignored), so the same
revision makes a new hub and adopts one made the old way: nothing there is recreated and
its rows stay. The statements are frozen in sql/0001_hub_schema.sql (PostgreSQL's DDL as
SQLAlchemy compiled it for today's models); the models may change later, this never does.

Revision ID: 0001
Revises:
"""

from alembic import op

from ccm_timer.store.hub_migrations import LOCATION

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Columns later workstation revisions gave tables an older hub may already have (create_all
# adds tables, never columns): 0007 evidence hashes, 0009 the clinical record, 0010
# incident-to.
ADDED_COLUMNS = (
    ("audit_event", "evidence", "VARCHAR"),
    ("clinician", "incident_to", "BOOLEAN NOT NULL DEFAULT false"),
    ("patient", "qmb", "BOOLEAN"),
    ("enrollment", "consent_by", "VARCHAR"),
    ("enrollment", "consent_by_id", "UUID REFERENCES clinician (id)"),
    ("enrollment", "disclosed_cost_sharing", "BOOLEAN NOT NULL DEFAULT false"),
    ("enrollment", "disclosed_one_practitioner", "BOOLEAN NOT NULL DEFAULT false"),
    ("enrollment", "disclosed_right_to_stop", "BOOLEAN NOT NULL DEFAULT false"),
    ("enrollment", "consent_document_id", "UUID REFERENCES consent_document (id)"),
    ("enrollment", "withdrawn_on", "DATE"),
    ("enrollment", "withdrawal_reason", "VARCHAR"),
)
# Values added to a type an older hub has (the programs APCM and COCM, issue 15).
ADDED_VALUES = (("program", "APCM"), ("program", "COCM"))


def upgrade() -> None:
    script = (LOCATION / "sql" / "0001_hub_schema.sql").read_text(encoding="utf-8")
    for statement in filter(None, (s.strip() for s in script.split(";\n\n"))):
        op.execute(statement.rstrip(";"))
    for table, column, kind in ADDED_COLUMNS:
        op.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} {kind}")
    for kind, value in ADDED_VALUES:
        op.execute(f"ALTER TYPE {kind} ADD VALUE IF NOT EXISTS '{value}'")


def downgrade() -> None:
    raise NotImplementedError("the hub's first revision is not undone")
