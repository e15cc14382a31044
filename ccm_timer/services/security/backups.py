"""Backups: through the SQLite backup API (never a file copy, reliability R1.5), encrypted
with the database's own key, so a backup is as safe as the database and opens with the same
recovery key.

A daily backup is taken when the app or a command opens the database and the newest one is
from an earlier day (UTC); the newest seven are kept. The command line's fast `status` never
opens the database this way, so it never waits for one.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from ccm_timer import fsio
from ccm_timer.errors import DatabaseError, DiskFullError, UserError
from ccm_timer.services.context import AppContext
from ccm_timer.services.security import backup_days
from ccm_timer.store import faults, migrate
from ccm_timer.store.connection import key_pragma

DAILY_KEEP = 7
# Room a backup must leave on the disk: the commits after it (a stop, an entry) need the
# space more than the copy does.
RESERVE = 1 << 20


@dataclass(frozen=True)
class Backup:
    path: Path
    taken: datetime  # UTC, from the file's modification time

    @property
    def daily(self) -> date | None:
        return backup_days.day_of(self.path.name)


def list_backups(folder: Path) -> list[Backup]:
    """Every finished backup in `folder`, oldest first (a `.partial` is not a backup)."""
    if not folder.is_dir():
        return []
    found = [
        Backup(p, datetime.fromtimestamp(p.stat().st_mtime, UTC))
        for p in folder.iterdir() if p.suffix == ".db" and p.is_file()
    ]
    return sorted(found, key=lambda b: b.taken)


def latest(folder: Path) -> Backup | None:
    found = list_backups(folder)
    return found[-1] if found else None


def _settle_and_verify(path: Path, key: bytes | None) -> None:
    """Make the copy a single self-contained file (the backup API copies the WAL flag, and
    a WAL file would leave -wal and -shm beside it at every open), then check it as a reader
    would. A copy that fails is removed, never kept as if it were a backup."""
    import sqlcipher3.dbapi2 as sqlcipher

    try:
        conn = sqlcipher.connect(str(path))
        try:
            conn.execute("PRAGMA cipher_log_level = NONE")
            if key is not None:
                conn.execute(key_pragma(key))
            conn.execute("PRAGMA journal_mode = DELETE").fetchone()
            result = conn.execute("PRAGMA quick_check").fetchall()
        finally:
            conn.close()
    except sqlcipher.Error as exc:
        result = [(f"unreadable: {type(exc).__name__}",)]
        if faults.is_disk_full(exc, path.parent):
            _remove(path)
            raise faults.disk_full(path.parent) from exc
    if result != [("ok",)]:
        _remove(path)
        raise DatabaseError(
            "The backup could not be verified after writing, so it was removed; check the "
            "disk and try again."
        )


def take(ctx: AppContext, out: Path | None = None) -> Path:
    """A verified backup at `out` (never over an existing file), or a new file in the data
    folder's backups."""
    if out is None:
        stamp = ctx.now().astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        target = ctx.paths.backups / f"manual-{stamp}.db"
    else:
        target = Path(out).expanduser().resolve()
        if target.exists():
            raise UserError(f"{target} already exists; give a new file name.")
        if not target.parent.is_dir():
            raise UserError(f"The folder {target.parent} does not exist; create it first.")
    return _write(ctx, target)


def _remove(path: Path) -> None:
    for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        leftover.unlink(missing_ok=True)


def _room(ctx: AppContext, folder: Path, daily: bool) -> None:
    """Refuse before writing a byte when the copy would not fit with RESERVE to spare."""
    live = ctx.paths.database
    size = sum(p.stat().st_size for p in (live, live.with_name(live.name + "-wal"))
               if p.exists())
    free = shutil.disk_usage(folder).free
    if free < size + RESERVE:
        what = "Today's backup was skipped" if daily else "No backup was taken"
        raise DiskFullError(
            f"{what}: the disk holding {folder} has {free // 1024} KB free and a backup needs "
            f"about {(size + RESERVE) // 1024} KB; free space, then run `ccm-timer backup`.")


def _audit_events(path: Path, key: bytes | None) -> int | None:
    import sqlcipher3.dbapi2 as sqlcipher

    try:
        conn = sqlcipher.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
        try:
            conn.execute("PRAGMA cipher_log_level = NONE")
            if key is not None:
                conn.execute(key_pragma(key))
            return int(conn.execute("SELECT count(*) FROM audit_event").fetchone()[0])
        finally:
            conn.close()
    except sqlcipher.Error:
        return None


def _write(ctx: AppContext, target: Path, daily: bool = False) -> Path:
    _room(ctx, target.parent, daily)
    migrate.backup_database(ctx.engine, target)
    os.chmod(target, 0o600)
    _settle_and_verify(target, getattr(ctx.engine, "ccm_key", None))
    return target


def due(ctx: AppContext) -> bool:
    return backup_days.due(ctx.paths.backups, ctx.now())


def daily(ctx: AppContext) -> Path | None:
    """Take today's backup if none was taken today, then keep only the newest seven."""
    if not due(ctx):
        return None
    today = ctx.now().astimezone(UTC).date()
    earlier = [b for b in list_backups(ctx.paths.backups) if b.daily is not None]
    made = _write(ctx, ctx.paths.backups / backup_days.daily_name(today), daily=True)
    if earlier:
        # The audit trail only grows: a database with fewer events than yesterday's copy
        # is not the one that was backed up (a new or older one): keep every good backup.
        last = max(earlier, key=lambda b: b.daily or today)
        key = getattr(ctx.engine, "ccm_key", None)
        now_events, then_events = _audit_events(made, key), _audit_events(last.path, key)
        if now_events is not None and then_events is not None and now_events < then_events:
            ctx.notices.append(
                f"Today's backup holds fewer audit events ({now_events}) than the backup of "
                f"{last.daily} ({then_events}), so no older backup was removed; check with "
                "`ccm-timer doctor` that this is the database you expect.")
            return made
    rotate(ctx.paths.backups)
    return made


def rotate(folder: Path, keep: int = DAILY_KEEP) -> list[Path]:
    """Remove daily backups beyond the newest `keep` (by their date); returns what went."""
    dailies = sorted((b.daily, b.path) for b in list_backups(folder) if b.daily is not None)
    gone = [path for _, path in dailies[:-keep]] if len(dailies) > keep else []
    # A partial copy a day old was left by a program killed mid-copy (a live copy takes
    # seconds, and may be another program's: younger ones are left alone).
    stale = time.time() - 86400
    gone += [p for p in folder.glob(f".*{fsio.PARTIAL_SUFFIX}") if p.stat().st_mtime < stale]
    for path in gone:
        path.unlink(missing_ok=True)
    return gone
