"""The clinic hub's schema history: a second Alembic history beside the workstation's
(store/migrations/), kept in its own version table, as the hub is PostgreSQL shared by every
workstation and upgraded by an administrator (`ccm-timer hub init`), never by a push.

Revision 0001 is the hub as `create_all` and the old ADDED_COLUMNS patch list left it, made
of statements that skip what exists, so a hub made that way is adopted (what an older one
lacks is added, nothing is recreated) and stamped. 0002 records each workstation's
pushes; 0003 is the change log pulls read (`hub_change`, kept by a trigger); 0004 gives
every row its clinic (org_id), a login role per workstation and row-level security; 0005
a role per clinic that the owner's connections take on, conflicts per clinic and the
change log's pruning; 0006 has the hub's functions read its tables by their schema and use
pg_catalog's operators, never a session's own table or operator of the same name, and leaves
the workstations' group role in no clinic.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Connection, text

HUB_HEAD = "0006"  # tests/store/test_hub_migrations.py checks this is Alembic's head
KNOWN_REVISIONS = ("0001", "0002", "0003", "0004", "0005", "0006")
VERSION_TABLE = "ccm_hub_version"
LOCATION = Path(__file__).resolve().parent
UPGRADE_LOCK = 7_301_925_005  # pg_advisory_xact_lock: two administrators, one upgrade


def state(conn: Connection) -> str | None:
    """The hub's revision; "" for a hub made before it had migrations (tables, no version
    table); None for a database without tables of ours."""
    if conn.execute(text("SELECT to_regclass(:t)"), {"t": VERSION_TABLE}).scalar() is None:
        made = conn.execute(text("SELECT to_regclass('time_entry')")).scalar()
        return "" if made is not None else None
    return conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar() or ""


def upgrade(conn: Connection, revision: str = "head") -> None:
    """Bring the hub to `revision` inside the caller's transaction (PostgreSQL's DDL is
    transactional: a failed upgrade leaves the hub as it was)."""
    from alembic import command
    from alembic.config import Config

    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": UPGRADE_LOCK})
    cfg = Config()
    cfg.set_main_option("script_location", str(LOCATION))
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, revision)
