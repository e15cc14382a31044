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
  log and the audit chain.

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
LOCAL_MODULES: tuple[str, ...] = ()

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
)


def local_metadata() -> MetaData:
    """LOCAL with every module of LOCAL_MODULES imported (their tables registered)."""
    for name in LOCAL_MODULES:
        importlib.import_module(name)
    return LOCAL
