"""The workstation's change log, hub cursors and other workstations' live timers (issue 19): an incremental push reads the
rows changed since its cursor instead of the whole history. See store/local_tables.py.

A trigger per table a push carries notes each row inserted or updated, whoever writes. The
log starts empty: a target's first push after the upgrade has no cursor and sends every
row, as pushes did before, and sets its cursor.

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

from ccm_timer.store.types import UTCDateTime

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

# Frozen here (store/local_tables.LOGGED may grow in a later revision, with its triggers).
LOGGED = ("clinician", "category", "patient", "consent_document", "enrollment",
          "patient_condition", "care_plan_item", "care_plan_review", "patient_month",
          "time_entry", "interval", "export", "month_approval")


def upgrade() -> None:
    op.create_table(
        "sync_change",
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("tbl", sa.String(), nullable=False),
        sa.Column("row_id", sa.String(), nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "hub_cursor",
        sa.Column("target", sa.String(), primary_key=True),
        sa.Column("change_seq", sa.Integer(), nullable=False),
        sa.Column("audit_seq", sa.Integer(), nullable=False),
        sa.Column("full_push_at", UTCDateTime(), nullable=True),
        sa.Column("pulled_seq", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("pulled_at", UTCDateTime(), nullable=True),
    )
    op.create_table(
        "hub_live_timer",
        sa.Column("target", sa.String(), primary_key=True),
        sa.Column("entry_id", sa.String(), primary_key=True),
        sa.Column("workstation", sa.String(), nullable=False),
        sa.Column("clinician_name", sa.String(), nullable=False),
        sa.Column("patient_mrn", sa.String(), nullable=True),
        sa.Column("category_slug", sa.String(), nullable=False),
        sa.Column("program", sa.String(), nullable=True),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("seconds", sa.Integer(), nullable=False),
        sa.Column("pulled_at", UTCDateTime(), nullable=False),
    )
    if op.get_bind().dialect.name == "sqlite":
        for name in LOGGED:
            for event in ("INSERT", "UPDATE"):
                op.execute(
                    f"CREATE TRIGGER sync_change_{name}_{event.lower()} AFTER {event} ON {name} "
                    f"BEGIN INSERT INTO sync_change (tbl, row_id) VALUES ('{name}', NEW.id); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in LOGGED:
            for event in ("insert", "update"):
                op.execute(f"DROP TRIGGER IF EXISTS sync_change_{name}_{event}")
    op.drop_table("hub_live_timer")
    op.drop_table("hub_cursor")
    op.drop_table("sync_change")
