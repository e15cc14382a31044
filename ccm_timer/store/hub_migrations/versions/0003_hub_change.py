"""The hub's change log, for pull-back (issue 19, point 2): each row a merge inserts or
updates in a table a push carries is noted in `hub_change` by a trigger, so a workstation
asks "what changed since my last pull" instead of reading the hub whole.

Each note carries the writing transaction's id (`txid`). Merges from several workstations
may run at once and commit out of sequence order, so a pull's cursor is not a sequence
number but the oldest transaction still running when it read (services/delivery/hub_pull.py):
every note of a transaction older than that was visible to it.

The trigger function is SECURITY DEFINER, owned by the hub's owner (who runs `hub init`):
a workstation's login role may read the log but neither write nor forge notes in it, nor
draw numbers from its sequence, and its pushes still fire the trigger.

Rows already on the hub are noted once here, so a workstation's first pull takes them.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# Frozen here: the tables whose rows a push carries by id (the audit chain is not pulled).
NOTED = ("clinician", "category", "patient", "consent_document", "enrollment",
         "patient_condition", "care_plan_item", "care_plan_review", "patient_month",
         "time_entry", "interval", "export", "month_approval")
WITH_WORKSTATION = ("time_entry", "export")
FUNCTION = "ccm_hub_note_change"
_TXID = "pg_current_xact_id()::text::bigint"


def upgrade() -> None:
    op.create_table(
        "hub_change",
        sa.Column("seq", sa.BigInteger(), primary_key=True, autoincrement=True),
        sa.Column("tbl", sa.String(), nullable=False),
        sa.Column("row_id", sa.String(), nullable=False),
        sa.Column("workstation", sa.String(), nullable=True),
        sa.Column("txid", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_hub_change_txid", "hub_change", ["txid", "seq"])
    # to_jsonb: one function for every table, with or without a workstation column.
    op.execute(f"""
CREATE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path FROM CURRENT AS $$
BEGIN
    INSERT INTO hub_change (tbl, row_id, workstation, txid)
    VALUES (TG_TABLE_NAME, NEW.id::text, to_jsonb(NEW) ->> 'workstation', {_TXID});
    RETURN NULL;
END $$""")
    op.execute(f"REVOKE ALL ON FUNCTION {FUNCTION}() FROM PUBLIC")
    for name in NOTED:
        op.execute(f'CREATE TRIGGER hub_change_note AFTER INSERT OR UPDATE ON "{name}" '
                   f"FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()")
        ws = "workstation" if name in WITH_WORKSTATION else "NULL"
        op.execute(f"INSERT INTO hub_change (tbl, row_id, workstation, txid) "
                   f"SELECT '{name}', id::text, {ws}, {_TXID} FROM \"{name}\" ORDER BY id")


def downgrade() -> None:
    for name in NOTED:
        op.execute(f'DROP TRIGGER IF EXISTS hub_change_note ON "{name}"')
    op.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")
    op.drop_index("ix_hub_change_txid", table_name="hub_change")
    op.drop_table("hub_change")
