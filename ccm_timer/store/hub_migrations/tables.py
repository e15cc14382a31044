"""Tables only the hub has (a workstation's database never does), beside the workstation's
SQLModel tables the hub shares. Plain SQLAlchemy in a metadata of their own, so they stay
out of the workstation's schema and its migrations."""

from __future__ import annotations

from sqlalchemy import Column, Integer, MetaData, String, Table

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
