"""Is the database whole? A full quick check at every tray start and at least once a day,
the page MACs with every backup and `doctor`, and every page a command reads verified by
SQLCipher as it is read (a failure there switches the session to read-only).

On any failure the database is opened read-only and left exactly as it is (reliability
R1.7): the app never repairs, deletes or recreates it on its own; a person restores a backup.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from ccm_timer.errors import DatabaseError
from ccm_timer.services.context import AppContext

# The marker's rule, re-exported: callers name it integrity.X.
from ccm_timer.services.security.clean_close import (  # noqa: F401
    CHECK_EVERY,
    CHECKED,
    forget_clean_close,
    remember_clean_close,
    trusted_check,
    unchanged_since_clean_close,
)
from ccm_timer.store.engine import make_engine

if TYPE_CHECKING:
    from ccm_timer.services.security.audit import ChainReport


def _rows(engine: Engine, pragma: str) -> list[str]:
    with engine.connect() as conn:
        return [str(r[0]) for r in conn.exec_driver_sql(f"PRAGMA {pragma}").fetchall()]


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


def restore_hint(backups: Any) -> str:
    return f"restore the latest backup from {backups} with `ccm-timer restore`"


def part_unreadable(backups: Any) -> str:
    return ("That part of the damaged database cannot be read; nothing was changed. Ask your "
            f"administrator to {restore_hint(backups)}.")


def _cause(exc: Exception) -> str:
    orig: Any = getattr(exc, "orig", None) or exc.__cause__ or exc
    return str(orig).splitlines()[0][:200]


def record_check(ctx: AppContext, problems: list[str], started: datetime | None = None
                 ) -> list[str]:
    """After a full check (`doctor`, the schedule): a pass vouches for the files from when
    it `started` (default now), a failure switches the session to read-only. Returns
    `problems`."""
    if problems:
        ctx.damaged(problems[0])
    else:
        ctx.checked_at = started or ctx.now()
    return problems


def check_due(ctx: AppContext) -> bool:
    """Whether a full check is due: none vouches for this session's files (the tray opened
    without one, open_app's `check_later`), or the last is CHECK_EVERY old."""
    last = ctx.checked_at
    return ctx.read_only is None and (
        last is None or not timedelta(0) <= ctx.now() - last < CHECK_EVERY)


def scheduled_check(ctx: AppContext) -> list[str]:
    """The tray's check for a session longer than CHECK_EVERY: a full quick_check when
    the last one is that old (cheap to call often; it runs about once a day). Left to the
    check apart when one watches this session (`ctx.checks_apart`)."""
    if ctx.checks_apart or not check_due(ctx):
        return []
    return record_check(ctx, quick_check(ctx.engine))


def check_apart(ctx: AppContext) -> list[str]:
    """The full check on a connection of its own, opened read-only, for a worker thread:
    the session's writes go on meanwhile and this one writes nothing. It checks the
    database as it stands when it begins (its read snapshot). Touches nothing of `ctx` but
    where the database is and its key; the caller hands the result to record_check on the
    thread that owns `ctx`."""
    engine = make_engine(ctx.paths.database, ctx.protection.key, read_only="a check")
    try:
        return quick_check(engine)
    finally:
        engine.dispose()


def read_only_reason(backups: Any, problems: list[str]) -> str:
    return (
        f"The database failed its integrity check ({problems[0]}), so it is open read-only: "
        "nothing can be recorded and nothing was repaired or deleted. Keep the file as "
        f"evidence and ask your administrator to {restore_hint(backups)}."
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


def warnings(ctx: AppContext, chain: ChainReport | None = None) -> list[str]:
    """What the tray (a warning icon and menu line) and `doctor` must tell the user about how
    the data is kept; empty when all is well. `chain`: the audit check already made (else
    it is made here: the whole chain, as at every tray start)."""
    from ccm_timer.services.security import audit, backups, keys, lost_commits

    found: list[str] = []
    if ctx.read_only:
        found.append(ctx.read_only)
    if chain is None and ctx.read_only is None:  # a damaged file: said above, read no more
        chain = audit.check(ctx)
    broken = audit.broken_warning(chain) if chain is not None else None
    if broken:
        found.append(broken)
    lost = lost_commits.warning(ctx.paths)
    if lost:
        found.append(lost)
    found += ctx.notices
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


def month_rollup_check(ctx: AppContext) -> tuple[bool, str | None]:
    """`doctor`: the month rollup (issue 18) counted again from the entries in the clinic's
    zone; one out of step is rebuilt. (checked, what was wrong and repaired or None);
    not checked on a database only read."""
    from ccm_timer.store import month_rollup

    if ctx.read_only is not None:
        return False, None
    zone = ctx.zone
    with ctx.write() as session:
        return True, month_rollup.check_and_repair(session.connection(), zone, ctx.now())


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
