"""Alembic environment: always run on a connection handed in by store/migrate.py."""

from alembic import context
from sqlmodel import SQLModel

from ccm_timer.store import models  # noqa: F401  (registers the tables)

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=True,  # SQLite alters tables by copy-and-move
)
with context.begin_transaction():
    context.run_migrations()
