"""Turning an unencrypted data folder into an encrypted one, in place and safely.

The plaintext database is locked for the whole conversion (no other program may have it
open), exported with `sqlcipher_export` into a new file under a new key, and the copy is
verified (integrity_check, cipher_integrity_check, the row count of every table, the schema
version) before it replaces the original in one atomic rename. The plaintext original is
then overwritten with zeros and removed: the point is that no patient data stays on disk in
clear, and a verified encrypted copy (plus its recovery key) is the safer thing to keep.
Plaintext backups in the backups folder are converted the same way.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlcipher3.dbapi2 as sqlcipher

from ccm_timer.errors import DatabaseError, UserError
from ccm_timer.paths import AppPaths
from ccm_timer.services.security import chain_anchor, keys
from ccm_timer.store.connection import key_pragma, raw_connect

IN_PROGRESS = ".encrypting"
LEFTOVER = ".plaintext"
_BUSY = ("Another program has the database open; close the CCM Timer tray app and any "
         "running ccm-timer command, then run `ccm-timer encrypt` again. Nothing was changed.")
# Beyond the tray's lock file, SQLite's own locks stop a program that is inside a
# transaction; one that merely holds an idle connection and writes after the switch finds
# the encrypted file, cannot read it without the key, and says so: nothing is lost quietly.


def tray_running(folder: Path) -> bool:
    """True when a CCM Timer tray holds this data folder (its lock file names a live
    process). The tray keeps a connection open between transactions, which SQLite's locks
    alone do not reveal."""
    lock = folder / "ccm-timer.lock"
    try:
        pid = int(lock.read_text(encoding="utf-8", errors="replace").split()[0])
    except (OSError, ValueError, IndexError):
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False  # a stale lock from a crashed tray
    except PermissionError:
        return True  # alive, another user's
    return True


def _open_plain(path: Path) -> Any:
    conn = sqlcipher.connect(str(path), timeout=2)
    conn.isolation_level = None
    conn.execute("PRAGMA cipher_log_level = NONE")
    return conn


def is_plaintext(path: Path) -> bool:
    """True when the file opens as an unencrypted SQLite database."""
    try:
        conn = _open_plain(path)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            return True
        finally:
            conn.close()
    except sqlcipher.DatabaseError:
        return False


def _census(conn: Any, schema: str = "main") -> dict[str, Any]:
    tables = [r[0] for r in conn.execute(
        f"SELECT name FROM {schema}.sqlite_master WHERE type = 'table' "
        "AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    counts: dict[str, Any] = {
        t: conn.execute(f'SELECT count(*) FROM {schema}."{t}"').fetchone()[0] for t in tables}
    counts[":user_version"] = conn.execute(f"PRAGMA {schema}.user_version").fetchone()[0]
    return counts


def _export(conn: Any, target: Path, key: bytes) -> dict[str, Any]:
    """Copy the locked plaintext database into `target`, encrypted; returns its census."""
    for stale in (target, Path(f"{target}-wal"), Path(f"{target}-shm")):
        stale.unlink(missing_ok=True)  # our own unfinished copy from an interrupted run
    census = _census(conn)
    conn.execute("ATTACH DATABASE ? AS enc KEY ?", (str(target), f"x'{key.hex()}'"))
    try:
        conn.execute("SELECT sqlcipher_export('enc')").fetchall()
        conn.execute(f"PRAGMA enc.user_version = {int(census[':user_version'])}")
    finally:
        conn.execute("DETACH DATABASE enc")
    return census


def _verify(target: Path, key: bytes, census: dict[str, Any], wal: bool) -> None:
    conn = raw_connect(target, key) if wal else _open_plain(target)
    try:
        if not wal:
            conn.execute(key_pragma(key))
        problems = [r[0] for r in conn.execute("PRAGMA integrity_check")]
        problems = [] if problems == ["ok"] else problems
        problems += [r[0] for r in conn.execute("PRAGMA cipher_integrity_check")]
        if _census(conn) != census:
            problems.append("the row counts differ")
    finally:
        conn.close()
    if problems:
        target.unlink(missing_ok=True)
        raise DatabaseError(
            f"The encrypted copy did not verify ({problems[0]}), so it was removed and the "
            "original database was kept as it was; check the disk and try again.")


def wipe(path: Path) -> None:
    """Overwrite a file with zeros, flush it, then remove it. (On SSDs and copy-on-write
    file systems old blocks may survive; full-disk encryption covers those.)"""
    size = path.stat().st_size
    with open(path, "r+b", buffering=0) as handle:
        chunk = b"\0" * (1 << 20)
        left = size
        while left > 0:
            left -= handle.write(chunk[:min(left, len(chunk))])
        os.fsync(handle.fileno())
    path.unlink()


def _fsync_dir(folder: Path) -> None:
    if os.name == "posix":
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _convert(path: Path, key: bytes, wal: bool, before_switch: Callable[[], None],
             after_switch: Callable[[], None]) -> Path:
    """Encrypt one database file in place. Returns the plaintext original's last name, for
    the caller to wipe once everything that depends on the switch is saved."""
    conn = _open_plain(path)
    try:
        try:
            # Leaving WAL needs every other connection closed: the check that nobody else
            # has the file open, and SQLite itself folds in and removes its -wal file.
            if conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0] != "delete":
                raise DatabaseError(_BUSY)
            conn.execute("PRAGMA locking_mode = EXCLUSIVE")
            conn.execute("BEGIN EXCLUSIVE")  # held until close, in exclusive locking mode
            conn.execute("COMMIT")
        except sqlcipher.OperationalError:
            raise DatabaseError(_BUSY) from None
        target = path.with_name(path.name + IN_PROGRESS)
        census = _export(conn, target, key)
        _verify(target, key, census, wal)
        before_switch()
        leftover = path.with_name(path.name + LEFTOVER)
        leftover.unlink(missing_ok=True)
        os.link(path, leftover)  # the plaintext stays reachable until the switch is durable
        os.replace(target, path)
        after_switch()
        _fsync_dir(path.parent)
    finally:
        conn.close()
    return leftover


def encrypt(paths: AppPaths, settings: Any, *, passphrase: str | None = None,
            show_recovery_key: Callable[[str], None]) -> keys.Protection:
    """Encrypt the data folder's unencrypted database and backups under a new key kept in
    the keyring (or derived from a passphrase). `show_recovery_key` is called with the
    recovery key before the switch, so an interruption after it never leaves a database
    nobody can open."""
    db = paths.database
    if keys.load_record(paths) is not None:
        for leftover in paths.data.glob(f"*{LEFTOVER}"):
            wipe(leftover)  # an interrupted run's plaintext, already replaced
        raise UserError("The database is already encrypted; nothing to do.")
    if not db.exists():
        raise UserError(
            "There is no database yet; a new one is encrypted from the start (unless "
            '`encryption = "off"` is set), so there is nothing to convert.')
    if tray_running(paths.data):
        raise UserError(_BUSY)
    if not is_plaintext(db):
        raise UserError(
            "The database is encrypted but this folder has no record of its key; run "
            "`ccm-timer unlock --recovery-key` instead. Nothing was changed.")
    try:  # the unencrypted database's chain head, kept on under the new key
        old_head = chain_anchor.read(paths, keys.Protection())
    except chain_anchor.AnchorError:
        old_head = None  # damaged: `audit verify` will say the head is missing
    fresh = keys.new_key(
        passphrase, shown=True,
        no_keyring="No usable keyring can keep the new key: {why}. Nothing was changed; set "
        f"{keys.ENV_PASSPHRASE} to use a passphrase instead.")
    record, key = fresh.record, fresh.key
    assert record is not None and key is not None
    shown: list[bool] = []

    def announce() -> None:
        if not shown:
            show_recovery_key(keys.format_recovery_key(key))
            shown.append(True)

    switched: list[bool] = []

    def commit() -> None:
        keys.save_record(paths, record)
        switched.append(True)
        if old_head is not None:
            chain_anchor.write_quietly(paths, fresh, old_head)
            if fresh.kept_in == "keyring":
                (paths.data / chain_anchor.HEAD_FILE).unlink(missing_ok=True)

    try:
        leftover = _convert(db, key, True, announce, commit)
    except BaseException:
        if not switched:
            keys.forget(record)  # the key of a copy that was never used
        raise
    wipe(leftover)
    for backup in sorted(paths.backups.glob("*.db")):
        if is_plaintext(backup):
            wipe(_convert(backup, key, False, lambda: None, lambda: None))
    return fresh
