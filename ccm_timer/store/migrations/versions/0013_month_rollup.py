"""The month rollup (issue 18): seconds of the stopped entries per patient, month,
clinician, category and program, so the month report reads a row per group instead of
every entry.

SQLite cannot know the clinic's zone, so the triggers here only note what changed (the
entry, and the patient's instants) in `month_rollup_dirty`, whoever writes; the drain of
store/month_rollup.py recomputes those months in Python before the same transaction commits.
They note nothing until the rollup is built (`month_rollup_state` has its row) in the
clinic's zone by `month_rollup.ensure` (`ccm-timer doctor`; the open, once it calls it);
until then month_time counts from the entries, as before.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from ccm_timer.store.types import UTCDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_TEXT = sqlmodel.sql.sqltypes.AutoString
_BUILT = "WHEN EXISTS (SELECT 1 FROM month_rollup_state)"
_NOTE = "INSERT INTO month_rollup_dirty (entry_id, patient_id, lo, hi)"


def _interval(row: str) -> str:
    return (f"{_NOTE} SELECT {row}.entry_id, patient_id, {row}.start_utc, "
            f"COALESCE({row}.end_utc, {row}.start_utc) FROM time_entry "
            f"WHERE id = {row}.entry_id;")


def _entry(row: str) -> str:
    return (f"{_NOTE} VALUES ({row}.id, {row}.patient_id, {row}.span_start, "
            f"COALESCE({row}.span_end, {row}.span_start));")


TRIGGERS = {
    "month_rollup_interval_insert": f"AFTER INSERT ON interval {_BUILT} BEGIN "
    f"{_interval('NEW')} END",
    "month_rollup_interval_update": f"AFTER UPDATE ON interval {_BUILT} BEGIN "
    f"{_interval('OLD')} {_interval('NEW')} END",
    "month_rollup_entry_insert": f"AFTER INSERT ON time_entry {_BUILT} BEGIN "
    f"{_entry('NEW')} END",
    # What moves an entry's time to another group or out of the count. Its spans are kept
    # by the interval triggers, which note the change themselves.
    "month_rollup_entry_update": "AFTER UPDATE OF patient_id, clinician_id, category_id, "
    f"program, voided, superseded_at ON time_entry {_BUILT} BEGIN "
    f"{_entry('OLD')} {_entry('NEW')} END",
}


def upgrade() -> None:
    op.create_table(
        "month_rollup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=True),
        sa.Column("month", _TEXT(), nullable=False),
        sa.Column("clinician_id", sa.Uuid(), nullable=False),
        sa.Column("category_id", sa.Uuid(), nullable=False),
        sa.Column("program", _TEXT(), nullable=True),
        sa.Column("seconds", sa.Integer(), nullable=False),
        sa.Column("longest", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_month_rollup_month", "month_rollup", ["month", "patient_id"])
    op.create_table(
        "month_rollup_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("zone", _TEXT(), nullable=False),
        sa.Column("built_at", UTCDateTime(length=27), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "month_rollup_dirty",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Uuid(), nullable=True),
        sa.Column("patient_id", sa.Uuid(), nullable=True),
        sa.Column("lo", UTCDateTime(length=27), nullable=True),
        sa.Column("hi", UTCDateTime(length=27), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    if op.get_bind().dialect.name == "sqlite":
        for name, body in TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {body}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table("month_rollup_dirty")
    op.drop_table("month_rollup_state")
    op.drop_index("ix_month_rollup_month", "month_rollup")
    op.drop_table("month_rollup")
