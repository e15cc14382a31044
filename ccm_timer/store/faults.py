"""What a failed SQLite call means, in words a person can act on.

sqlcipher3 raises the same DatabaseError for a full disk, a damaged page, a truncated file
and a wrong key, and each needs a different action. `at_open` words a failed first read
(store/connection.py), `translate` a failed statement (the engine's handle_error hook).
Both go by SQLite's own error codes, then by SQLCipher's check of every page's MAC, which
runs without reading the schema: another key fails every page, damage only some.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from ccm_timer.errors import (
    DamagedError,
    DatabaseError,
    DiskFullError,
    TruncatedError,
    UnreadableError,
)

_IOERR, _CORRUPT, _FULL, _NOTADB = 10, 11, 13, 26  # SQLite's primary result codes
_NEARLY_FULL = 1 << 20  # an I/O error with less free space than this is a full disk
PAGE = 4096  # SQLCipher 4's page size, which every CCM Timer database has
RESTORE = "Keep it as evidence and restore the latest backup with `ccm-timer restore`."
UNREADABLE = (
    "The database file cannot be read: it is encrypted with another key or is not a CCM "
    "Timer database. Nothing was changed."
)


def _code(exc: BaseException) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    return code & 0xFF if isinstance(code, int) else None


def _first_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0][:200]


def disk_full(folder: Path) -> DiskFullError:
    return DiskFullError(f"The disk holding {folder} is full; free space and try again; "
                         "nothing was changed.")


def is_disk_full(exc: BaseException, folder: Path) -> bool:
    """SQLITE_FULL, or an I/O error on a disk with (almost) no room left: SQLite reports a
    -shm file it cannot grow as an I/O error, not as a full disk."""
    code = _code(exc)
    if code == _FULL or getattr(exc, "errno", None) in (28, 122):  # ENOSPC, EDQUOT
        return True
    if code != _IOERR:
        return False
    try:
        return shutil.disk_usage(folder).free < _NEARLY_FULL
    except OSError:
        return False


def translate(exc: BaseException, database: Path) -> DatabaseError | None:
    """Our error for a statement on `database` that failed, or None when the file and the
    disk are not at fault (a lock, a constraint: the caller handles those)."""
    if is_disk_full(exc, database.parent):
        return disk_full(database.parent)
    code = _code(exc)
    if code in (_CORRUPT, _NOTADB):
        detail = _first_line(exc)
        return DamagedError(f"The database file {database} is damaged ({detail}); nothing "
                            f"was changed. {RESTORE}", detail)
    if code == _IOERR:
        return DatabaseError(f"The disk holding {database} failed a read or write "
                             f"({_first_line(exc)}); check the disk and try again.")
    return None


def page_check(path: Path, key: bytes) -> list[str]:
    """SQLCipher's MAC check of every page, without reading the schema, on a read-only
    handle (nothing is created). An empty list when every page in the file verifies, or
    when the check cannot run at all."""
    import sqlcipher3.dbapi2 as sqlcipher

    from ccm_timer.store.connection import key_pragma

    try:
        conn = sqlcipher.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlcipher.Error:
        return []
    try:
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.execute(key_pragma(key))
        return [str(r[0]) for r in conn.execute("PRAGMA cipher_integrity_check")]
    except sqlcipher.Error:
        return []
    finally:
        conn.close()


def _first_page_fails(found: list[str]) -> bool:
    return any(line.rstrip().endswith(" page 1") or line.startswith("page 1 ")
               for line in found)


def truncated(path: Path, size: int) -> TruncatedError:
    detail = f"it ends part-way through page {size // PAGE + 1}"
    return TruncatedError(f"The database file {path} is truncated ({detail}), so it cannot "
                          f"be read; nothing was changed. {RESTORE}", detail)


def at_open(exc: Any, path: Path, key: bytes | None) -> DatabaseError:
    """Our error for a first read of `path` that failed: no room, truncated, damaged, or
    (page 1 does not open with this key) UnreadableError, for the caller to word by where
    the key came from."""
    if is_disk_full(exc, path.parent) or _code(exc) == _IOERR:
        return translate(exc, path) or disk_full(path.parent)
    if key is None:  # an unencrypted file: no page MACs to ask
        if _code(exc) == _CORRUPT:
            return DamagedError(f"The database file {path} is damaged ({_first_line(exc)}), "
                                f"so it cannot be opened; nothing was changed. {RESTORE}")
        return UnreadableError(UNREADABLE)
    found = page_check(path, key)
    short = [line for line in found if "invalid size" in line]
    if short:
        return truncated(path, path.stat().st_size)
    if _code(exc) == _CORRUPT and not found:
        # Every page present is authentic, yet the file does not hold a whole database:
        # pages at its end are missing (a copy cut short, a file cut at a page boundary).
        detail = "its last pages are missing"
        return TruncatedError(f"The database file {path} is truncated ({detail}), so it "
                              f"cannot be read; nothing was changed. {RESTORE}", detail)
    # Another key fails every page; damage fails some, and the key opens the rest.
    if found and (not _first_page_fails(found) or len(found) < path.stat().st_size // PAGE):
        return DamagedError(f"The database file {path} is damaged ({found[0]}; {len(found)} "
                            f"page(s) in all), so it cannot be opened; nothing was changed. "
                            f"{RESTORE}", found[0])
    return UnreadableError(UNREADABLE)

