"""The hub's functions read the hub's tables by their schema, and the group role is no
clinic's (issue 19, point 5).

PostgreSQL looks for a table in the session's temporary schema before any other unless the
search path names it (`pg_temp`) later, and every role may make temporary tables by default.
A workstation's login could thus make a temporary `hub_workstation_role` naming another
clinic, and row-level security, which asks ccm_hub_org(), would show it that clinic's rows;
or a temporary `hub_change_pruned`, so that a prune's horizon went to it and a pull below
the cut would miss rows.

- ccm_hub_org() and ccm_hub_ws() name their tables with the schema and take pg_catalog's
  `=`, not one a login made in a schema open to all (no SET clause: they stay inlinable in
  the policies, as before).
- The workstations' group itself belongs to no clinic: every login is a member, so it may
  SET ROLE to it, and an unlisted role was the first clinic's.
- The SECURITY DEFINER functions (the change log's trigger, the prune) and the clinic role
  maker search the hub's schema, then pg_temp last.
- ccm_hub_clinic_role(org) records the role it made even when the clinic had another name
  recorded (a hub restored into a new database gets a new oid, so new role names).
- `hub init` also takes TEMPORARY on the hub's database from PUBLIC (hub_schema._grant).

Revision ID: 0006
Revises: 0005
"""

from alembic import op
from sqlalchemy import text

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

GROUP = "ccm_hub_workstation"  # frozen: hub_schema.WORKSTATION_ROLE
OWNERS_RIGHTS = ("ccm_hub_note_change()", "ccm_hub_prune_notes(interval, interval)",
                 "ccm_hub_prune()")


def upgrade() -> None:
    conn = op.get_bind()
    schema = conn.execute(text("SELECT quote_ident(current_schema())")).scalar_one()
    eq = "OPERATOR(pg_catalog.=)"
    op.execute(f"""
CREATE OR REPLACE FUNCTION ccm_hub_org() RETURNS integer LANGUAGE sql STABLE AS $$
    SELECT COALESCE(
        (SELECT org_id FROM {schema}.hub_workstation_role WHERE role {eq} current_user),
        (SELECT org_id FROM {schema}.hub_clinic_role WHERE role {eq} current_user),
        CASE WHEN current_user OPERATOR(pg_catalog.<>) '{GROUP}' THEN 1 END)
$$""")
    op.execute(f"""
CREATE OR REPLACE FUNCTION ccm_hub_ws() RETURNS varchar LANGUAGE sql STABLE AS $$
    SELECT workstation FROM {schema}.hub_workstation_role WHERE role {eq} current_user
$$""")
    for function in OWNERS_RIGHTS:
        op.execute(f"ALTER FUNCTION {function} SET search_path = {schema}, pg_temp")
    op.execute(f"""
CREATE OR REPLACE FUNCTION ccm_hub_clinic_role(org integer) RETURNS varchar
LANGUAGE plpgsql SET search_path = {schema}, pg_temp AS $$
DECLARE
    name varchar := format('ccm_clinic_%s_%s',
        (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database()), org);
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = name) THEN
        EXECUTE format('CREATE ROLE %I NOLOGIN IN ROLE {GROUP}', name);
    END IF;
    EXECUTE format('GRANT %I TO %I', name, current_user);
    INSERT INTO hub_clinic_role (role, org_id) VALUES (name, org)
        ON CONFLICT (org_id) DO UPDATE SET role = EXCLUDED.role;
    RETURN name;
END $$""")


def downgrade() -> None:
    raise NotImplementedError("the hub's functions are not made unsafe again")
