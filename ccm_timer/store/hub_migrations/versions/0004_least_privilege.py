"""Least privilege on the hub (issue 19, point 5): an organisation beside every row, a login
role per workstation, and row-level security.

- `hub_org`: one row per clinic sharing the hub; row 1 is the hub's first clinic, which
  every row already here belongs to (`hub init` names it by the clinic's key).
- `org_id` on every table a push writes, and on the hub's own tables: by default the
  writing role's organisation (ccm_hub_org()); a push never sends it, and the policies
  refuse a row or an update naming another. (A default, not a per-row trigger: a trigger
  made a full push of 400 entries take 0.85 s against 0.55 s, on a loaded machine.)
  MRNs and slugs are unique per organisation, so two clinics' patient T1001 are two
  patients.
- `hub_workstation_role`: the login role `hub add-workstation` made for each workstation,
  with its organisation and name. A role that is not listed (the hub's owner, or a login
  role an administrator made a member of ccm_hub_workstation before this revision) belongs
  to organisation 1 and may write for any workstation of it, as before.
- Row-level security: a workstation role reads its organisation's rows, writes only rows of
  its organisation and, where a row names a workstation (an entry, an interval through its
  entry, an audit event, an export, a chain head, a push record), only its own. The hub's
  owner is not subject to it.

Revision ID: 0004
Revises: 0003
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from ccm_timer.store.types import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# Frozen here (the models may change later, this never does).
MERGED = ("clinician", "category", "patient", "consent_document", "enrollment",
          "patient_condition", "care_plan_item", "care_plan_review", "patient_month",
          "month_approval", "time_entry", "interval", "audit_event", "export")
OWN = ("chain_head", "bundle_conflict", "workstation_push")
# A row of these is its workstation's alone: the column that names it, or the rule.
_ORG = "org_id = (SELECT ccm_hub_org())"
_ANY = "(SELECT ccm_hub_ws()) IS NULL"
WORKSTATION_RULE = {
    "time_entry": f"({_ANY} OR workstation = (SELECT ccm_hub_ws()))",
    "audit_event": f"({_ANY} OR workstation = (SELECT ccm_hub_ws()))",
    "export": f"({_ANY} OR workstation = (SELECT ccm_hub_ws()))",
    "chain_head": f"({_ANY} OR workstation = (SELECT ccm_hub_ws()))",
    "workstation_push": f"({_ANY} OR workstation = (SELECT ccm_hub_ws()))",
    "interval": f"({_ANY} OR EXISTS (SELECT 1 FROM time_entry e WHERE e.id = entry_id "
                "AND e.workstation = (SELECT ccm_hub_ws())))",
}
NATURAL = (("patient", "mrn"), ("category", "slug"))


def upgrade() -> None:
    org = op.create_table(
        "hub_org",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("clinic_id", sa.String(), nullable=True, unique=True),
        sa.Column("made_at", UTCDateTime(), nullable=False),
    )
    op.bulk_insert(org, [{"id": 1, "made_at": datetime.now(UTC)}])
    op.execute("SELECT setval(pg_get_serial_sequence('hub_org', 'id'), 1)")
    op.create_table(
        "hub_workstation_role",
        sa.Column("role", sa.String(), primary_key=True),
        sa.Column("org_id", sa.Integer(), sa.ForeignKey("hub_org.id"), nullable=False),
        sa.Column("workstation", sa.String(), nullable=False),
        sa.Column("made_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("org_id", "workstation"),
    )
    # Invoker's rights: current_user is the role running the statement or policy.
    op.execute("""
CREATE FUNCTION ccm_hub_org() RETURNS integer LANGUAGE sql STABLE AS $$
    SELECT COALESCE((SELECT org_id FROM hub_workstation_role WHERE role = current_user), 1)
$$""")
    op.execute("""
CREATE FUNCTION ccm_hub_ws() RETURNS varchar LANGUAGE sql STABLE AS $$
    SELECT workstation FROM hub_workstation_role WHERE role = current_user
$$""")
    op.execute("ALTER TABLE hub_workstation_role ENABLE ROW LEVEL SECURITY")
    op.execute("CREATE POLICY own_role ON hub_workstation_role FOR SELECT "
               "USING (role = current_user)")
    # The rows here are the first clinic's; a new row is the writing role's clinic's (a
    # push never sends org_id), and the policies refuse a row of another clinic.
    for name in (*MERGED, *OWN, "hub_change"):
        op.execute(f'ALTER TABLE "{name}" ADD COLUMN org_id integer NOT NULL DEFAULT 1')
        if name != "hub_change":
            op.execute(f'ALTER TABLE "{name}" ALTER COLUMN org_id SET DEFAULT ccm_hub_org()')
    for name in (*MERGED, *OWN):
        own = f"{_ORG} AND {WORKSTATION_RULE[name]}" if name in WORKSTATION_RULE else _ORG
        op.execute(f'ALTER TABLE "{name}" ENABLE ROW LEVEL SECURITY')
        op.execute(f'CREATE POLICY org_read ON "{name}" FOR SELECT USING ({_ORG})')
        op.execute(f'CREATE POLICY own_insert ON "{name}" FOR INSERT WITH CHECK ({own})')
        op.execute(f'CREATE POLICY own_update ON "{name}" FOR UPDATE USING ({own}) '
                   f"WITH CHECK ({own})")
    # The change log is written by its SECURITY DEFINER trigger (as the owner), so the
    # organisation comes from the row (its default, or the value the policies checked).
    op.execute("ALTER TABLE hub_change ENABLE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY org_read ON hub_change FOR SELECT USING ({_ORG})")
    op.execute("""
CREATE OR REPLACE FUNCTION ccm_hub_note_change() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
    INSERT INTO hub_change (tbl, row_id, workstation, txid, org_id)
    VALUES (TG_TABLE_NAME, NEW.id::text, to_jsonb(NEW) ->> 'workstation',
            pg_current_xact_id()::text::bigint, NEW.org_id);
    RETURN NULL;
END $$""")
    for name, key in NATURAL:
        op.execute(f"ALTER TABLE {name} DROP CONSTRAINT IF EXISTS {name}_{key}_key")
        op.create_unique_constraint(f"uq_{name}_org_{key}", name, ["org_id", key])
    op.execute("ALTER TABLE workstation_push DROP CONSTRAINT workstation_push_pkey")
    op.create_primary_key("workstation_push_pkey", "workstation_push", ["org_id", "workstation"])


def downgrade() -> None:
    raise NotImplementedError("least privilege on the hub is not undone")
