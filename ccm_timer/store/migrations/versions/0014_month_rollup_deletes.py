"""The month rollup notes deleted rows too. CCM Timer never deletes an entry or an interval
(triggers of 0004 refuse it), but a row deleted with SQL behind the app's back, after
dropping those triggers, must leave the month report counting what the rows still hold,
as it did before the rollup, while `audit verify` names the deletion.

Revision ID: 0014
Revises: 0013
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_BUILT = "WHEN EXISTS (SELECT 1 FROM month_rollup_state)"
_NOTE = "INSERT INTO month_rollup_dirty (entry_id, patient_id, lo, hi)"
# An interval deleted before its entry finds the entry's patient; one deleted after it was
# noted by the entry's own deletion.
TRIGGERS = {
    "month_rollup_interval_delete": f"AFTER DELETE ON interval {_BUILT} BEGIN {_NOTE} "
    "SELECT OLD.entry_id, patient_id, OLD.start_utc, COALESCE(OLD.end_utc, OLD.start_utc) "
    "FROM time_entry WHERE id = OLD.entry_id; END",
    "month_rollup_entry_delete": f"AFTER DELETE ON time_entry {_BUILT} BEGIN {_NOTE} "
    "VALUES (OLD.id, OLD.patient_id, OLD.span_start, COALESCE(OLD.span_end, OLD.span_start)); "
    "END",
}


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name, body in TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {body}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
