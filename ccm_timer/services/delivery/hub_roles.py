"""A login role per workstation on the clinic hub (issue 19, point 5): `ccm-timer hub
add-workstation NAME`, run by an administrator with the hub owner's URL.

The role `ccm_ws_<name>` joins the group hub_schema.WORKSTATION_ROLE (what a push may
touch) and is listed in hub_workstation_role with the clinic (organisation) and the
workstation it writes for; hub revision 0004's row-level security does the rest. Its
password is sent to PostgreSQL as a SCRAM-SHA-256 verifier made here, as psql's \\password
does, so the password itself never reaches the server's statement log; nothing here keeps
it, and the workstation keeps it in its keyring with its hub target.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import Connection, select, text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from ccm_timer.errors import UserError, sentence
from ccm_timer.services.delivery import hub_schema
from ccm_timer.store.hub_migrations.tables import hub_workstation_role

if TYPE_CHECKING:
    from ccm_timer.services.context import AppContext

PREFIX = "ccm_ws_"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,49}")
_SCRAM_ITERATIONS = 4096  # PostgreSQL's default (scram_iterations)


def role_name(workstation: str) -> str:
    """The login role of a workstation: its name in lower case, other characters as `_`."""
    if not _NAME.fullmatch(workstation):
        raise UserError(f"{workstation!r} cannot name a workstation on the hub: use letters, "
                        "digits, dots, dashes and underscores, at most 50.")
    return PREFIX + re.sub(r"[^a-z0-9]", "_", workstation.lower())


def scram_verifier(password: str, salt: bytes | None = None) -> str:
    """The SCRAM-SHA-256 verifier PostgreSQL stores for `password` (RFC 5802/7677)."""
    if not password.isascii() or not password.isprintable():
        raise UserError("Give the hub password in plain letters, digits and punctuation.")
    salt = salt or secrets.token_bytes(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, _SCRAM_ITERATIONS)
    client = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    server = hmac.new(salted, b"Server Key", hashlib.sha256).digest()

    def b64(raw: bytes) -> str:
        return base64.b64encode(raw).decode()

    return (f"SCRAM-SHA-256${_SCRAM_ITERATIONS}:{b64(salt)}"
            f"${b64(hashlib.sha256(client).digest())}:{b64(server)}")


def new_password() -> str:
    return secrets.token_urlsafe(24)


@dataclass(frozen=True)
class Added:
    workstation: str
    role: str
    org: int
    new: bool  # False: the role was there, its password changed

    def sentence(self) -> str:
        done = "Made" if self.new else "Gave a new password to"
        return (f"{done} the clinic hub's login role {self.role} for workstation "
                f"{self.workstation}: it reads this clinic's records and writes only its own.")


def add(conn: Connection, workstation: str, clinic: str, password: str) -> Added:
    """Inside the hub owner's transaction (at HUB_HEAD): the workstation's login role made,
    or its password changed when it is there for this clinic and workstation already."""
    role = role_name(workstation)
    verifier = scram_verifier(password)
    refused = hub_schema.refusal(conn)
    if refused:
        raise UserError(refused)
    hub_schema.init(conn, clinic)  # at the head: the group's grants and the clinic's org
    org = hub_schema.org(conn, clinic)
    listed = conn.execute(select(hub_workstation_role).where(
        hub_workstation_role.c.role == role)).mappings().first()
    exists = conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"),
                          {"r": role}).scalar() is not None
    if listed is not None and (listed["org_id"], listed["workstation"]) != (org, workstation):
        raise UserError(f"The clinic hub's role {role} belongs to another clinic or "
                        "workstation; give this workstation another name.")
    if listed is None and exists:
        raise UserError(f"The hub's server already has a role {role} that CCM Timer did "
                        "not make; give this workstation another name.")
    # The role's name is ours (role_name); the verifier is base64 and '$:' only (sent
    # as the driver's text: ':' is no bind parameter there).
    if listed is None:
        conn.exec_driver_sql(f"CREATE ROLE {role} LOGIN PASSWORD '{verifier}' "
                             f"IN ROLE {hub_schema.WORKSTATION_ROLE}")
        conn.execute(hub_workstation_role.insert().values(
            role=role, org_id=org, workstation=workstation, made_at=datetime.now(UTC)))
    else:
        conn.exec_driver_sql(f"ALTER ROLE {role} PASSWORD '{verifier}'")
    return Added(workstation, role, org, listed is None)


def add_workstation(ctx: AppContext, actor: str, url: str, owner_password: str | None,
                    workstation: str, password: str) -> Added:
    """`add` on the hub behind `url` (its owner's, TLS as every hub connection: secure_url),
    in one transaction: nothing changes when it fails. The clinic's key (the setting
    clinic_id) is made on the first success; `actor`'s change is audited here."""
    from ccm_timer.services.delivery import hub

    clinic = ctx.settings.clinic_id or str(uuid.uuid4())
    engine = hub._engine(url, owner_password, 10)
    try:
        with engine.begin() as conn:
            added = add(conn, workstation, clinic, password)
        if not ctx.settings.clinic_id:
            ctx.update_settings(clinic_id=clinic)
        _record(ctx, actor, url, added)
        return added
    except ValueError as exc:  # a hub newer than this version
        raise hub.HubError(str(exc)) from None
    except (DBAPIError, SQLAlchemyError, OSError) as exc:
        raise hub.HubError(sentence(hub._plain(exc, setting_up=True))) from None
    finally:
        engine.dispose()


def init(ctx: AppContext, url: str, owner_password: str | None) -> hub_schema.InitReport:
    """`hub init` from this workstation: the hub upgraded and this clinic one of its
    organisations; the clinic's key (the setting clinic_id) made on the first success."""
    from ccm_timer.services.delivery import hub

    clinic = ctx.settings.clinic_id or str(uuid.uuid4())
    report = hub.init_hub(url, owner_password, clinic_id=clinic)
    if not ctx.settings.clinic_id:
        ctx.update_settings(clinic_id=clinic)
    return report


def _record(ctx: AppContext, actor: str, url: str, added: Added) -> None:
    """The administrator's `hub add-workstation` in this workstation's audit trail (never
    the password: only that the role was made or given a new one; the URL holds none)."""
    from ccm_timer.services.security import audit

    with ctx.write() as session:
        audit.append(session, ctx=ctx, actor=actor, action="hub.add_workstation",
                     entity="hub", entity_id=url, after={
                         "role": added.role, "workstation": added.workstation,
                         "clinic_id": ctx.settings.clinic_id, "new": added.new})
