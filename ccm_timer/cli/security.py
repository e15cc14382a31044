"""`unlock`, `encrypt` and `backup`: the database key, encryption at rest, and backups.

`unlock` and `encrypt` open the database themselves (through the `quick` hook), because the
usual open is exactly what fails when the key is lost or the database is not encrypted yet.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from ccm_timer.cli.lazy import lazy
from ccm_timer.cli.output import emit_json
from ccm_timer.errors import UserError

if TYPE_CHECKING:  # SQLAlchemy is not imported on the command line's fast path
    from ccm_timer.services.context import AppContext

backups = lazy("ccm_timer.services.security.backups")
keys = lazy("ccm_timer.services.security.keys")

WRITE_IT_DOWN = (
    "Recovery key for the database in {folder}. Write it down now and keep it away from this "
    "computer: it is shown only this once, and if the keyring entry is ever lost it is the "
    "only way to open the database and its backups (`ccm-timer unlock --recovery-key`)."
)


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("unlock", parents=[common],
                       help="put the database key back from the recovery key, or show it")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--recovery-key", action="store_true",
                       help="type the recovery key (asked for; or one line on standard input)")
    which.add_argument("--show-recovery-key", action="store_true",
                       help="print this database's recovery key, to write it down")
    p.set_defaults(handler=_opened_by_quick, quick=unlock)
    p = sub.add_parser("encrypt", parents=[common],
                       help="encrypt an unencrypted database and its backups, in place")
    p.add_argument("--off", action="store_true",
                   help="instead, keep this data folder unencrypted on purpose (not advised)")
    p.set_defaults(handler=_opened_by_quick, quick=encrypt)
    p = sub.add_parser("backup", parents=[common],
                       help="back up the database (encrypted with its key, and verified)")
    p.add_argument("--out", help="the file to write (default: a new file in the backups folder)")
    p.set_defaults(handler=backup)


def _opened_by_quick(ctx: AppContext, args) -> None:  # never called: the quick hook always answers
    raise UserError("This command cannot run here.")


def show_recovery_key(folder, recovery_key: str) -> None:
    print(WRITE_IT_DOWN.format(folder=folder), file=sys.stderr)
    print(f"\n    {recovery_key}\n", file=sys.stderr)


def notices(ctx: AppContext) -> None:
    """After a command opened the database: say it is read-only, that committed work may be
    missing, or that today's backup was skipped; and show a new database's recovery key
    once, on a terminal only (never into a log or a pipe)."""
    from ccm_timer.services.security import lost_commits

    lost = lost_commits.warning(ctx.paths)
    for line in [ctx.read_only, lost, *ctx.notices]:
        if line:
            print(f"ccm-timer: warning: {line}", file=sys.stderr)
    pending = keys.pending_recovery_key(ctx)
    if pending and sys.stderr.isatty():
        show_recovery_key(ctx.paths.data, pending)
        keys.recovery_key_was_shown(ctx)


def _read_recovery_key() -> str:
    if sys.stdin.isatty():
        import getpass

        return getpass.getpass("Recovery key: ")
    return sys.stdin.readline()


def unlock(args) -> bool:
    from ccm_timer.services.context import open_app

    if args.show_recovery_key:
        ctx = open_app(args.data_dir)
        try:
            text = ctx.protection.recovery_key()
            if text is None:
                raise UserError("The database is not encrypted, so it has no recovery key; "
                                "run `ccm-timer encrypt` first.")
            if args.json:
                emit_json({"recovery_key": text, "data_folder": str(ctx.paths.data)})
            else:
                print(WRITE_IT_DOWN.format(folder=ctx.paths.data).replace(
                    " it is shown only this once, and", ""))
                print(f"\n    {text}\n")
            keys.recovery_key_was_shown(ctx)
        finally:
            ctx.close()
        return True
    try:
        key = keys.parse_recovery_key(_read_recovery_key())
    except ValueError as exc:
        raise UserError(f"That is not a recovery key: {exc}. Nothing was changed.") from None
    from ccm_timer import paths as app_paths

    where = app_paths.resolve(args.data_dir)
    if not where.database.exists():
        raise UserError(f"There is no database in {where.data}; check --data-dir.")
    try:
        ctx = open_app(args.data_dir, key=key)
    except keys.KeyUnavailable:
        raise UserError(f"That recovery key does not open the database in {where.data}. "
                        "Nothing was changed; check what you wrote down.") from None
    try:
        from ccm_timer.services.security import audit, chain_anchor

        before = keys.Protection(key, record=keys.load_record(ctx.paths))
        try:  # the chain head kept beside the old key, if the keyring still has it
            kept = chain_anchor.read(ctx.paths, before)
        except chain_anchor.AnchorError:
            kept = None
        record = keys.restore(ctx.paths, key)
        if kept is not None:  # beside the new key from now on
            chain_anchor.write_quietly(ctx.paths, ctx.protection, kept)
            chain_anchor.forget(ctx.paths, before)
        with ctx.write() as session:
            audit.append(session, ctx=ctx, actor="admin", action="key.restore",
                         entity="database", entity_id=record.database_id,
                         after={"kept_in": record.kept_in, "backend": record.backend})
        chain_anchor.anchor_if_missing(ctx.paths, ctx.protection, ctx.engine)
    finally:
        ctx.close()
    print(f"The recovery key opened the database; its key is kept again in the system "
          f"keyring ({record.backend}), and CCM Timer opens as before.")
    return True


def encrypt(args) -> bool:
    from ccm_timer import paths as app_paths
    from ccm_timer.services import settings as settings_file
    from ccm_timer.services.context import open_app
    from ccm_timer.services.security import encryption

    where = app_paths.resolve(args.data_dir)
    where.ensure()
    prefs = settings_file.load(where.settings_file)
    if args.off:
        if keys.load_record(where) is not None:
            raise UserError("The database is already encrypted and stays so; CCM Timer does "
                            "not decrypt patient data. Nothing was changed.")
        settings_file.save(where.settings_file, _with(prefs, encryption="off"))
        if where.database.exists():
            ctx = open_app(args.data_dir)
            try:
                _audit(ctx, "encryption.off", {"encrypted": False})
            finally:
                ctx.close()
        print(f"Encryption is off for {where.data}: anyone who can read that folder can read "
              "the patient data in it. Run `ccm-timer encrypt` to encrypt it.")
        return True
    try:
        fresh = encryption.encrypt(
            where, prefs, show_recovery_key=lambda text: show_recovery_key(where.data, text))
    except OSError as exc:
        raise UserError(f"{exc.strerror or exc}: {exc.filename or where.data}; nothing was "
                        "lost (the original stays until the encrypted copy verifies). Free "
                        "space or fix the folder and try again.") from None
    if prefs.encryption == "off":
        settings_file.save(where.settings_file, _with(prefs, encryption="on"))
    ctx = open_app(args.data_dir)
    try:
        _audit(ctx, "database.encrypt", {"kept_in": fresh.kept_in,
                                         "backend": fresh.record.backend or None})
    finally:
        ctx.close()
    print(f"The database and its backups are now encrypted; the key is kept in {fresh.where}.")
    return True


def _with(prefs, **changes):
    from dataclasses import replace

    return replace(prefs, **changes)


def _audit(ctx: AppContext, action: str, after: dict) -> None:
    from ccm_timer.services.security import audit

    with ctx.write() as session:
        audit.append(session, ctx=ctx, actor="admin", action=action, entity="database",
                     entity_id=ctx.protection.record.database_id
                     if ctx.protection.record else "-", after=after)


def backup(ctx: AppContext, args) -> None:
    path = backups.take(ctx, args.out)
    if ctx.read_only is None:
        _audit(ctx, "database.backup", {"file": path.name})
    if args.json:
        emit_json({"path": str(path), "encrypted": ctx.protection.encrypted})
    else:
        state = "encrypted with the database key" if ctx.protection.encrypted else \
            "NOT encrypted, like the database"
        print(f"Backup written to {path} ({state}; verified).")
