"""Raw DB-API connections through sqlcipher3, with the durability pragmas.

The engine factory (engine.py) uses this for every pooled connection; the command line's
fast read path (services/timing/quick_status.py) uses it directly, without importing SQLAlchemy.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import sqlcipher3.dbapi2 as sqlcipher

from ccm_timer import fsio
from ccm_timer.errors import DatabaseError, UnreadableError
from ccm_timer.store import faults
from ccm_timer.store.faults import UNREADABLE

BUSY_TIMEOUT_MS = 10_000
MIN_SQLITE = (3, 44, 0)
EXPECTED_PRAGMAS = {"journal_mode": "wal", "synchronous": 2, "foreign_keys": 1}


def key_pragma(key: bytes) -> str:
    """The statement that keys a connection: a raw 256-bit key, so the text can only hold
    hex digits and SQLCipher skips its passphrase KDF. Never put it in a URL or a message."""
    if len(key) != 32:
        raise ValueError("a database key is 32 bytes")
    return f"PRAGMA key = \"x'{key.hex()}'\""


def apply_pragmas(dbapi_conn: Any, key: bytes | None, read_only: bool = False) -> None:
    # Take transaction control away from the driver: we issue BEGIN ourselves.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    # SQLCipher prints failed page checks (a wrong key) to stderr itself; we word the error.
    cur.execute("PRAGMA cipher_log_level = NONE")
    if key is not None:
        cur.execute(key_pragma(key))  # first, before anything reads the file
    cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    if read_only:
        # A damaged database is looked at, never written: no journal-mode change, and a
        # second guard on top of the read-only file handle.
        cur.execute("PRAGMA query_only = ON")
        cur.execute("SELECT count(*) FROM sqlite_master").fetchone()  # the first read
    else:
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = FULL")
    cur.execute("PRAGMA foreign_keys = ON")
    cur.close()


def raw_connect(path: Path, key: bytes | None = None, read_only: bool = False) -> Any:
    size = path.stat().st_size if path.exists() else 0
    if key is not None and size % faults.PAGE:
        # SQLCipher writes whole pages only: the end of this file is missing.
        raise faults.truncated(path, size)
    if read_only:
        # With no -wal file everything is in the main file: `immutable` reads it without
        # locks and without creating -wal/-shm beside it. A -wal may hold the last commits,
        # so then SQLite must read it (it may add a -shm index; the db and -wal stay as is).
        wal = path.with_name(path.name + "-wal")
        uri = f"{path.resolve().as_uri()}?mode=ro" + ("" if wal.exists() else "&immutable=1")
        conn = sqlcipher.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000,
                                 check_same_thread=False)
    else:
        with contextlib.suppress(OSError):  # no folder: sqlcipher says so below
            fsio.create_owner_only(path)  # SQLite would create it 0644
        conn = sqlcipher.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000,
                                 check_same_thread=False)
    try:
        apply_pragmas(conn, key, read_only)
    except sqlcipher.DatabaseError as exc:
        conn.close()
        raise faults.at_open(exc, path, key) from exc
    # SQLite creates -wal and -shm with the database's own mode, so a database made 0600
    # keeps them 0600; this tightens files that an older version left 0644.
    fsio.owner_only(path, path.with_name(path.name + "-wal"),
                    path.with_name(path.name + "-shm"))
    return conn


def read_pragmas(dbapi_conn: Any, read_only: bool = False) -> dict[str, Any]:
    """Read every pragma back through the connection we actually use, and refuse to run if
    any differs (reliability R1.1, R1.4). Returns what is in force, for `doctor`. A
    read-only connection (a damaged database) is only looked at: its modes are reported."""
    cur = dbapi_conn.cursor()
    try:
        version = cur.execute("select sqlite_version()").fetchone()[0]
        found: dict[str, Any] = {
            name: cur.execute(f"PRAGMA {name}").fetchone()[0]
            for name in (*EXPECTED_PRAGMAS, "busy_timeout")
        }
        cipher = cur.execute("PRAGMA cipher_version").fetchone()
        found["user_version"] = cur.execute("PRAGMA user_version").fetchone()[0]
    except sqlcipher.DatabaseError as exc:
        raise UnreadableError(UNREADABLE) from exc
    finally:
        cur.close()
    if tuple(int(p) for p in version.split(".")[:3]) < MIN_SQLITE:
        raise DatabaseError(f"SQLite {version} is too old for safe WAL use; reinstall the app.")
    for name, expected in EXPECTED_PRAGMAS.items():
        if str(found[name]).lower() != str(expected) and not read_only:
            raise DatabaseError(
                f"The database refused PRAGMA {name}={expected} (it reports {found[name]}); "
                "move the data folder to a local disk and try again."
            )
    if int(found["busy_timeout"]) < 5000:
        raise DatabaseError("The database busy timeout could not be set; reinstall the app.")
    found["sqlite_version"] = version
    found["sqlcipher_version"] = cipher[0] if cipher else None
    return found
