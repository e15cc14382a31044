"""Every commit is numbered, and the newest number is written down beside the database.

While the tray runs it holds a connection open, so recent commits live only in the -wal
file until a checkpoint copies them into the database. If that file is deleted or cut
short after an unclean end (a cleanup tool, a sync client, someone tidying up), SQLite
opens the older database without a word and the work is gone. So each write transaction
also raises the database's own counter (`PRAGMA user_version`, free for the application
and carried by backups and `encrypt`), and after the commit the number goes to
`ccm-timer.committed`. At the next open a database whose counter is below the number
written down has lost commits it acknowledged.

The file is written after the commit and not synced: it may lag behind the database (a
crash in between), which only weakens the check; it is never ahead of a durable commit.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

LEDGER = "ccm-timer.committed"


def ledger_path(database: Path) -> Path:
    return database.parent / LEDGER


def bump(dbapi_conn: Any, changes_before: int) -> int | None:
    """Inside a write transaction, on its DB-API connection (two pragmas, not statements
    of the transaction's own): the number of the commit about to be made. None when the
    transaction changed no row: an empty commit stays empty (the tray re-reads on every
    real commit by another connection, and must not on a no-op)."""
    if dbapi_conn.total_changes == changes_before:
        return None
    cur = dbapi_conn.cursor()
    try:
        current = int(cur.execute("PRAGMA user_version").fetchone()[0] or 0)
        cur.execute(f"PRAGMA user_version = {current + 1}")
    finally:
        cur.close()
    return current + 1


def written(database: Path) -> int | None:
    try:
        return int(ledger_path(database).read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        return None


def write(database: Path, number: int) -> None:
    """Replace the number in one rename (a reader never sees half of it), 0600."""
    target = ledger_path(database)
    tmp = target.with_name(f".{LEDGER}.{os.getpid()}.partial")
    try:
        fd = os.open(tmp, os.O_CREAT | os.O_TRUNC | os.O_WRONLY | getattr(os, "O_BINARY", 0),
                     0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(f"{number}\n".encode())
        os.replace(tmp, target)
    except OSError:  # a full disk: the next commit writes it again
        with contextlib.suppress(OSError):
            tmp.unlink()


def record(database: Path, number: int) -> None:
    """After a commit: write `number` down unless a later one already is (two processes
    commit in turn, and the slower one must not lower the number)."""
    if (written(database) or 0) < number:
        write(database, number)
