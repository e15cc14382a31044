"""Is the database whole? A quick check at every open, the page MACs with every backup.

On any failure the database is opened read-only and left exactly as it is (reliability
R1.7): the app never repairs, deletes or recreates it on its own; a person restores a backup.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from ccm_timer.errors import DatabaseError
from ccm_timer.services.context import AppContext
from ccm_timer.store.connection import key_pragma


def _rows(engine: Engine, pragma: str) -> list[str]:
    with engine.connect() as conn:
        return [str(r[0]) for r in conn.exec_driver_sql(f"PRAGMA {pragma}").fetchall()]


_SEEN = "ccm-timer.checked"  # the file set as a clean session left it (sizes, mtimes)


def _fingerprint(database: Path) -> str:
    parts = []
    for path in (database, database.with_name(database.name + "-wal")):
        try:
            info = path.stat()
            parts.append(f"{path.name}:{info.st_size}:{info.st_mtime_ns}")
        except FileNotFoundError:
            parts.append(f"{path.name}:-")
    return " ".join(parts)


def _marker(database: Path) -> Path:
    return database.parent / _SEEN


def unchanged_since_clean_close(database: Path) -> bool:
    """True when the database files are exactly as a session that passed its check left
    them: nothing (no crash, no other program, no flipped byte) has touched them since."""
    marker = _marker(database)
    try:
        return marker.read_text(encoding="utf-8") == _fingerprint(database)
    except OSError:
        return False


def remember_clean_close(database: Path) -> None:
    marker = _marker(database)
    try:
        marker.write_text(_fingerprint(database), encoding="utf-8")
    except OSError:
        pass  # then the next open simply checks again


def forget_clean_close(database: Path) -> None:
    marker = _marker(database)
    marker.unlink(missing_ok=True)


def quick_check(engine: Engine) -> list[str]:
    """SQLite's quick_check: an empty list when the file is whole, else what it found."""
    try:
        found = _rows(engine, "quick_check")
    except (DBAPIError, DatabaseError) as exc:
        return [f"a page cannot be read ({_cause(exc)})"]
    return [] if found == ["ok"] else found


def cipher_check(engine: Engine) -> list[str]:
    """SQLCipher's check of every page's MAC (tamper evidence); empty when all match."""
    if getattr(engine, "ccm_key", None) is None:
        return []
    try:
        return _rows(engine, "cipher_integrity_check")
    except (DBAPIError, DatabaseError) as exc:
        return [f"a page cannot be read ({_cause(exc)})"]


def damaged_pages(path: Path, key: bytes) -> list[str]:
    """When a database will not open with its key: SQLCipher's page MACs, checked without
    reading the schema (read-only; nothing is created). Pages failing but not page 1 mean
    the key is right and the file is damaged; an empty list means no such finding."""
    import sqlcipher3.dbapi2 as sqlcipher

    try:
        conn = sqlcipher.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlcipher.Error:
        return []
    try:
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.execute(key_pragma(key))
        found = [str(r[0]) for r in conn.execute("PRAGMA cipher_integrity_check")]
    except sqlcipher.Error:
        return []
    finally:
        conn.close()
    if any(line.rstrip().endswith(" page 1") for line in found):
        return []  # page 1 too: most likely another key, not damage
    return found


def _cause(exc: Exception) -> str:
    orig: Any = getattr(exc, "orig", None) or exc.__cause__ or exc
    return str(orig).splitlines()[0][:200]


def read_only_reason(backups: Any, problems: list[str]) -> str:
    return (
        f"The database failed its integrity check ({problems[0]}), so it is open read-only: "
        "nothing can be recorded and nothing was repaired or deleted. Keep the file as "
        f"evidence and ask your administrator to restore the latest backup from {backups}."
    )


def cipher_settings(engine: Engine) -> dict[str, str]:
    """SQLCipher's settings in force on an encrypted database (kdf, page size, HMAC...)."""
    if getattr(engine, "ccm_key", None) is None:
        return {}
    found: dict[str, str] = {}
    for line in _rows(engine, "cipher_settings"):
        name, _, value = line.removeprefix("PRAGMA ").rstrip(";").partition(" = ")
        found[name.strip()] = value.strip()
    return found


def warnings(ctx: AppContext) -> list[str]:
    """What the tray (a warning icon and menu line) and `doctor` must tell the user about how
    the data is kept; empty when all is well."""
    from ccm_timer.services.security import backups, keys

    found: list[str] = []
    if ctx.read_only:
        found.append(ctx.read_only)
    if not ctx.protection.encrypted:
        if getattr(ctx.settings, "encryption", "on") == "off":
            found.append(f'The database is not encrypted (encryption = "off"): anyone who can '
                         f"read {ctx.paths.data} can read the patient data in it.")
        else:
            found.append("The database is not encrypted; run `ccm-timer encrypt` to protect "
                         "the patient data in it.")
    elif keys.recovery_key_pending(ctx.protection):
        found.append("The recovery key has not been written down yet; run `ccm-timer unlock "
                     "--show-recovery-key` and keep it somewhere safe.")
    from ccm_timer.services.security.encryption import LEFTOVER

    if any(ctx.paths.data.glob(f"*{LEFTOVER}")):
        found.append("An unencrypted copy from an interrupted `ccm-timer encrypt` is still in "
                     "the data folder; run `ccm-timer encrypt` again to remove it.")
    newest = backups.latest(ctx.paths.backups)
    now = ctx.now()
    first = _first_event_at(ctx)
    stale = newest is None or (now - newest.taken).total_seconds() > 2 * 86400
    if ctx.read_only is None and stale and first is not None and (
            now - first).total_seconds() > 2 * 86400:
        when = newest.taken.strftime("%Y-%m-%d") if newest else "never"
        found.append(f"The last backup is from {when}; check the free space in "
                     f"{ctx.paths.backups} or run `ccm-timer backup`.")
    return found


def _first_event_at(ctx: AppContext) -> Any:
    from sqlmodel import col, select

    from ccm_timer.store.models import AuditEvent

    with ctx.read() as session:
        first = session.exec(select(AuditEvent).order_by(col(AuditEvent.seq)).limit(1)).first()
    return first.at_utc if first else None


def export_anchors(ctx: AppContext) -> tuple[int, list[str]]:
    """Every export recorded the audit chain head it was made at (and billing holds a copy).
    A chain rewritten afterwards, even with every hash recomputed so that `audit verify`
    passes, no longer contains those heads. Returns (exports checked, problems)."""
    from sqlmodel import col, select

    from ccm_timer.services.security.audit import GENESIS
    from ccm_timer.store.models import AuditEvent, Export

    with ctx.read() as session:
        hashes = set(session.exec(select(AuditEvent.hash)))
        made = list(session.exec(select(Export.id, Export.chain_head)
                                 .order_by(col(Export.created_at))))
    problems = [f"export {str(export_id)[:13]} was made at chain head {head[:16]}, which is "
                "no longer in the audit chain (the chain was rewritten after it)"
                for export_id, head in made if head != GENESIS and head not in hashes]
    return len(made), problems
