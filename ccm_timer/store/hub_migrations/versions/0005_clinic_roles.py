"""Each clinic's own view for the hub's owner, conflicts per clinic, and a change log that
is pruned (issue 19, points 2 and 5).

- A NOLOGIN role per clinic (`hub_clinic_role`, made by `ccm_hub_clinic_role(org)`), a
  member of the workstations' group, of which the owner is made a member: a connection
  through the owner's URL takes on its workstation's clinic's role (SET ROLE, in
  services/delivery/hub.py) and so comes under row-level security like a workstation's
  role, seeing one clinic. (FORCE ROW LEVEL SECURITY would not do: a superuser, often the
  owner, bypasses it.) ccm_hub_org() is that role's clinic; ccm_hub_ws() stays NULL, so it
  writes for any workstation of its clinic, as the owner did.
- `hub_org` readable by a role for its own clinic's row: a workstation checks its clinic
  key against its role's.
- A conflict's key is per clinic (two clinics may raise the same bundle's).
- The workstation's index on `time_entry.supersedes_id` (its revision 0017): a merge
  asks which version follows each incoming one.
- `hub_change.noted_at`, and `ccm_hub_prune_notes(keep, every)` (owner only) deleting notes
  older than `keep` at most once per `every`; `ccm_hub_prune()` is what a push calls.
  `hub_change_pruned.below_txid`: a pull whose cursor is below it lost notes to a prune
  and reads the clinic's rows whole (services/delivery/hub_pull.py).

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

GROUP = "ccm_hub_workstation"  # frozen: hub_schema.WORKSTATION_ROLE
KEEP, EVERY = "60 days", "1 day"  # a workstation offline longer reads its clinic whole
PRUNE_LOCK = 7_301_925_006


def upgrade() -> None:
    op.execute(f"DO $$ BEGIN CREATE ROLE {GROUP} NOLOGIN; "
               "EXCEPTION WHEN duplicate_object THEN NULL; END $$")
    op.create_table(
        "hub_clinic_role",
        sa.Column("role", sa.String(), primary_key=True),
        sa.Column("org_id", sa.Integer(), sa.ForeignKey("hub_org.id"), nullable=False,
                  unique=True),
    )
    op.execute("ALTER TABLE hub_clinic_role ENABLE ROW LEVEL SECURITY")
    op.execute("CREATE POLICY own_role ON hub_clinic_role FOR SELECT "
               "USING (role = current_user)")
    op.execute("""
CREATE OR REPLACE FUNCTION ccm_hub_org() RETURNS integer LANGUAGE sql STABLE AS $$
    SELECT COALESCE((SELECT org_id FROM hub_workstation_role WHERE role = current_user),
                    (SELECT org_id FROM hub_clinic_role WHERE role = current_user), 1)
$$""")
    # Role names are the server's, shared by its databases: the database's oid keeps two
    # hubs on one server apart. Invoker's rights: the owner (hub init) runs it.
    op.execute(f"""
CREATE FUNCTION ccm_hub_clinic_role(org integer) RETURNS varchar LANGUAGE plpgsql AS $$
DECLARE
    name varchar := format('ccm_clinic_%s_%s',
        (SELECT oid FROM pg_database WHERE datname = current_database()), org);
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = name) THEN
        EXECUTE format('CREATE ROLE %I NOLOGIN IN ROLE {GROUP}', name);
    END IF;
    EXECUTE format('GRANT %I TO %I', name, current_user);
    INSERT INTO hub_clinic_role (role, org_id) VALUES (name, org) ON CONFLICT DO NOTHING;
    RETURN name;
END $$""")
    op.execute("REVOKE ALL ON FUNCTION ccm_hub_clinic_role(integer) FROM PUBLIC")
    op.execute("SELECT ccm_hub_clinic_role(id) FROM hub_org ORDER BY id")
    op.execute("ALTER TABLE hub_org ENABLE ROW LEVEL SECURITY")
    op.execute("CREATE POLICY own_org ON hub_org FOR SELECT USING (id = (SELECT ccm_hub_org()))")

    op.execute("ALTER TABLE bundle_conflict "
               "DROP CONSTRAINT IF EXISTS bundle_conflict_bundle_kind_entity_entity_id_key")
    op.create_unique_constraint("uq_bundle_conflict_org_key", "bundle_conflict",
                                ["org_id", "bundle", "kind", "entity", "entity_id"])

    # IF NOT EXISTS: a hub made by create_all of the models (adopted by 0001) has it.
    op.execute("CREATE INDEX IF NOT EXISTS ix_time_entry_supersedes ON time_entry "
               "(supersedes_id)")
    op.add_column("hub_change", sa.Column("noted_at", sa.DateTime(timezone=True),
                                          nullable=False, server_default=sa.func.now()))
    op.create_index("ix_hub_change_noted_at", "hub_change", ["noted_at"])
    op.create_table(
        "hub_change_pruned",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("below_txid", sa.BigInteger(), nullable=False),
        sa.Column("pruned_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("id = 1", name="one_row"),
    )
    op.execute("INSERT INTO hub_change_pruned VALUES (1, 0, now())")
    # Only notes of finished transactions (below the snapshot's xmin) go: a pull's cursor
    # is such a transaction id. One prune at a time; a push that finds one running goes on.
    op.execute(f"""
CREATE FUNCTION ccm_hub_prune_notes(keep interval, every interval) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
    gone bigint;
    top bigint;
BEGIN
    IF NOT pg_try_advisory_xact_lock({PRUNE_LOCK}) THEN RETURN 0; END IF;
    IF (SELECT pruned_at FROM hub_change_pruned) > now() - every THEN RETURN 0; END IF;
    WITH cut AS (DELETE FROM hub_change WHERE noted_at < now() - keep
                 AND txid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint
                 RETURNING txid)
    SELECT count(*), max(txid) INTO gone, top FROM cut;
    UPDATE hub_change_pruned SET pruned_at = now(),
        below_txid = GREATEST(below_txid, COALESCE(top + 1, 0));
    RETURN gone;
END $$""")
    op.execute("REVOKE ALL ON FUNCTION ccm_hub_prune_notes(interval, interval) FROM PUBLIC")
    op.execute(f"""
CREATE FUNCTION ccm_hub_prune() RETURNS bigint LANGUAGE sql SECURITY DEFINER
SET search_path FROM CURRENT AS $$
    SELECT ccm_hub_prune_notes(interval '{KEEP}', interval '{EVERY}')
$$""")
    op.execute("REVOKE ALL ON FUNCTION ccm_hub_prune() FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION ccm_hub_prune() TO {GROUP}")


def downgrade() -> None:
    raise NotImplementedError("the clinics' roles on the hub are not undone")
