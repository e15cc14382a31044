"""What the command line's plain paths (quick_status, quick_timers) check before they trust a
raw connection, without SQLAlchemy: each check answers "ordinary" or "let the full path do
it", never an error of its own. The full path (services/context.open_app) migrates, seeds,
takes the day's backup, takes back interrupted imports and words every problem.

The integrity marker's rule (services/security/clean_close.py) and the daily backup's
(backup_days.py) are the full open's own, in modules without the ORM.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any  # sqlcipher3 has no stubs

from ccm_timer.core.access import Action, duties, may
from ccm_timer.paths import AppPaths, resource
from ccm_timer.services.import_states import (
    ENTRY_BEGIN,
    ENTRY_DONE,
    ENTRY_ROLLBACK,
    ROSTER_WRITING,
)
from ccm_timer.services.security import lost_commits
from ccm_timer.services.settings import Settings
from ccm_timer.store import commit_ledger
from ccm_timer.store.migrate import SCHEMA_HEAD


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


def nothing_to_set_up(cur: Any, zone: str) -> bool:
    """Inside the transaction: every seed category present, the month rollup built in the
    clinic's `zone`, no roster or entry import left part-way (the full path's open would
    seed, build or take back)."""
    import tomllib

    seeds = tomllib.loads(resource("categories.toml").read_text(encoding="utf-8"))["category"]
    known = {r[0] for r in cur.execute("SELECT slug FROM category")}
    if any(s["slug"] not in known for s in seeds):
        return False
    if cur.execute("SELECT zone FROM month_rollup_state WHERE id = 1").fetchone() != (zone,):
        return False  # services/context.build_month_rollup
    if cur.execute("SELECT 1 FROM roster_import WHERE state IN (?, ?) LIMIT 1",
                   (ROSTER_WRITING, ROSTER_WRITING.upper())).fetchone():
        return False
    return not cur.execute(
        "SELECT 1 FROM audit_event b WHERE b.action = ? AND NOT EXISTS (SELECT 1 FROM "
        "audit_event d WHERE d.entity_id = b.entity_id AND d.action IN (?, ?)) LIMIT 1",
        (ENTRY_BEGIN, ENTRY_DONE, ENTRY_ROLLBACK)).fetchone()
