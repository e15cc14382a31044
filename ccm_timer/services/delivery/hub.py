"""The clinic hub: one PostgreSQL database that every workstation pushes its records to, so
one patient's minutes add up across workstations (Medicare's monthly thresholds count every
clinician's time for the patient).

The hub has the same SQLModel tables as a workstation. A push (hub_push.py) is idempotent
by UUID (see store/merge.py): pushing twice changes nothing, and a push that died half-way is simply
done again. Pushes of many workstations merge at the same time, with no lock for all of
them: natural keys go in with ON CONFLICT DO NOTHING, each workstation's chain head is held
by a lock of its own (chain_heads.py), and a merge PostgreSQL gives up for a deadlock is
done again (in_transaction).

The hub's schema has an Alembic history of its own (store/hub_migrations/), upgraded only by
an administrator (`ccm-timer hub init`, `init_hub` here); `open_engine` refuses a hub at any
other revision than this version's HUB_HEAD, older or newer, with one sentence before
anything is read or written.
"""

from __future__ import annotations

import ipaddress
import os
import random
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy import event as sa_event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError
from sqlmodel import Session, select

from ccm_timer.core.month import as_zone, parse_month
from ccm_timer.errors import UserError, sentence
from ccm_timer.services.context import AppContext
from ccm_timer.services.delivery import chain_heads, hub_schema, targets
from ccm_timer.services.security import audit
from ccm_timer.store import merge as records
from ccm_timer.store.merge_guard import Guard
from ccm_timer.store.models import AuditEvent, HubPush, Patient
from ccm_timer.store.month_time import month_time

RETRIES = 5  # a merge given up for a deadlock or a serialization failure, done again
_GIVE_UP = {"40P01", "40001"}  # deadlock_detected, serialization_failure
T = TypeVar("T")


class HubError(UserError):
    """The hub could not be reached or refused us; the message says so in plain words."""


def _plain(exc: Exception, *, setting_up: bool = False) -> str:
    text_ = str(getattr(exc, "orig", None) or exc).lower()
    if setting_up and ("must be owner" in text_ or "permission denied" in text_):
        return ("the clinic hub's user may not create or change its tables or roles; give "
                "the URL of the hub database's owner")
    if "password" in text_ or "authentication" in text_:
        return "the clinic hub refused the user or password"
    if "does not exist" in text_ and "database" in text_:
        return "the clinic hub has no such database"
    if "deadlock" in text_ or "could not serialize" in text_:
        return ("the clinic hub was busy with other workstations' pushes; the push is "
                "tried again later")
    if "timeout" in text_ or "timed out" in text_:
        return "no answer from the clinic hub"
    if "must be owner" in text_ or "permission denied" in text_:
        return "the clinic hub refused this workstation's user"
    if "connect" in text_ or "connection" in text_ or "server" in text_:
        return "no connection to the clinic hub"
    return "the clinic hub refused the push"


