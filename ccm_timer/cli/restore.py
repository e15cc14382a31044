"""`restore BACKUP`: a verified backup in place of the database; the one there is moved
aside, never deleted. It runs before the usual open (the `quick` hook), because the usual
open is exactly what refuses a folder whose database is missing, empty or damaged."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from ccm_timer.cli.lazy import lazy
from ccm_timer.cli.output import emit_json
from ccm_timer.errors import UserError

if TYPE_CHECKING:  # SQLAlchemy is not imported on the command line's fast path
    from ccm_timer.services.context import AppContext

keys = lazy("ccm_timer.services.security.keys")


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("restore", parents=[common],
                       help="put a backup in place of the database (moved aside, not deleted)")
    p.add_argument("backup", help="the backup file (in the data folder's backups/, or a copy)")
    p.add_argument("--recovery-key", action="store_true",
                   help="open the backup with the recovery key (asked for; or one line on "
                   "standard input) instead of this folder's key, and keep it again")
    p.set_defaults(handler=_opened_by_quick, quick=restore)


def _opened_by_quick(ctx: AppContext, args) -> None:  # never called: the quick hook always answers
    raise UserError("This command cannot run here.")


def _folder_key(paths, prefs) -> bytes | None:
    """This folder's key, from where its record says; None when it has no record (then
    only an unencrypted backup opens, or --recovery-key is needed)."""
    if keys.load_record(paths) is None:
        return None
    return keys.unlock(paths, prefs, create=False).key


def restore(args) -> bool:
    from ccm_timer import paths as app_paths
    from ccm_timer.cli.security import _audit, _read_recovery_key
    from ccm_timer.services import settings as settings_file
    from ccm_timer.services.context import open_app
    from ccm_timer.services.security import restore as restoring

    where = app_paths.resolve(args.data_dir)
    try:
        where.ensure()
    except OSError as exc:
        raise UserError(f"Cannot use the data folder {where.data} ({exc.strerror}); check "
                        "--data-dir.") from None
    if args.recovery_key:
        try:
            key = keys.parse_recovery_key(_read_recovery_key())
        except ValueError as exc:
            raise UserError(f"That is not a recovery key: {exc}. Nothing was changed.") from None
    else:
        key = _folder_key(where, settings_file.load(where.settings_file))
    done = restoring.restore(where, key, Path(args.backup))
    if args.recovery_key and key is not None:
        keys.restore(where, key)  # kept in the keyring again, as `unlock --recovery-key` does
    ctx = open_app(args.data_dir)
    try:
        _audit(ctx, "database.restore", {"from": done.source.name,
                                         "moved_aside": done.aside.name if done.aside else None})
    finally:
        ctx.close()
    if args.json:
        emit_json({"restored_from": str(done.source), "audit_events": done.audit_events,
                   "moved_aside": str(done.aside) if done.aside else None})
        return True
    aside = (f"the database that was here is kept as {done.aside}" if done.aside
             else "there was no database here")
    print(f"Restored the database from {done.source} (verified; {done.audit_events} audit "
          f"events); {aside}.")
    return True
