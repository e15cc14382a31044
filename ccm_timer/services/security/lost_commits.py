"""Committed work that is no longer in the database (store/commit_ledger.py says how it is
noticed: a -wal file deleted or cut short after an unclean end, an older copy put in place
of the database by hand).

Found at an open, the loss is written to `ccm-timer.lost-commits` beside the database, so
every later command, the tray and `doctor` keep saying so until a backup is restored
(`ccm-timer restore`) or a person who has checked removes that file.
"""

from __future__ import annotations

from datetime import UTC
from pathlib import Path
from typing import TYPE_CHECKING

from ccm_timer import fsio
from ccm_timer.paths import AppPaths
from ccm_timer.store import commit_ledger

if TYPE_CHECKING:  # services/context.py opens through this module
    from ccm_timer.services.context import AppContext

NOTICE = "ccm-timer.lost-commits"


def notice_path(paths: AppPaths) -> Path:
    return paths.data / NOTICE


def check(ctx: AppContext, expected: int | None) -> None:
    """At an open, before this session writes: is every acknowledged commit still there?
    `expected` is the ledger read before the database's own number (ctx.pragmas, read as
    the database opened), so a commit another process makes meanwhile only raises that."""
    database = ctx.paths.database
    found = int(ctx.pragmas.get("user_version") or 0)
    if expected is None or found >= expected:
        return
    stamp = ctx.now().astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    try:
        fsio.write_atomic(notice_path(ctx.paths), f"{stamp}\n{expected - found}\n".encode(),
                          mode=0o600)
    except OSError:  # a full disk: say it now at least
        ctx.notices.append(_sentence(ctx.paths, stamp, str(expected - found)))
    commit_ledger.write(database, found)  # the loss is on record; count on from here


def warning(paths: AppPaths) -> str | None:
    """The sentence for the tray, the command line and `doctor`, while the notice is there."""
    try:
        stamp, count = notice_path(paths).read_text(encoding="utf-8").splitlines()[:2]
    except (OSError, ValueError):
        return None
    return _sentence(paths, stamp, count)


def _sentence(paths: AppPaths, stamp: str, count: str) -> str:
    return (f"Committed work may be missing: {count} commit(s) acknowledged earlier were not "
            f"in the database when it was opened at {stamp} (its -wal file was deleted or cut "
            "short after CCM Timer did not close cleanly, or an older copy replaced it); "
            f"restore the latest backup with `ccm-timer restore`, or, once you have checked "
            f"that nothing is missing, delete {notice_path(paths)}.")


def clear(paths: AppPaths) -> None:
    notice_path(paths).unlink(missing_ok=True)
