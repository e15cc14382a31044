"""Tables only the hub has (a workstation's database never does), beside the workstation's
SQLModel tables the hub shares. Plain SQLAlchemy in a metadata of their own, so they stay
out of the workstation's schema and its migrations."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, MetaData, String, Table

from ccm_timer.store.types import UTCDateTime

HUB_ONLY = MetaData()

# One row per workstation, written by each full push (revision 0002): `hub status`.
workstation_push = Table(
    "workstation_push", HUB_ONLY,
    Column("workstation", String, primary_key=True),
    Column("first_push_at", UTCDateTime, nullable=False),
    Column("last_push_at", UTCDateTime, nullable=False),
    Column("pushes", Integer, nullable=False),
    Column("audit_seq", Integer, nullable=False),  # the workstation's audit head then
)

# Every row a merge inserts or updates in a table a push carries, noted by a trigger
# (revision 0003): what a workstation's pull asks for. `txid` is the writing transaction's
# id, which a pull's cursor is measured in (services/delivery/hub_pull.py says why).
hub_change = Table(
    "hub_change", HUB_ONLY,
    Column("seq", BigInteger, primary_key=True, autoincrement=True),
    Column("tbl", String, nullable=False),
    Column("row_id", String, nullable=False),  # the row's id as text
    Column("workstation", String, nullable=True),  # an entry's or export's; else None
    Column("txid", BigInteger, nullable=False),
    Index("ix_hub_change_txid", "txid", "seq"),
)
