"""The clinic hub's schema: which revision a hub is at (a push, a report and a bundle import
go on only at HUB_HEAD), `hub init` (the schema upgraded through store/hub_migrations and the
workstations' group role granted what a push needs) and `hub status` (each workstation's
last push).

Revision 0004 gives each workstation a login role of its own in WORKSTATION_ROLE (`hub
add-workstation`, hub_roles.py) and every row its clinic; row-level security then lets a
workstation read its clinic's rows and write only its own. A login role an administrator
made a member of the group by hand, before, still reads and writes the first clinic's rows.
Revision 0005 gives each clinic a role of its own too, which a connection through the
owner's URL takes on (`acting_role`), so the owner's reports, pulls and status see one
clinic as well.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, func, select, text

from ccm_timer.errors import UserError
from ccm_timer.store import hub_migrations as migrations
from ccm_timer.store import merge as records
from ccm_timer.store.hub_migrations.tables import (
    hub_clinic_role,
    hub_org,
    hub_workstation_role,
    workstation_push,
)

if TYPE_CHECKING:
    from ccm_timer.services.context import AppContext

WORKSTATION_ROLE = "ccm_hub_workstation"  # NOLOGIN: a workstation's login role joins it
# What a push, a pull, a bundle import into the hub, `report --hub` and `hub verify` read.
READ = (*records.MERGED, "chain_head", "bundle_conflict", "workstation_push", "month_rollup",
        "month_rollup_dirty", "month_rollup_state", "hub_change", "hub_change_pruned",
        migrations.VERSION_TABLE,
        # Their own row only (row-level security): whose rows a role writes, its clinic.
        "hub_workstation_role", "hub_clinic_role", "hub_org")
# What they write: never a DELETE (a push only inserts and updates), never DDL, never
# hub_change: its trigger function is SECURITY DEFINER (revision 0003), so a push notes its
# rows there without the role being able to write, forge or renumber notes itself.
WRITE = (*records.MERGED, "chain_head", "bundle_conflict", "workstation_push")

INIT = ("an administrator runs `ccm-timer hub init URL` to set it up")


def refusal(conn: Connection) -> str:
    """Why this version may not push to or read the hub, in one sentence; "" at HUB_HEAD."""
    found = migrations.state(conn)
    if found is None:
        return f"The clinic hub holds no CCM Timer tables yet; {INIT}."
    if found == migrations.HUB_HEAD:
        return ""
    if found in migrations.KNOWN_REVISIONS or found == "":
        return ("The clinic hub's tables are older than this version of CCM Timer; "
                "an administrator runs `ccm-timer hub init URL` to upgrade it.")
    return ("This workstation is older than the clinic hub; update CCM Timer here, then "
            "try again.")


@dataclass(frozen=True)
class InitReport:
    before: str | None  # the revision found: None (no tables), "" (made before migrations)
    after: str
    role: str = WORKSTATION_ROLE
    temporary_left: str = ""  # the database whose PUBLIC may still make temporary tables

    @property
    def changed(self) -> bool:
        return self.before != self.after

    def sentence(self) -> str:
        if self.before is None:
            made = f"Made the clinic hub's tables (revision {self.after})"
        elif self.before == "":
            made = (f"Recognised the clinic hub made by an earlier version and recorded it "
                    f"at revision {self.after}; its records stay as they were")
        elif self.changed:
            made = f"Upgraded the clinic hub from revision {self.before} to {self.after}"
        else:
            made = f"The clinic hub is already at revision {self.after}; nothing changed"
        said = (f"{made}. Workstations' login roles join {self.role}, which may read and "
                "add records but not delete them or change tables.")
        if self.temporary_left:  # the functions resist such tables (0006): a warning
            said += (" Every role may still make temporary tables in this database, which "
                     "only its owner can take away: they run `REVOKE TEMPORARY ON DATABASE "
                     f"{self.temporary_left} FROM PUBLIC`.")
        return said


def init(conn: Connection, clinic_id: str | None = None) -> InitReport:
    """Inside one transaction: the hub upgraded to HUB_HEAD and WORKSTATION_ROLE granted
    what a push needs; with `clinic_id`, the clinic is one of the hub's (org). Run again, it
    changes nothing. A hub newer than this version is left alone (ValueError with the
    sentence)."""
    before = migrations.state(conn)
    if before and before not in migrations.KNOWN_REVISIONS:
        raise ValueError(refusal(conn))
    if before != migrations.HUB_HEAD:
        migrations.upgrade(conn)
    left = _grant(conn)
    if clinic_id:
        org(conn, clinic_id)
    return InitReport(before, migrations.HUB_HEAD, temporary_left=left)


def org(conn: Connection, clinic_id: str) -> int:
    """The hub's organisation for this clinic key: the hub's first (1) when no clinic has
    named it yet (it holds the rows pushed before clinics had keys), else a new one."""
    from datetime import UTC

    found = conn.execute(select(hub_org.c.id).where(hub_org.c.clinic_id == clinic_id)).scalar()
    if found is None:
        found = conn.execute(hub_org.update().where(
            hub_org.c.id == 1, hub_org.c.clinic_id.is_(None)).values(
            clinic_id=clinic_id).returning(hub_org.c.id)).scalar()
    if found is None:
        found = conn.execute(hub_org.insert().values(
            clinic_id=clinic_id, made_at=datetime.now(UTC)).returning(hub_org.c.id)
        ).scalar_one()
    conn.execute(text("SELECT ccm_hub_clinic_role(:org)"), {"org": found})  # revision 0005
    return int(found)


def acting_role(conn: Connection, clinic_id: str | None) -> str | None:
    """The role a connection takes on for the workstation of clinic `clinic_id` (None: it
    never named one, so the first clinic): its clinic's role when it is the owner's (or a
    login role made a member of the group by hand, which sees the first clinic only),
    None for a workstation's own role. UserError when the clinic is not the hub's or not
    the role's."""
    own = conn.execute(select(hub_workstation_role.c.org_id).where(
        hub_workstation_role.c.role == func.current_user())).scalar()
    if own is not None:
        named = conn.execute(select(hub_org.c.clinic_id).where(hub_org.c.id == own)).scalar()
        if clinic_id and named and named != clinic_id:
            raise UserError("This workstation's login to the clinic hub belongs to another "
                            "clinic; an administrator of this clinic runs `ccm-timer hub "
                            "add-workstation` here to give it its own.")
        return None
    org_id = conn.execute(select(hub_org.c.id).where(
        hub_org.c.clinic_id == clinic_id)).scalar() if clinic_id else None
    if org_id is None:
        first = conn.execute(select(hub_org.c.clinic_id).where(hub_org.c.id == 1)).scalar()
        if clinic_id and first:
            raise UserError("This clinic is not one of the clinic hub's yet, or this "
                            "login may not see it; an administrator runs `ccm-timer hub "
                            "init URL` here first, or `hub add-workstation` for a login "
                            "of its own.")
        org_id = 1
    return conn.execute(select(hub_clinic_role.c.role).where(
        hub_clinic_role.c.org_id == org_id)).scalar()


