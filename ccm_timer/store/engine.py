"""The one engine factory. Every connection goes through sqlcipher3 (a bundled, current
SQLite that is the same on every platform), gets the durability pragmas, and every write
transaction begins IMMEDIATE so two processes never deadlock upgrading a read lock.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlcipher3.dbapi2 as sqlcipher
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool
from sqlmodel import Session

from ccm_timer.errors import DatabaseError
from ccm_timer.store import commit_ledger, faults
from ccm_timer.store.connection import raw_connect, read_pragmas

__all__ = ["DatabaseError", "ReadOnlyError", "check_engine", "checkpoint", "make_engine",
           "read_session", "write_session"]


class ReadOnlyError(DatabaseError):
    """A write was asked of a database opened read-only (it failed its integrity check)."""


def make_engine(path: Path, key: bytes | None = None, read_only: str | None = None) -> Engine:
    """An engine on the database file at `path` (created if missing). `read_only` is why the
    file may only be read (then it is opened `mode=ro`, `query_only`, and never created)."""
    engine = create_engine(
        "sqlite://",
        module=sqlcipher,
        # NullPool: a connection per session. Cheap for SQLite, and no pooled connection
        # keeps a WAL snapshot or a lock alive behind the app's back.
        poolclass=NullPool,
        creator=lambda: raw_connect(path, key, read_only=read_only is not None),
        # An error's text names the statement, never its values (a note, a name): it may
        # reach a log or a screen.
        hide_parameters=True,
    )

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = "IMMEDIATE" if conn.get_execution_options().get("ccm_write") else "DEFERRED"
        conn.exec_driver_sql(f"BEGIN {mode}")

    @event.listens_for(engine, "handle_error")
    def _on_error(context: Any) -> BaseException | None:
        # A full disk, a damaged page or a failing disk becomes our error with its sentence
        # wherever a statement or a commit meets it; locks and constraints stay as they are.
        return faults.translate(context.original_exception, path)

    engine.ccm_database = path  # type: ignore[attr-defined]
    engine.ccm_key = key  # type: ignore[attr-defined]  # the backup API needs it
    engine.ccm_read_only = read_only  # type: ignore[attr-defined]
    return engine


def check_engine(engine: Engine) -> dict[str, Any]:
    """The pragmas in force, read back through the engine's own connection."""
    read_only = getattr(engine, "ccm_read_only", None) is not None
    with engine.connect() as conn:
        return read_pragmas(conn.connection.dbapi_connection, read_only=read_only)


def _is_locked(exc: OperationalError) -> bool:
    text = str(exc.orig).lower() if exc.orig is not None else str(exc).lower()
    return "locked" in text or "busy" in text


@contextmanager
def write_session(engine: Engine, attempts: int = 6) -> Iterator[Session]:
    """A session whose transaction begins IMMEDIATE and commits on exit.

    busy_timeout already waits 10 s for the lock; if it still cannot be had we retry the
    BEGIN with bounded, jittered backoff, then raise a message a person can act on. The
    body runs only once the lock is held, so a retry never repeats a half-done write.
    """
    reason = getattr(engine, "ccm_read_only", None)
    if reason is not None:
        raise ReadOnlyError(reason)
    bound = engine.execution_options(ccm_write=True)
    for attempt in range(attempts):
        session = Session(bound, expire_on_commit=False)
        try:
            session.connection()  # BEGIN IMMEDIATE happens here
        except OperationalError as exc:
            session.close()
            if not _is_locked(exc) or attempt == attempts - 1:
                raise DatabaseError(
                    "The database is busy in another program; wait a moment and try again."
                ) from exc
            time.sleep(min(2.0, 0.05 * 2**attempt) * (0.5 + random.random()))
            continue
        except BaseException:  # a full disk or a damaged page, already in our words
            session.close()
            raise
        dbapi = session.connection().connection.dbapi_connection
        assert dbapi is not None  # the connection that just began the transaction
        changes = dbapi.total_changes
        try:
            yield session
            session.flush()  # the body's pending rows: counted before the commit
            number = commit_ledger.bump(dbapi, changes)
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()
        if number is not None:
            commit_ledger.record(engine.ccm_database, number)  # type: ignore[attr-defined]
        return


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
    finally:
        session.close()


def checkpoint(engine: Engine) -> bool:
    """Copy every commit from the -wal file into the database and empty the -wal file, so
    that nothing lives in it alone (a long session's clean end). False when a reader of
    another connection still needs it, or the database is only read."""
    if getattr(engine, "ccm_read_only", None) is not None:
        return False
    with engine.connect() as conn:  # the DB-API connection: no BEGIN around the pragma
        cur = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            busy, _, _ = cur.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        finally:
            cur.close()
    return busy == 0
