"""Each entry version carries its span (first start, last end) and whole seconds.

The month report reads these from one indexed table instead of joining a million intervals;
triggers keep them equal to the intervals, whoever writes them (the app, an import, a test).
While an entry runs, span_end and span_seconds stay NULL and the report reads its intervals.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

from ccm_timer.store.types import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _micros(column: str) -> str:
    return (f"(CAST(strftime('%s', {column}) AS INTEGER) * 1000000 "
            f"+ CAST(substr({column}, 21, 6) AS INTEGER))")


# Whole seconds per interval, floored, summed: the same figure as core.month.whole_seconds.
_REFRESH = f"""
UPDATE time_entry SET
  span_start = (SELECT MIN(start_utc) FROM interval WHERE entry_id = time_entry.id),
  span_end = (SELECT CASE WHEN COUNT(*) = COUNT(end_utc) THEN MAX(end_utc) END
              FROM interval WHERE entry_id = time_entry.id),
  span_seconds = (SELECT CASE WHEN COUNT(*) = COUNT(end_utc) THEN
                    SUM(MAX(0, ({_micros('end_utc')} - {_micros('start_utc')}) / 1000000)) END
                  FROM interval WHERE entry_id = time_entry.id)
"""

TRIGGERS = {
    "interval_span_insert": f"AFTER INSERT ON interval BEGIN {_REFRESH} "
    "WHERE id = NEW.entry_id; END",
    "interval_span_update": f"AFTER UPDATE ON interval BEGIN {_REFRESH} "
    "WHERE id = NEW.entry_id; END",
}


def upgrade() -> None:
    with op.batch_alter_table("time_entry") as batch_op:
        batch_op.add_column(sa.Column("span_start", UTCDateTime(length=27), nullable=True))
        batch_op.add_column(sa.Column("span_end", UTCDateTime(length=27), nullable=True))
        batch_op.add_column(sa.Column("span_seconds", sa.Integer(), nullable=True))
    op.create_index("ix_time_entry_span_start", "time_entry", ["superseded_at", "span_start"])
    op.create_index("ix_time_entry_span_end", "time_entry", ["superseded_at", "span_end"])
    if op.get_bind().dialect.name == "sqlite":
        # Superseded versions are frozen by trigger; fill only the current ones, then let
        # the triggers keep every later change in step.
        op.execute(f"{_REFRESH} WHERE superseded_at IS NULL")
        for name, body in TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {body}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_index("ix_time_entry_span_end", "time_entry")
    op.drop_index("ix_time_entry_span_start", "time_entry")
    with op.batch_alter_table("time_entry") as batch_op:
        batch_op.drop_column("span_seconds")
        batch_op.drop_column("span_end")
        batch_op.drop_column("span_start")
