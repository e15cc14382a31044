"""Raw DB-API connections through sqlcipher3, with the durability pragmas.

The engine factory (engine.py) uses this for every pooled connection; the command line's
fast read path (services/quick_status.py) uses it directly, without importing SQLAlchemy.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlcipher3.dbapi2 as sqlcipher

BUSY_TIMEOUT_MS = 10_000
MIN_SQLITE = (3, 44, 0)
EXPECTED_PRAGMAS = {"journal_mode": "wal", "synchronous": 2, "foreign_keys": 1}
UNREADABLE = (
    "The database file cannot be read: it is encrypted with another key or is not a CCM "
    "Timer database. Nothing was changed."
)


class DatabaseError(Exception):
    """A database problem a person can act on; the message says what to do."""


def apply_pragmas(dbapi_conn: Any, key: bytes | None) -> None:
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


def raw_connect(path: Path, key: bytes | None = None) -> Any:
    conn = sqlcipher.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
    try:
        apply_pragmas(conn, key)
    except sqlcipher.DatabaseError as exc:
        conn.close()
        raise DatabaseError(UNREADABLE) from exc
    return conn


def read_pragmas(dbapi_conn: Any) -> dict[str, Any]:
    """Read every pragma back through the connection we actually use, and refuse to run if
    any differs (reliability R1.1, R1.4). Returns what is in force, for `doctor`."""
    cur = dbapi_conn.cursor()
    try:
        version = cur.execute("select sqlite_version()").fetchone()[0]
        found: dict[str, Any] = {
            name: cur.execute(f"PRAGMA {name}").fetchone()[0]
            for name in (*EXPECTED_PRAGMAS, "busy_timeout")
        }
        cipher = cur.execute("PRAGMA cipher_version").fetchone()
    except sqlcipher.DatabaseError as exc:
        raise DatabaseError(UNREADABLE) from exc
    finally:
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
