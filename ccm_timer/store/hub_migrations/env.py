"""Alembic environment of the hub: run on a connection handed in by hub_migrations.upgrade,
versioned in its own table so the hub's history never mixes with a workstation's."""

from alembic import context
from sqlmodel import SQLModel

from ccm_timer.store import models  # noqa: F401  (registers the tables)
from ccm_timer.store.hub_migrations import VERSION_TABLE, tables

context.configure(
    connection=context.config.attributes["connection"],
    target_metadata=[SQLModel.metadata, tables.HUB_ONLY],
    version_table=VERSION_TABLE,
    transactional_ddl=True,
)
with context.begin_transaction():
    context.run_migrations()