def record_init(ctx: AppContext, actor: str, url: str, report: InitReport) -> None:
    """The administrator's `hub init` in this workstation's audit trail (the URL never holds
    a password: targets.validate refuses one)."""
    from ccm_timer.services.security import audit

    with ctx.write() as session:
        audit.append(session, ctx=ctx, actor=actor, action="hub.init", entity="hub",
                     entity_id=url, before={"revision": report.before},
                     after={"revision": report.after, "role": report.role})


def _grant(conn: Connection) -> str:
    """What a workstation's role may do; returns the database's name when PUBLIC may
    still make temporary tables in it (only the database's owner can take that away)."""
    # Our own names only, never user input (so composing the statements is safe).
    role = WORKSTATION_ROLE
    conn.execute(text(f"DO $$ BEGIN CREATE ROLE {role} NOLOGIN; "
                      "EXCEPTION WHEN duplicate_object THEN NULL; END $$"))
    schema = conn.execute(text("SELECT current_schema()")).scalar_one()
    conn.execute(text(f'GRANT USAGE ON SCHEMA "{schema}" TO {role}'))
    # Before PostgreSQL 15 every role may create tables in the public schema; and every
    # role's temporary tables are found before the hub's of the same name (revision 0006).
    conn.execute(text(f'REVOKE CREATE ON SCHEMA "{schema}" FROM PUBLIC'))
    conn.execute(text('DO $$ BEGIN EXECUTE format(\'REVOKE TEMPORARY ON DATABASE %I FROM '
                      'PUBLIC\', current_database()); END $$'))
    conn.execute(text(f"GRANT SELECT ON {', '.join(READ)} TO {role}"))
    conn.execute(text(f"GRANT INSERT, UPDATE ON {', '.join(WRITE)} TO {role}"))
    sequence = conn.execute(text(
        "SELECT pg_get_serial_sequence('audit_event', 'seq')")).scalar_one()
    conn.execute(text(f"GRANT USAGE ON SEQUENCE {sequence} TO {role}"))  # the hub numbers events
    return conn.execute(text(
        "SELECT CASE WHEN has_database_privilege('public', current_database(), 'TEMPORARY') "
        "THEN current_database() ELSE '' END")).scalar_one()


def record_push(conn: Connection, workstation: str, at: datetime, audit_seq: int) -> None:
    """Inside a full push's transaction: this workstation pushed at `at`."""
    # The pushing role's clinic: the owner sees every clinic's rows.
    row = conn.execute(select(workstation_push).where(
        workstation_push.c.workstation == workstation,
        workstation_push.c.org_id == func.ccm_hub_org())).mappings().first()
    if row is None:
        conn.execute(workstation_push.insert().values(
            workstation=workstation, first_push_at=at, last_push_at=at, pushes=1,
            audit_seq=audit_seq))
    else:
        conn.execute(workstation_push.update().where(
            workstation_push.c.workstation == workstation,
            workstation_push.c.org_id == row["org_id"]).values(
            last_push_at=max(at, row["last_push_at"]), pushes=row["pushes"] + 1,
            audit_seq=max(audit_seq, row["audit_seq"])))


@dataclass(frozen=True)
class Pushed:
    workstation: str
    last_push_at: datetime | None  # None: its entries came before the hub recorded pushes
    pushes: int
    entries: int  # its current entry versions on the hub

    def lag_seconds(self, now: datetime) -> int | None:
        if self.last_push_at is None:
            return None
        return max(0, int((now - self.last_push_at).total_seconds()))

    def to_dict(self, now: datetime) -> dict[str, Any]:
        return {"workstation": self.workstation, "last_push_at": self.last_push_at,
                "lag_seconds": self.lag_seconds(now), "pushes": self.pushes,
                "entries": self.entries}


def pushes(conn: Connection) -> list[Pushed]:
    """Every workstation the hub knows of (by its pushes or its entries), by name."""
    te = records.table("time_entry")
    entries: dict[str, int] = {name: int(count) for name, count in conn.execute(
        select(te.c.workstation, func.count()).where(te.c.superseded_at.is_(None))
        .group_by(te.c.workstation))}
    rows = {r["workstation"]: r for r in conn.execute(select(workstation_push)).mappings()}
    return [Pushed(name, rows[name]["last_push_at"] if name in rows else None,
                   rows[name]["pushes"] if name in rows else 0, entries.get(name, 0))
            for name in sorted(set(entries) | set(rows))]
