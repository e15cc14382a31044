"""Putting a backup back in place of the database (`ccm-timer restore BACKUP`).

The backup is checked first, as a reader would check it: it opens with this folder's key,
its quick check and page MACs pass, and its schema is one this version knows. It is then
copied in through the SQLite backup API under a temporary name, checked again, and only
then renamed into place. A database that is there is moved aside, never deleted: it is the
evidence of what went wrong, and may hold work the backup does not.

Only the database is replaced; nothing here runs while the tray holds the folder.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ccm_timer import fsio
from ccm_timer.errors import DatabaseError, UserError
from ccm_timer.paths import AppPaths
from ccm_timer.store import commit_ledger, faults, migrate
from ccm_timer.store.connection import key_pragma


@dataclass(frozen=True)
class Restored:
    source: Path
    aside: Path | None  # where the database that was here went
    audit_events: int


def _open(path: Path, key: bytes | None, *, read_only: bool) -> Any:
    import sqlcipher3.dbapi2 as sqlcipher

    uri = f"{path.resolve().as_uri()}?mode=ro&immutable=1" if read_only else str(path)
    conn = sqlcipher.connect(uri, uri=read_only)
    conn.isolation_level = None
    conn.execute("PRAGMA cipher_log_level = NONE")
    if key is not None:
        conn.execute(key_pragma(key))
    return conn


def check(path: Path, key: bytes | None) -> int:
    """The number of audit events in the backup at `path` once it proved whole and
    readable with `key`; UserError saying why it cannot be used otherwise."""
    import sqlcipher3.dbapi2 as sqlcipher

    try:
        conn = _open(path, key, read_only=True)
        try:
            quick = [r[0] for r in conn.execute("PRAGMA quick_check")]
            macs = [r[0] for r in conn.execute("PRAGMA cipher_integrity_check")] if key else []
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            events = int(conn.execute("SELECT count(*) FROM audit_event").fetchone()[0])
        finally:
            conn.close()
    except sqlcipher.Error as exc:
        # Another key fails every page; damage only some (store/faults.py).
        found = faults.page_check(path, key) if key is not None else []
        if found and len(found) < path.stat().st_size // faults.PAGE:
            raise UserError(f"The backup {path} failed its integrity check ({found[0]}); "
                            "nothing was changed. Choose another backup.") from None
        raise UserError(f"The backup {path} cannot be read with this data folder's key "
                        f"({str(exc).splitlines()[0]}); nothing was changed. Choose another "
                        "backup, or give the key it was made with (--recovery-key).") from None
    problems = ([] if quick == ["ok"] else quick) + macs
    if problems:
        raise UserError(f"The backup {path} failed its integrity check ({problems[0]}); "
                        "nothing was changed. Choose another backup.")
    if row is None or row[0] not in migrate.KNOWN_REVISIONS:
        raise UserError(f"The backup {path} was written by another version of CCM Timer "
                        "(its schema is unknown here); nothing was changed.")
    return events


def restore(paths: AppPaths, key: bytes | None, backup: Path,
            now: datetime | None = None) -> Restored:
    from ccm_timer.services.security import chain_anchor, integrity, keys, lost_commits
    from ccm_timer.services.security.encryption import tray_running

    source = Path(backup).expanduser().resolve()
    live = paths.database
    if not source.is_file():
        raise UserError(f"{source} is not a file; give the path of a backup (this folder's "
                        f"are in {paths.backups}).")
    if source == live.resolve():
        raise UserError("That is the database itself; give the path of a backup.")
    if tray_running(paths.data):
        raise UserError("The CCM Timer tray app is running on this data folder; quit it, "
                        "then run `ccm-timer restore` again. Nothing was changed.")
    events = check(source, key)
    stamp = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    partial = paths.data / f".ccm-restore-{stamp}.partial"
    _copy(source, partial, key)
    try:
        check(partial, key)
        aside = _move_aside(paths, stamp)
        os.replace(partial, live)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    fsio.sync_folder(paths.data)
    # The restored file starts a new history: check it in full at the next open, count
    # commits from its own number, and the notice of missing work has been answered.
    integrity.forget_clean_close(live)
    conn = _open(live, key, read_only=True)
    try:
        commit_ledger.write(live, int(conn.execute("PRAGMA user_version").fetchone()[0]))
        head = chain_anchor.head_of(conn.execute(chain_anchor.NEWEST).fetchone())
    finally:
        conn.close()
    lost_commits.clear(paths)
    # The restored chain is the one held from now on: the head kept for the replaced
    # database would call it cut short.
    protection = keys.Protection(key, record=keys.load_record(paths))
    chain_anchor.forget(paths, protection)
    if head is not None:
        chain_anchor.write_quietly(paths, protection, head)
    return Restored(source, aside, events)


def _copy(source: Path, target: Path, key: bytes | None) -> None:
    """Through the backup API (never a file copy: R1.5), into a 0600 file."""
    import sqlcipher3.dbapi2 as sqlcipher

    target.unlink(missing_ok=True)
    fsio.create_owner_only(target)
    try:
        src = _open(source, key, read_only=True)
        try:
            dest = _open(target, key, read_only=False)
            try:
                src.backup(dest)  # the app turns WAL on again at its next open
            finally:
                dest.close()
        finally:
            src.close()
    except sqlcipher.Error as exc:
        target.unlink(missing_ok=True)
        if faults.is_disk_full(exc, target.parent):
            raise faults.disk_full(target.parent) from exc
        raise DatabaseError(f"The backup could not be copied into {target.parent} "
                            f"({str(exc).splitlines()[0]}); nothing was changed.") from exc


def _move_aside(paths: AppPaths, stamp: str) -> Path | None:
    """Rename the database there (with its -wal and -shm, so the set stays openable) to
    ccm-timer.db.replaced-STAMP; None when there was none."""
    current = paths.database
    aside = current.with_name(f"{current.name}.replaced-{stamp}")
    moved = False
    for suffix in ("", "-wal", "-shm"):
        here = Path(f"{current}{suffix}")
        if here.exists():
            os.replace(here, Path(f"{aside}{suffix}"))
            moved = moved or suffix == ""
    return aside if moved else None
