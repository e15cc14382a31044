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

BUSY_TIMEOUT_MS = 10_000
MIN_SQLITE = (3, 44, 0)  # WAL-reset bug fixed in 3.44.1/3.45.x backports; ours bundles newer
EXPECTED_PRAGMAS = {"journal_mode": "wal", "synchronous": 2, "foreign_keys": 1}


class DatabaseError(Exception):
    """A database problem a person can act on; the message says what to do."""


def _apply_pragmas(dbapi_conn: Any, key: bytes | None) -> None:
    # Take transaction control away from the driver: we issue BEGIN ourselves.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    if key is not None:
        # A raw key, set per connection, never in a URL or a message (SQLCipher docs).
        cur.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
    cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA journal_mode = WAL")
    cur.execute("PRAGMA synchronous = FULL")
    cur.execute("PRAGMA foreign_keys = ON")
    cur.close()


def make_engine(path: Path, key: bytes | None = None) -> Engine:
    """An engine on the database file at `path` (created if missing)."""
    engine = create_engine(
        "sqlite://",
        module=sqlcipher,
        # NullPool: a connection per session. Cheap for SQLite, and no pooled connection
        # keeps a WAL snapshot or a lock alive behind the app's back.
        poolclass=NullPool,
        creator=lambda: sqlcipher.connect(
            str(path), timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False
        ),
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        _apply_pragmas(dbapi_conn, key)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = "IMMEDIATE" if conn.get_execution_options().get("ccm_write") else "DEFERRED"
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def check_engine(engine: Engine) -> dict[str, Any]:
    """Read every pragma back through the connection we actually use; refuse to run if any
    differs (reliability R1.1, R1.4). Returns what is in force, for `doctor`."""
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        cur = raw.cursor()
        try:
            version = cur.execute("select sqlite_version()").fetchone()[0]
        except sqlcipher.DatabaseError as exc:
            raise DatabaseError(
                "The database file cannot be read: it is encrypted with another key or is "
                "not a CCM Timer database. Nothing was changed."
            ) from exc
        found: dict[str, Any] = {}
        for name in (*EXPECTED_PRAGMAS, "busy_timeout"):
            try:
                found[name] = cur.execute(f"PRAGMA {name}").fetchone()[0]
            except sqlcipher.DatabaseError as exc:
                raise DatabaseError(
                    "The database file cannot be read: it is encrypted with another key or "
                    "is not a CCM Timer database. Nothing was changed."
                ) from exc
        cipher = cur.execute("PRAGMA cipher_version").fetchone()
        cur.close()
    if tuple(int(p) for p in version.split(".")[:3]) < MIN_SQLITE:
        raise DatabaseError(f"SQLite {version} is too old for safe WAL use; reinstall the app.")
    for name, expected in EXPECTED_PRAGMAS.items():
        if str(found[name]).lower() != str(expected):
            raise DatabaseError(
                f"The database refused PRAGMA {name}={expected} (it reports {found[name]}); "
                "move the data folder to a local disk and try again."
            )
    if int(found["busy_timeout"]) < 5000:
        raise DatabaseError("The database busy timeout could not be set; reinstall the app.")
    found["sqlite_version"] = version
    found["sqlcipher_version"] = cipher[0] if cipher else None
    return found


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
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()
        return


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
    finally:
        session.close()
