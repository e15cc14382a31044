"""What the command line's plain paths (quick_status, quick_timers) check before they trust a
raw connection, without SQLAlchemy: each check answers "ordinary" or "let the full path do
it", never an error of its own. The full path (services/context.open_app) migrates, seeds,
takes the day's backup, takes back interrupted imports and words every problem.

Three rules are read here from files the full path keeps (the integrity marker, the daily
backup's name, the chain head's advance), because their modules import the ORM; each is held
to its original by tests/services/timing/test_quick_timers.py.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any  # sqlcipher3 has no stubs

from ccm_timer.core.access import Action, duties, may
from ccm_timer.paths import AppPaths, resource
from ccm_timer.services.security import lost_commits
from ccm_timer.services.settings import Settings
from ccm_timer.store import commit_ledger
from ccm_timer.store.migrate import SCHEMA_HEAD

SIGNED_IN = "signed-in.json"  # access.SIGNED_IN
CHECKED = "ccm-timer.checked"  # integrity.CHECKED
CHECK_EVERY = timedelta(days=1)  # integrity.CHECK_EVERY
_DAILY = re.compile(r"daily-([0-9]{4}-[0-9]{2}-[0-9]{2})\.db")  # backups._DAILY
# entry_import_batches' BEGIN, DONE and ROLLBACK; roster_batches.WRITING.
_IMPORT_BEGIN, _IMPORT_DONE, _IMPORT_ROLLBACK = (
    "entry.import.begin", "entry.import", "entry.import.rollback")
_ROSTER_WRITING = "writing"


@dataclass(frozen=True)
class Who:
    id: str  # 32 hex digits, as stored
    name: str
    role: str  # the role's value (lower case)
    may_time: bool


def usable(paths: AppPaths) -> bool:
    """A database with content and no notice of lost commits."""
    try:
        if not paths.database.stat().st_size:
            return False  # new, or emptied: the full path sets it up or refuses
    except FileNotFoundError:
        return False
    return not lost_commits.notice_path(paths).exists()


def schema_ok(cur: Any, database: Path) -> bool:
    """Inside the transaction: no acknowledged commit missing, and this version's schema."""
    number = cur.execute("PRAGMA user_version").fetchone()[0]
    if number < (commit_ledger.written(database) or 0):
        return False  # commits are missing: the full path notices and says so
    has_version = cur.execute(
        "SELECT 1 FROM sqlite_master WHERE type='table' AND name='alembic_version'"
    ).fetchone()
    return bool(has_version) and cur.execute(
        "SELECT version_num FROM alembic_version").fetchone() == (SCHEMA_HEAD,)


def clinician(cur: Any, settings: Settings, wanted: str | None) -> Who | None:
    """The person named (by name or id), else the default clinician; None if unknown or
    inactive (clinicians.find's rule, whose sentence the full path says)."""
    ref = wanted or settings.default_clinician
    if not ref:
        return None
    columns = "SELECT id, name, role, active, duties FROM clinician"
    try:
        row = cur.execute(f"{columns} WHERE id = ?", (uuid.UUID(ref).hex,)).fetchone()
    except ValueError:
        row = None
    if row is None:
        rows = cur.execute(f"{columns} WHERE name = ?", (ref,)).fetchall()
        row = rows[0] if len(rows) == 1 else None
    if row is None or not row[3]:
        return None
    role = str(row[2]).lower()
    return Who(row[0], row[1], role, may(duties(role, (row[4] or "").split(",")), Action.TIME))


# --- What the full path's open would do first (then it must do it, not us) ---------------


def _fingerprint(database: Path) -> str:
    parts = []
    for path in (database, database.with_name(database.name + "-wal")):
        try:
            info = path.stat()
            parts.append(f"{path.name}:{info.st_size}:{info.st_mtime_ns}")
        except FileNotFoundError:
            parts.append(f"{path.name}:-")
    return " ".join(parts)


def trusted_check(database: Path, now: datetime) -> datetime | None:
    """integrity.trusted_check: when the last full check ran, if it still vouches for the
    files; None: the full path checks them now."""
    try:
        text = (database.parent / CHECKED).read_text(encoding="utf-8")
        fingerprint, _, stamp = text.partition("\n")
        at = datetime.fromisoformat(stamp.removeprefix("checked ").strip())
    except (OSError, ValueError):
        return None
    if fingerprint != _fingerprint(database) or at.tzinfo is None:
        return None
    return at if timedelta(0) <= now - at < CHECK_EVERY else None


def forget_clean_close(database: Path) -> None:
    (database.parent / CHECKED).unlink(missing_ok=True)


def remember_clean_close(database: Path, checked_at: datetime) -> None:
    """integrity.remember_clean_close, after our commit: the files as we leave them."""
    import os

    try:
        flags = os.O_CREAT | os.O_TRUNC | os.O_WRONLY | getattr(os, "O_BINARY", 0)
        with os.fdopen(os.open(database.parent / CHECKED, flags, 0o600), "wb") as handle:
            handle.write(f"{_fingerprint(database)}\nchecked {checked_at.isoformat()}".encode())
    except OSError:
        pass  # the next open checks again


def backup_due(folder: Path, now: datetime) -> bool:
    """backups.due: no daily backup of today (UTC) yet."""
    today = now.astimezone(UTC).date()
    try:
        days = [m.group(1) for p in folder.iterdir()
                if p.is_file() and (m := _DAILY.fullmatch(p.name))]
    except OSError:
        return True
    return not days or max(days) < today.isoformat()


def nothing_to_set_up(cur: Any) -> bool:
    """Inside the transaction: every seed category present, no roster or entry import left
    part-way (the full path's open would seed or take back)."""
    import tomllib

    seeds = tomllib.loads(resource("categories.toml").read_text(encoding="utf-8"))["category"]
    known = {r[0] for r in cur.execute("SELECT slug FROM category")}
    if any(s["slug"] not in known for s in seeds):
        return False
    if cur.execute("SELECT 1 FROM roster_import WHERE state IN (?, ?) LIMIT 1",
                   (_ROSTER_WRITING, _ROSTER_WRITING.upper())).fetchone():
        return False
    return not cur.execute(
        "SELECT 1 FROM audit_event b WHERE b.action = ? AND NOT EXISTS (SELECT 1 FROM "
        "audit_event d WHERE d.entity_id = b.entity_id AND d.action IN (?, ?)) LIMIT 1",
        (_IMPORT_BEGIN, _IMPORT_DONE, _IMPORT_ROLLBACK)).fetchone()
