"""The audit trail: append-only, each event carrying the hash of the one before and, for an
event that writes an entry, the content hash of that entry's rows (store/hashes.py).

Appends happen inside the caller's write transaction (BEGIN IMMEDIATE), so reading the
chain head and writing the next event cannot interleave with another process. After the
commit the new head is written down outside the database (chain_anchor.py), once per
transaction; the copy kept there is read again only when another process has committed
since this session last read or wrote it (chain_anchor.Memo). `verify` walks the chain and
recomputes every entry's hash from its rows;
`check` also holds the chain to the head kept outside.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event as orm_event
from sqlmodel import Session, col, select

from ccm_timer.errors import UserError
from ccm_timer.services.context import AppContext
from ccm_timer.services.security import chain_anchor
from ccm_timer.store import hashes
from ccm_timer.store.hashes import GENESIS
from ccm_timer.store.models import AuditEvent
from ccm_timer.store.types import new_id, to_db_text

__all__ = ["GENESIS", "ChainReport", "append", "check", "digest", "verify"]
_PENDING = "ccm_chain_head"  # session.info: the head to write down after the commit


def digest(event: AuditEvent) -> str:
    """The hash an event must carry: its content chained to the previous event's hash."""
    return hashes.event_digest(
        seq=event.seq, id=str(event.id), at_utc=to_db_text(event.at_utc), actor=event.actor,
        workstation=event.workstation, action=event.action, entity=event.entity,
        entity_id=event.entity_id, before=event.before, after=event.after,
        prev_hash=event.prev_hash, evidence=event.evidence)


def _dump(value: Any) -> str | None:
    return hashes.event_json(value)


def append(
    session: Session,
    *,
    ctx: AppContext,
    actor: str,
    action: str,
    entity: str,
    entity_id: Any,
    before: Any = None,
    after: Any = None,
    origins: Iterable[Any] | None = None,
    evidence: Mapping[str, str] | None = None,
) -> AuditEvent:
    """Append an event. An event about a time entry (`entity_id` its origin id) records the
    hash of all of that entry's rows as they now stand; `origins` names the entries of an
    event that wrote others (an import). `evidence` instead: those hashes (origin, 32 hex
    digits -> hashes.rows_digest of its rows) made by a writer from the very rows it just
    wrote, so an import's batch does not read back what it wrote (its test holds them to
    hashes.origin_digests of the stored rows)."""
    if origins is None and evidence is None and entity == "time_entry":
        origins = [entity_id]
    recorded = hashes.evidence_text(dict(evidence)) if evidence else None
    if origins is not None and evidence is None:
        session.flush()  # the rows as this transaction leaves them
        found = hashes.origin_digests(session.connection(),
                                      [uuid.UUID(str(o)).hex for o in origins])
        recorded = hashes.evidence_text(found) if found else None
    head = session.exec(select(AuditEvent).order_by(col(AuditEvent.seq).desc()).limit(1)).first()
    event = AuditEvent(
        seq=(head.seq or 0) + 1 if head else 1,
        id=new_id(),
        at_utc=ctx.now(),
        actor=actor,
        workstation=ctx.workstation,
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        before=_dump(before),
        after=_dump(after),
        prev_hash=head.hash if head else GENESIS,
        hash="",
        evidence=recorded,
    )
    event.hash = digest(event)
    session.add(event)
    session.flush()
    _write_head_after_commit(session, ctx, head, event)
    return event


@dataclass
class _HeadToWrite:
    allowed: bool
    read: bool = True  # False: the head kept outside could not be read
    kept: chain_anchor.Head | None = None  # the head kept outside when the transaction began
    head: chain_anchor.Head | None = None
    number: int | None = None  # the commit counter this transaction commits at


def _write_head_after_commit(session: Session, ctx: AppContext, before: AuditEvent | None,
                             event: AuditEvent) -> None:
    """Once per transaction: if the head kept outside may move (the chain still holds it),
    write the transaction's last event there after the commit."""
    pending = session.info.get(_PENDING)
    if pending is None:
        pending = session.info[_PENDING] = _may_advance(session, ctx, before)
        orm_event.listen(session, "before_commit", lambda s: _counted(s, pending))
        orm_event.listen(session, "after_commit", lambda _s: _write(ctx, pending))
    pending.head = chain_anchor.Head(event.seq or 0, event.hash)


def _counter(session: Session) -> int:
    """The database's commit counter (store/commit_ledger.py), inside the write lock."""
    return int(session.connection().exec_driver_sql("PRAGMA user_version").scalar() or 0)


def _counted(session: Session, pending: _HeadToWrite) -> None:
    pending.number = _counter(session)  # write_session has bumped it for this commit


def _write(ctx: AppContext, pending: _HeadToWrite) -> None:
    memo = ctx.chain_memo
    if not pending.read:
        memo.forget()
    elif not pending.allowed:  # the kept head stays: still true at this commit
        memo.committed(pending.number, pending.kept, ctx.protection)
    elif pending.head is not None and chain_anchor.write_quietly(ctx.paths, ctx.protection,
                                                                 pending.head):
        memo.committed(pending.number, pending.head, ctx.protection)
    else:
        memo.forget()  # not written: what is kept is read again next time


def _may_advance(session: Session, ctx: AppContext, before: AuditEvent | None) -> _HeadToWrite:
    """chain_anchor.may_advance for this transaction's first event (an unreadable head
    kept outside never moves). The kept head is this session's memo of it while no other
    process has committed since (chain_anchor.Memo)."""
    try:
        kept = ctx.chain_memo.read(ctx.paths, ctx.protection, _counter(session))
    except (chain_anchor.AnchorError, UserError):
        ctx.chain_memo.forget()
        return _HeadToWrite(False, read=False)
    held = session.get(AuditEvent, kept.seq) if kept is not None else None
    allowed = chain_anchor.may_advance(kept, before is None, held.hash if held else None)
    return _HeadToWrite(allowed, kept=kept)