def _on_this_machine(host: str) -> bool:
    """libpq's default or a named Unix socket, localhost, or a loopback address."""
    if not host or host.startswith(("/", "@")) or host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def secure_url(url: str) -> URL:
    """The hub URL for psycopg, with TLS required: records carry PHI, and libpq's default
    (`sslmode=prefer`) quietly falls back to plain text. Off this machine the server's
    certificate and name are checked (verify-full, against the system's CAs unless the URL
    names `sslrootcert`); a URL that asks for less there is refused before any connection."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise HubError(f"{url!r} is not a database URL.") from None
    if parsed.get_backend_name() not in ("postgresql", "postgres"):
        raise HubError("The clinic hub must be a postgresql:// URL.")
    query = {k: v if isinstance(v, str) else ",".join(v) for k, v in parsed.query.items()}
    # Every host libpq may reach: the URL's, the query's, or the environment's (PGHOST).
    hosts = ",".join(filter(None, (
        parsed.host or query.get("host") or os.environ.get("PGHOST", ""),
        query.get("hostaddr") or os.environ.get("PGHOSTADDR", ""))))
    remote = [h for h in hosts.split(",") if not _on_this_machine(h.strip())]
    if remote:
        mode = query.get("sslmode", "verify-full")
        if mode != "verify-full":
            raise HubError(
                f"The clinic hub {remote[0].strip()} is not on this machine, so its "
                f"connection must be encrypted and its certificate checked: take "
                f"sslmode={mode} out of the hub URL (verify-full is used).")
        query = {"sslrootcert": "system", **query, "sslmode": "verify-full"}
    return parsed.set(drivername="postgresql+psycopg", query=query)


def _engine(url: str, password: str | None, connect_timeout: int) -> Engine:
    """The password, when given, comes from the keyring or a prompt and is set on the URL
    object, which SQLAlchemy masks whenever the URL is shown."""
    parsed = secure_url(url)
    if password:
        parsed = parsed.set(password=password)
    return create_engine(parsed, pool_pre_ping=True, hide_parameters=True,  # see store/engine
                         connect_args={"connect_timeout": connect_timeout})


def open_engine(url: str, password: str | None = None, *, clinic: str | None = None,
                connect_timeout: int = 10) -> Engine:
    """A SQLAlchemy engine on the hub (psycopg 3), once the hub is at this version's
    HUB_HEAD (hub_schema.refusal says why not); only `hub init` changes its tables.

    `clinic` is the workstation's clinic key (the setting clinic_id). Through the owner's
    URL every connection takes on that clinic's role (hub_schema.acting_role), so it reads
    and writes as one clinic under row-level security, as a workstation's own role does;
    a role or clinic that does not match is refused with one sentence."""
    engine = _engine(url, password, connect_timeout)
    try:
        with engine.connect() as conn:
            refused = hub_schema.refusal(conn)
            role = None if refused else hub_schema.acting_role(conn, clinic)
    except (DBAPIError, SQLAlchemyError, OSError) as exc:
        engine.dispose()
        raise HubError(sentence(_plain(exc))) from None
    except UserError as exc:
        engine.dispose()
        raise HubError(str(exc)) from None
    if refused:
        engine.dispose()
        raise HubError(refused)
    if role is not None:
        engine.dispose()  # the connection above was the owner's: none is kept
        sa_event.listen(engine, "connect", lambda dbapi, _record: _set_role(dbapi, role))
    return engine


@contextmanager
def target_engine(ctx: AppContext, target: targets.Target,
                  password: str | None = None) -> Iterator[Engine]:
    """open_engine() on the hub `target` as this workstation's clinic, with its secret from
    the keyring (or `password`, just asked for), disposed after."""
    engine = open_engine(target.url, password or targets.get_secret(target.name),
                         clinic=ctx.settings.clinic_id)
    try:
        yield engine
    finally:
        engine.dispose()


def _set_role(dbapi: Any, role: str) -> None:
    quoted = role.replace('"', '""')  # the name is ours (ccm_hub_clinic_role), quoted still
    with dbapi.cursor() as cur:
        cur.execute(f'SET ROLE "{quoted}"')
    dbapi.commit()


def init_hub(url: str, password: str | None = None, *, clinic_id: str | None = None,
             connect_timeout: int = 10) -> hub_schema.InitReport:
    """Create or upgrade the hub's schema and the workstations' role, in one transaction
    (nothing changes when it fails), and with `clinic_id` make the clinic one of the hub's
    (hub_schema.org). Run by an administrator with the hub's owner."""
    engine = _engine(url, password, connect_timeout)
    try:
        with engine.begin() as conn:
            return hub_schema.init(conn, clinic_id)
    except ValueError as exc:  # a hub newer than this version
        raise HubError(str(exc)) from None
    except (DBAPIError, SQLAlchemyError, OSError) as exc:
        raise HubError(sentence(_plain(exc, setting_up=True))) from None
    finally:
        engine.dispose()


def pushes(engine: Engine) -> list[hub_schema.Pushed]:
    """Each workstation's last push and entries on the hub (`hub status`)."""
    try:
        with engine.connect() as conn:
            return hub_schema.pushes(conn)
    except (DBAPIError, SQLAlchemyError, OSError) as exc:
        raise HubError(sentence(_plain(exc))) from None


def _retryable(exc: DBAPIError) -> bool:
    return getattr(exc.orig, "sqlstate", None) in _GIVE_UP


def in_transaction(engine: Engine, work: Callable[[Connection], T]) -> T:
    """`work` in one hub transaction. Merges from many workstations run at the same time;
    one that PostgreSQL gives up for a deadlock or a serialization failure is done again,
    from the start, up to RETRIES times, then a HubError like any other failure."""
    for attempt in range(1, RETRIES + 1):
        try:
            with engine.begin() as conn:
                return work(conn)
        except DBAPIError as exc:
            if attempt < RETRIES and _retryable(exc):
                time.sleep(random.uniform(0.02, 0.1) * attempt)
                continue
            raise HubError(sentence(_plain(exc))) from None
        except (SQLAlchemyError, OSError) as exc:
            raise HubError(sentence(_plain(exc))) from None
        except chain_heads.Uncovered:
            raise
        except UserError as exc:
            raise HubError(str(exc)) from None
    raise AssertionError("unreachable")  # the loop returns or raises


def merge_rows(conn: Connection, rows: records.Rows,
               head: chain_heads.PushedHead | None = None, guard: Guard | None = None, *,
               chain: records.Rows | None = None) -> dict[str, int]:
    """Inside a hub transaction: see merge_into."""
    pusher = None
    if head is not None:
        chain_heads.hold(conn, chain or rows, head, record=chain is None)
        if chain is None:  # the push's own rows: `hub status` shows it
            hub_schema.record_push(conn, head.workstation, head.at, head.seq)
            # The change log's old notes go, at most once a day, by whichever push comes
            # first (revision 0005); one statement when there is nothing to do.
            conn.execute(text("SELECT ccm_hub_prune()"))
            pusher = Guard(head.workstation, f"push:{head.workstation}", head.at)
    return records.merge(conn, rows, keep_audit=True, guard=guard, pusher=pusher)


