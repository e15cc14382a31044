"""Bring a database file to the current schema, backing it up first.

The current revision is read with one SQL query, so an up-to-date database (every CLI call)
never pays for importing Alembic.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ccm_timer.errors import DatabaseError

if TYPE_CHECKING:  # SQLAlchemy is not imported on the command line's fast path
    from sqlalchemy import Engine

SCHEMA_HEAD = "0017"  # tests/store check that this is Alembic's head
KNOWN_REVISIONS = ("0001", "0002", "0003", "0004", "0005", "0006", "0007", "0008", "0009",
                   "0010", "0011", "0012", "0013", "0014", "0015", "0016", "0017")
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        has_table = conn.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='alembic_version'"
        ).first()
        if not has_table:
            return None
        row = conn.exec_driver_sql("SELECT version_num FROM alembic_version").first()
        return row[0] if row else None


def backup_database(engine: Engine, target: Path) -> Path:
    """Copy the live database through the SQLite backup API (never a file copy: R1.5).

    The copy is made in a partial file of this call's own (two programs opened together both
    take the day's backup), then renamed into place. A failure of SQLite's is a
    DatabaseError: a backup that cannot be taken never stops time-keeping."""
    import tempfile

    import sqlcipher3.dbapi2 as sqlcipher

    from ccm_timer import fsio
    from ccm_timer.store import faults

    target.parent.mkdir(parents=True, exist_ok=True)
    # mkstemp: created exclusively and 0600 from the first page copied.
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=fsio.PARTIAL_SUFFIX,
                                dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        with engine.connect() as conn:
            source = conn.connection.dbapi_connection
            assert source is not None  # a connection just checked out is live
            dest = sqlcipher.connect(str(tmp))
            try:
                key = getattr(engine, "ccm_key", None)
                if key is not None:
                    dest.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
                source.backup(dest)
            finally:
                dest.close()
        tmp.replace(target)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)  # never a half-written copy left behind
        if isinstance(exc, (sqlcipher.Error, OSError)) and faults.is_disk_full(
                exc, target.parent):
            raise faults.disk_full(target.parent) from exc
        if isinstance(exc, sqlcipher.Error):
            raise DatabaseError(
                f"The backup to {target.parent} could not be written ({exc}); check that "
                "folder, then run `ccm-timer backup`.") from exc
        raise
    return target


def upgrade(engine: Engine, backups: Path, revision: str = "head") -> str | None:
    """Migrate to `revision`; returns the path of the pre-migration backup, if one was made."""
    current = current_revision(engine)
    if current == SCHEMA_HEAD and revision == "head":
        return None
    if current is not None and current not in KNOWN_REVISIONS:
        raise DatabaseError(
            "This database was written by a newer version of CCM Timer; install that version."
        )
    backup = None
    if current is not None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        backup = str(backup_database(engine, backups / f"pre-migration-{current}-{stamp}.db"))

    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.execution_options(ccm_write=True).begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
    return backup


def table_names(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type='table'")
        return sorted(r[0] for r in rows)
