"""The hub's record of each workstation's audit chain head, written by every push.

A workstation's own copy of its head (services/security/chain_anchor.py) lives on the same
machine as the database; the hub's is out of reach of whoever edits that database. A push
whose chain no longer holds the head the hub recorded at the last push (events deleted, or
the chain rewritten and re-hashed) is refused, and says so, instead of quietly adding a
second history beside the first.

An incremental push carries the events from its cursor on, the event at the cursor
included: the head recorded before must be among them (its hash covers the chain up to
it). A hub whose recorded head is older than what the push carries (restored from a
backup) cannot be checked that way: `Uncovered`, and the push sends the whole chain.

Pushes of different workstations run at the same time; each chain's row is held by a
transaction-scoped advisory lock keyed by the chain, so one workstation's pushes (two
targets on one hub, a redo beside a slow push) are serialised, and nobody else's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, inspect, select

from ccm_timer.errors import UserError
from ccm_timer.store import merge as records


@dataclass(frozen=True)
class PushedHead:
    chain: str  # the hash of the chain's first event: which chain this is
    workstation: str
    seq: int
    hash: str
    at: datetime


class Uncovered(UserError):
    """The push's events start after the head the hub recorded: send the whole chain."""


def of_rows(rows: records.Rows, workstation: str, at: datetime,
            chain: str | None = None) -> PushedHead | None:
    """The head of the chain in a push's rows (ordered by seq); None when empty. `chain`
    is the hash of the chain's first event when the rows start later (incremental)."""
    events = rows.get("audit_event") or []
    if not events:
        return None
    return PushedHead(chain or events[0]["hash"], workstation, events[-1]["seq"],
                      events[-1]["hash"], at)


def hold(conn: Connection, rows: records.Rows, head: PushedHead, *,
         record: bool = True) -> None:
    """Inside the push's transaction on the hub: refuse a chain that lost the head pushed
    before, else record the new head (unless not `record`: a part sent ahead of the push's
    rows, whose events are not on the hub yet). UserError (the caller's HubError) when
    refused."""
    tbl = records.table("chain_head")
    if conn.dialect.name == "postgresql":  # this chain's pushes one at a time, only them
        conn.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(head.chain, 0))))
    kept = conn.execute(select(tbl).where(tbl.c.chain == head.chain)).mappings().first()
    if kept is None:
        if record:
            conn.execute(tbl.insert().values(chain=head.chain, workstation=head.workstation,
                                             seq=head.seq, hash=head.hash, pushed_at=head.at))
        return
    events = rows["audit_event"]
    if events and events[0]["seq"] > kept["seq"]:
        raise Uncovered("The clinic hub's record of this workstation's audit trail is older "
                        "than this push; the whole trail is sent.")
    if not any(r["seq"] == kept["seq"] and r["hash"] == kept["hash"] for r in events):
        raise UserError(
            f"This workstation's audit trail no longer holds event {kept['seq']}, which it "
            f"pushed to the clinic hub on {kept['pushed_at']:%Y-%m-%d}: it was cut short or "
            "rewritten outside CCM Timer. Nothing was pushed; run `ccm-timer audit verify` "
            "and ask your administrator.")
    if record and head.seq > kept["seq"]:
        conn.execute(tbl.update().where(tbl.c.chain == head.chain).values(
            workstation=head.workstation, seq=head.seq, hash=head.hash, pushed_at=head.at))


def recorded(conn: Connection) -> dict[str, Any]:
    """chain -> its recorded head row, for checking the chains kept on the hub."""
    if not inspect(conn).has_table("chain_head"):  # a hub opened without creating tables
        return {}
    tbl = records.table("chain_head")
    return {r["chain"]: r for r in conn.execute(select(tbl)).mappings()}