def merge_into(engine: Engine, rows: records.Rows,
               head: chain_heads.PushedHead | None = None,
               guard: Guard | None = None, *,
               chain: records.Rows | None = None) -> dict[str, int]:
    """Merge rows into the hub in one transaction; the changed-row counts per table. With
    `head` (a workstation's push), its chain must still hold the head pushed before, `head`
    becomes the new one, and what the push would overwrite of another workstation's is a
    recorded conflict (store/merge.py); with `chain` too (the push's rows, when `rows` are
    scans sent ahead of them), it is only checked. A bundle's rows come with a `guard`:
    only added, conflicts recorded on the hub."""
    return in_transaction(engine, lambda conn: merge_rows(conn, rows, head, guard,
                                                          chain=chain))


def __getattr__(name: str) -> Any:
    """push, push_target and PushReport live in hub_push.py (which imports this module)."""
    if name in ("push", "push_target", "push_cursor", "PushReport"):
        from ccm_timer.services.delivery import hub_push

        return getattr(hub_push, name)
    raise AttributeError(name)


def month_seconds(engine: Engine, month: str, zone: ZoneInfo | str,
                  now: datetime | None = None) -> dict[str, dict[tuple[str, str | None], int]]:
    """Per patient MRN, seconds by (role, program) in the clinic-calendar month, from any
    database with our tables (a workstation's SQLite or the hub's PostgreSQL), counted by
    store/month_time.py. Without `now` only closed intervals count (a timer still running
    has spent nothing yet); with it, running time counts up to `now`. The keys match
    `PatientMonthTotals.seconds` of the billing engine; patients without time are absent.
    """
    out: dict[str, dict[tuple[str, str | None], int]] = defaultdict(dict)
    with engine.connect() as conn:
        time = month_time(conn, parse_month(month), as_zone(zone), now,
                          by=("patient", "role", "program"))
        patients = select(Patient.id, Patient.mrn)
        if records.has_clinics(conn):  # the owner would count every clinic's T1001
            patients = patients.where(text(records.OWN_CLINIC))
        mrns = {pid: mrn for pid, mrn in conn.execute(patients)}
    for (pid, role, program), seconds in time.seconds.items():
        if pid in mrns and seconds:
            out[mrns[pid]][(role, program)] = seconds
    return dict(out)


def minutes_by_role(seconds: dict[tuple[str, str | None], int]) -> dict[str, float]:
    """Seconds by (role, program) folded to minutes by role, for display."""
    out: dict[str, float] = {}
    for (role, _program), value in seconds.items():
        out[role] = out.get(role, 0) + value / 60
    return out


@dataclass(frozen=True)
class ChainCheck:
    workstation: str
    events: int
    ok: bool
    problem: str = ""


def verify_chains(engine: Engine) -> list[ChainCheck]:
    """Check every workstation's audit chain as pushed to the hub. The hub numbers rows its
    own way; a chain's original numbering is its position from the first event, which the
    hashes cover, so every pushed chain can still be verified link by link."""
    with Session(engine) as session:
        events = list(session.exec(select(AuditEvent)))
        heads = chain_heads.recorded(session.connection())
    by_prev: dict[str, list[AuditEvent]] = defaultdict(list)
    for event in events:
        by_prev[event.prev_hash].append(event)
    checks = []
    for root in by_prev.get(audit.GENESIS, []):
        count, problem = 0, ""
        link: AuditEvent | None = root
        held: dict[int, str] = {}  # position in the chain -> hash
        while link is not None:
            count += 1
            held[count] = link.hash
            copy = AuditEvent(**{**link.model_dump(), "seq": count})
            if audit.digest(copy) != link.hash:
                problem = f"event {count} was changed after writing"
                break
            following = by_prev.get(link.hash, [])
            if len(following) > 1:
                problem = f"event {count} has two successors"
                break
            link = following[0] if following else None
        pushed = heads.get(root.hash)
        if not problem and pushed is not None and held.get(pushed["seq"]) != pushed["hash"]:
            problem = f"it no longer holds event {pushed['seq']}, its head at the last push"
        checks.append(ChainCheck(root.workstation, count, not problem, problem))
    return sorted(checks, key=lambda c: c.workstation)


def status(ctx: AppContext) -> list[dict[str, Any]]:
    with ctx.read() as session:
        return [
            {"target": s.target, "last_success_at": s.last_success_at,
             "last_try_at": s.last_try_at, "last_error": s.last_error,
             "next_attempt_at": s.next_attempt_at}
            for s in session.exec(select(HubPush))
        ]

