"""Tables only a workstation has (the clinic hub never does), beside the SQLModel tables the
hub shares: plain SQLAlchemy in a metadata of their own, so the hub's schema and its
migrations (store/hub_migrations) never grow with them. The mirror of
store/hub_migrations/tables.py.

- `sync_change` (revision 0015): the workstation's change log. A trigger on every table a
  push carries notes the row inserted or changed, whoever writes (the ORM, the plain timer
  path, an import), so an incremental push reads what changed since its cursor instead of
  the whole history (issue 19). Rows are never read back into the record; a push drops the
  ones every hub target has taken.
- `hub_cursor` (revision 0015): per hub target, how far its pushes have got in the change
  log and the audit chain, and how far pulls have got in the hub's own change log.
- `hub_live_timer` (revision 0015): other workstations' live timers, from the last pull.

Modules of later revisions that add tables here are named in LOCAL_MODULES, so
`local_metadata()` holds them all (the migrations' agreement tests compare with it).
"""

from __future__ import annotations

import importlib

from sqlalchemy import Column, Integer, MetaData, String, Table

from ccm_timer.store import record_rows as records
from ccm_timer.store.types import UTCDateTime

LOCAL = MetaData()
# Modules that define further workstation-only tables on LOCAL (one line each).
LOCAL_MODULES: tuple[str, ...] = ("ccm_timer.store.month_overlaps",)

# The tables whose rows a push carries by id (the audit chain travels by its own sequence,
# so it has no trigger). Migration 0015 froze this list; a table added to it needs a
# revision with its two triggers (tests/store/test_change_log.py checks every one has them).
LOGGED = tuple(dict.fromkeys(
    t for t in (*records.MERGED, "month_approval") if t != "audit_event"))

sync_change = Table(
    "sync_change", LOCAL,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("tbl", String, nullable=False),  # one of LOGGED
    Column("row_id", String, nullable=False),  # the row's id as stored (32 hex digits)
    sqlite_autoincrement=True,  # a seq is never reused, even after the rows below it go
)

hub_cursor = Table(
    "hub_cursor", LOCAL,
    Column("target", String, primary_key=True),
    Column("change_seq", Integer, nullable=False),  # sync_change rows up to here are on it
    Column("audit_seq", Integer, nullable=False),  # audit events up to here are on it
    Column("full_push_at", UTCDateTime, nullable=True),  # the last push of every row
    # Pull-back: how far this workstation has taken the hub's change log, as the horizon of
    # the hub's transaction ids (hub_change.txid: merges commit out of seq order; see
    # services/delivery/hub_pull.py), and when it last did (what "as of" labels show; None:
    # never, "this workstation only").
    Column("pulled_seq", Integer, nullable=False, server_default="0"),
    Column("pulled_at", UTCDateTime, nullable=True),
)

# Other workstations' running and paused timers as the hub had them at the last pull (they
# are shown, never merged: a live entry travels once stopped). Replaced whole by each pull.
hub_live_timer = Table(
    "hub_live_timer", LOCAL,
    Column("target", String, primary_key=True),
    Column("entry_id", String, primary_key=True),
    Column("workstation", String, nullable=False),
    Column("clinician_name", String, nullable=False),
    Column("patient_mrn", String, nullable=True),  # None: time not for one patient
    Column("category_slug", String, nullable=False),
    Column("program", String, nullable=True),
    Column("state", String, nullable=False),  # "running" or "paused"
    Column("started_at", UTCDateTime, nullable=False),
    Column("seconds", Integer, nullable=False),  # counted up to pulled_at
    Column("pulled_at", UTCDateTime, nullable=False),
)


def local_metadata() -> MetaData:
    """LOCAL with every module of LOCAL_MODULES imported (their tables registered)."""
    for name in LOCAL_MODULES:
        importlib.import_module(name)
    return LOCAL
