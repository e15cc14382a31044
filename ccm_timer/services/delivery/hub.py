"""The clinic hub: one PostgreSQL database that every workstation pushes its records to, so
one patient's minutes add up across workstations (Medicare's monthly thresholds count every
clinician's time for the patient).

The hub has the same SQLModel tables as a workstation. A push is idempotent by UUID (see
store/merge.py): pushing twice changes nothing, and a push that died half-way is simply
done again. Pushes are serialised on the hub with an advisory lock.

Scanned consents (up to consent_documents.MAX_BYTES each) never change, so a push sends only
the ones the hub lacks, a few at a time, before the rest: an hourly push does not carry
every scan again, and a first push does not hold them all in memory at once.

The hub's schema has an Alembic history of its own (store/hub_migrations/), upgraded only by
an administrator (`ccm-timer hub init`, `init_hub` here); `open_engine` refuses a hub at any
other revision than this version's HUB_HEAD, older or newer, with one sentence before
anything is read or written.
"""

from __future__ import annotations

import ipaddress
import os
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError
from sqlmodel import Session, func, select

from ccm_timer.core import backoff
from ccm_timer.core.month import as_zone, parse_month
from ccm_timer.errors import UserError, sentence
from ccm_timer.services.context import AppContext
from ccm_timer.services.delivery import chain_heads, hub_schema, targets
from ccm_timer.services.security import audit
from ccm_timer.store import merge as records
from ccm_timer.store.merge_guard import Guard
from ccm_timer.store.models import AuditEvent, HubPush, Patient
from ccm_timer.store.month_time import month_time

LOCK_KEY = 7_301_925_004  # pg_advisory_xact_lock key for merges into the hub
FULL_PUSH_EVERY = timedelta(hours=1)  # push even when nothing changed locally, now and then
DOCUMENT_BATCH_BYTES = 64 * 1024 * 1024  # scans per transaction of a push, by their size



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


def open_engine(url: str, password: str | None = None, *,
                connect_timeout: int = 10) -> Engine:
    """A SQLAlchemy engine on the hub (psycopg 3), once the hub is at this version's
    HUB_HEAD (hub_schema.refusal says why not); only `hub init` changes its tables."""
    engine = _engine(url, password, connect_timeout)
    try:
        with engine.connect() as conn:
            refused = hub_schema.refusal(conn)
    except (DBAPIError, SQLAlchemyError, OSError) as exc:
        engine.dispose()
        raise HubError(sentence(_plain(exc))) from None
    if refused:
        engine.dispose()
        raise HubError(refused)
    return engine


def init_hub(url: str, password: str | None = None, *,
             connect_timeout: int = 10) -> hub_schema.InitReport:
    """Create or upgrade the hub's schema and the workstations' role, in one transaction
    (nothing changes when it fails). Run by an administrator with the hub's owner."""
    engine = _engine(url, password, connect_timeout)
    try:
        with engine.begin() as conn:
            return hub_schema.init(conn)
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


def merge_into(engine: Engine, rows: records.Rows,
               head: chain_heads.PushedHead | None = None,
               guard: Guard | None = None, *,
               chain: records.Rows | None = None) -> dict[str, int]:
    """Merge rows into the hub in one transaction; the changed-row counts per table. With
    `head` (a workstation's full push), its chain must still hold the head pushed before,
    and `head` becomes the new one; with `chain` too (the push's rows, when `rows` are
    scans sent ahead of them), it is only checked. A bundle's rows come with a `guard`:
    only added, conflicts recorded on the hub."""
    try:
        with engine.begin() as conn:
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOCK_KEY})
            if head is not None:
                chain_heads.hold(conn, chain or rows, head, record=chain is None)
                if chain is None:  # the push's own rows: `hub status` shows it
                    hub_schema.record_push(conn, head.workstation, head.at, head.seq)
            return records.merge(conn, rows, keep_audit=True, guard=guard)
    except (DBAPIError, SQLAlchemyError, OSError) as exc:
        raise HubError(sentence(_plain(exc))) from None
    except UserError as exc:
        raise HubError(str(exc)) from None


@dataclass(frozen=True)
class PushReport:
    rows: int  # rows sent
    changed: dict[str, int] = field(default_factory=dict)  # rows the hub did not have yet
    audit_seq: int = 0


