"""A new data folder, or a used one whose database has gone?

SQLite creates a missing database, and a zero-byte file opens as an empty one: either way
the app would start afresh, list "No entries.", and its daily backups of the empty
database would push the good ones out. So a folder that shows it was used (a key record,
backups, the check marker, the commit ledger, a -wal file) and has no database, or an
empty one, is refused with a pointer to its backups; only a folder with none of these is
set up. Nothing is created before this check.
"""

from __future__ import annotations

from ccm_timer.errors import DatabaseError
from ccm_timer.paths import AppPaths
from ccm_timer.store import commit_ledger


def traces(paths: AppPaths) -> list[str]:
    """What in the data folder shows that a database was kept here."""
    from ccm_timer.services.security import backups, integrity, keys

    markers = (integrity.CHECKED, commit_ledger.LEDGER, f"{paths.database.name}-wal")
    found = []
    if keys.record_path(paths).exists():
        found.append(f"its key record {keys.RECORD_FILE}")
    taken = backups.list_backups(paths.backups)
    if taken:
        found.append(f"{len(taken)} backup(s)")
    found += [name for name in markers if (paths.data / name).exists()]
    return found


def refuse_if_gone(paths: AppPaths) -> None:
    """Raise when the database is missing or empty in a folder that was in use."""
    try:
        size: int | None = paths.database.stat().st_size
    except FileNotFoundError:
        size = None
    if size:
        return
    found = traces(paths)
    if not found:
        return  # a new folder: set it up
    from ccm_timer.services.security import backups

    newest = backups.latest(paths.backups)
    how = (f"restore the latest backup with `ccm-timer restore {newest.path}`" if newest
           else "put the database file back, or restore a backup kept elsewhere with "
           "`ccm-timer restore FILE`")
    state = "missing" if size is None else "empty (0 bytes)"
    raise DatabaseError(
        f"The database {paths.database} is {state}, but this data folder was in use "
        f"({', '.join(found)}), so CCM Timer does not start afresh here and nothing was "
        f"created or changed; to go on, {how}.")