@dataclass(frozen=True)
class ChainReport:
    events: int
    head: str
    broken_seq: int | None = None  # the event where it breaks, when there is one
    problem: str = ""

    @property
    def ok(self) -> bool:
        return not self.problem

    def where(self) -> str:
        return f" at event {self.broken_seq}" if self.broken_seq is not None else ""


def _ref(origin: str) -> str:
    return str(uuid.UUID(origin))[:13]


def verify(session: Session) -> ChainReport:
    """Walk the chain in order and name the first event whose link or content is wrong;
    then hold every entry, current and superseded versions and intervals, to the evidence
    hash the chain last recorded for it."""
    prev = GENESIS
    count = 0
    expected_seq = 1
    recorded: dict[str, tuple[str, int]] = {}  # origin -> (hash, the event that recorded it)
    for event in session.exec(select(AuditEvent).order_by(col(AuditEvent.seq))):
        count += 1
        if event.seq != expected_seq:
            return ChainReport(count, prev, expected_seq, "an event is missing before this one")
        if event.prev_hash != prev:
            return ChainReport(count, prev, event.seq, "its link to the previous event is broken")
        if digest(event) != event.hash:
            return ChainReport(count, prev, event.seq, "its content was changed after writing")
        if event.evidence is not None:
            seq = event.seq
            recorded.update((o, (h, seq)) for o, h in json.loads(event.evidence).items())
        prev = event.hash
        expected_seq += 1
    return _evidence(session, ChainReport(count, prev), recorded)


def _evidence(session: Session, chain: ChainReport,
              recorded: dict[str, tuple[str, int]]) -> ChainReport:
    conn = session.connection()
    if conn.exec_driver_sql("SELECT 1 FROM time_entry WHERE NOT origin_id > '' LIMIT 1").first():
        return ChainReport(chain.events, chain.head, None, "an entry version has no origin "
                           "id: it was written outside CCM Timer")
    for origin, found in hashes.all_origin_digests(conn):
        kept = recorded.pop(origin, None)
        if kept is None:
            return ChainReport(chain.events, chain.head, None, f"entry {_ref(origin)} has no "
                               "evidence hash in the audit trail: it was written outside "
                               "CCM Timer")
        if kept[0] != found:
            return ChainReport(chain.events, chain.head, kept[1], f"entry {_ref(origin)} no "
                               "longer matches the evidence hash this event recorded: its "
                               "rows were changed outside CCM Timer")
    for origin, (_, seq) in sorted(recorded.items(), key=lambda item: item[1][1]):
        return ChainReport(chain.events, chain.head, seq, f"entry {_ref(origin)}, recorded "
                           "by this event, is no longer in the database: it was deleted "
                           "outside CCM Timer")
    return chain


def check(ctx: AppContext) -> ChainReport:
    """`verify`, and the chain must still hold the head kept outside the database (read
    first: a commit meanwhile only adds events after it)."""
    where = chain_anchor.where(ctx.paths, ctx.protection)
    try:
        kept, problem = chain_anchor.read(ctx.paths, ctx.protection), ""
    except chain_anchor.AnchorError as exc:
        kept, problem = None, str(exc)
    with ctx.read() as session:
        report = verify(session)
        if not report.ok:
            return report
        last = report.events
        if problem:
            return ChainReport(last, report.head, None, problem)
        if kept is None:
            if not last:
                return report
            return ChainReport(last, report.head, None, f"the chain head kept in {where} is "
                               "missing, so the newest events could have been deleted unseen")
        if kept.seq > last:
            return ChainReport(last, report.head, last + 1, f"the chain ends at event {last} "
                               f"but had reached event {kept.seq} (kept in {where}): the "
                               "newest events were deleted")
        held = session.get(AuditEvent, kept.seq)
        if held is None or held.hash != kept.hash:
            return ChainReport(last, report.head, kept.seq, "this is not the event kept as "
                               f"the chain head in {where}: the chain was rewritten from here")
    return report


_WHAT_TO_DO = ("keep this database as evidence and ask your administrator to restore the "
               "latest backup with `ccm-timer restore`")


def broken_warning(report: ChainReport) -> str | None:
    """The tray's and doctor's sentence for a broken chain; None when it is intact."""
    if report.ok:
        return None
    return (f"The audit trail is BROKEN{report.where()} ({report.problem}); billing exports "
            f"are refused until this is resolved: {_WHAT_TO_DO}.")


def refuse_if_broken(ctx: AppContext) -> None:
    """Billing files are evidence for a claim: none is made from a trail that fails."""
    report = check(ctx)
    if not report.ok:
        raise UserError(f"Billing exports are refused while the audit trail is broken"
                        f"{report.where()} ({report.problem}); run `ccm-timer audit verify`, "
                        f"{_WHAT_TO_DO}.")


def history(session: Session, entity_id: Any) -> list[AuditEvent]:
    rows = select(AuditEvent).where(AuditEvent.entity_id == str(entity_id))
    return list(session.exec(rows.order_by(col(AuditEvent.seq))))


def authors(ctx: AppContext, entity_id: Any) -> dict[str, str]:
    """Entry version id -> who first recorded it, from the entity's audit events."""
    found: dict[str, str] = {}
    with ctx.read() as session:
        for event in history(session, entity_id):
            version_id = json.loads(event.after).get("id") if event.after else None
            if version_id and version_id not in found:
                found[version_id] = event.actor
    return found