def push(ctx: AppContext, hub_url: str, password: str | None = None,
         engine: Engine | None = None) -> PushReport:
    """Push every patient, entry version, interval, enrollment, the clinical record and
    audit event of this workstation to the hub, and the scanned consents it lacks. Nothing
    local changes."""
    with ctx.read() as session:
        conn = session.connection()
        rows = records.collect_all(conn, documents=False)
        scans = records.document_ids(conn)
        head = max((r["seq"] for r in rows["audit_event"]), default=0)
    pushed = chain_heads.of_rows(rows, ctx.workstation, ctx.now())
    own = engine is None
    engine = engine or open_engine(hub_url, password)
    try:
        changed, sent = _push_documents(ctx, engine, rows, scans, pushed)
        for name, count in merge_into(engine, rows, pushed).items():
            changed[name] = changed.get(name, 0) + count
    finally:
        if own:
            engine.dispose()
    return PushReport(sum(len(v) for v in rows.values()) + sent, changed, head)


def _push_documents(ctx: AppContext, engine: Engine, rows: records.Rows,
                    scans: list[Any], head: chain_heads.PushedHead | None,
                    ) -> tuple[dict[str, int], int]:
    """The scans the hub lacks, in transactions of at most DOCUMENT_BATCH_BYTES (one scan
    alone may be larger), each with the patients and clinicians they point at. The
    changed-row counts, and the number of scans sent."""
    changed: dict[str, int] = {}
    if not scans:
        return changed, 0
    try:
        with engine.connect() as conn:
            there = {r["id"] for r in records._select_in(
                conn, records.table("consent_document"), "id", scans)}
    except (DBAPIError, SQLAlchemyError, OSError) as exc:
        raise HubError(sentence(_plain(exc))) from None
    wanted = [i for i in scans if i not in there]
    with ctx.read() as session:
        sizes = records.document_sizes(session.connection(), wanted)
    batches: list[list[Any]] = [[]]
    filled = 0
    for doc_id in wanted:
        if batches[-1] and filled + sizes[doc_id] > DOCUMENT_BATCH_BYTES:
            batches.append([])
            filled = 0
        batches[-1].append(doc_id)
        filled += sizes[doc_id]
    for batch in filter(None, batches):
        with ctx.read() as session:
            found = records.documents(session.connection(), batch)
        part = {"clinician": rows["clinician"], "patient": rows["patient"],
                "consent_document": found}
        for name, count in merge_into(engine, part, head, chain=rows).items():
            changed[name] = changed.get(name, 0) + count
    return changed, len(wanted)


def _audit_head(ctx: AppContext) -> int:
    with ctx.read() as session:
        return int(session.exec(select(func.max(AuditEvent.seq))).one() or 0)


def push_target(ctx: AppContext, target: targets.Target, *, force: bool = False,
                rng: random.Random | None = None) -> PushReport | None:
    """Push to a configured hub target when due, recording the result for the tray.

    Skipped (None) while backing off after a failure, or when nothing changed since the
    last push (the audit head is the same) and the last push is recent. HubError on failure.
    """
    now = ctx.now()
    with ctx.write() as session:
        state = session.get(HubPush, target.name) or HubPush(target=target.name)
        if not force and state.next_attempt_at is not None and state.next_attempt_at > now:
            return None
    head = _audit_head(ctx)
    if (not force and state.last_success_at is not None and state.pushed_audit_seq == head
            and now - state.last_success_at < FULL_PUSH_EVERY and not state.last_error):
        return None
    try:
        report = push(ctx, target.url, targets.get_secret(target.name))
    except HubError as exc:
        with ctx.write() as session:
            state = session.get(HubPush, target.name) or HubPush(target=target.name)
            state.attempts += 1
            state.last_try_at = now
            state.last_error = str(exc).rstrip(".")[0].lower() + str(exc).rstrip(".")[1:]
            state.next_attempt_at = now + timedelta(
                seconds=backoff.delay(state.attempts, None, rng))
            session.add(state)
        raise
    with ctx.write() as session:
        state = session.get(HubPush, target.name) or HubPush(target=target.name)
        state.attempts = 0
        state.last_try_at = state.last_success_at = now
        state.last_error = None
        state.next_attempt_at = None
        state.pushed_audit_seq = report.audit_seq
        session.add(state)
    return report


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
        mrns = {pid: mrn for pid, mrn in conn.execute(select(Patient.id, Patient.mrn))}
    for (pid, role, program), seconds in time.seconds.items():
        if pid is not None and seconds:
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

