"""`audit verify` and `doctor`."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from ccm_timer.cli.lazy import lazy
from ccm_timer.cli.output import emit_json

if TYPE_CHECKING:  # SQLAlchemy is not imported on the command line's fast path
    from ccm_timer.services.context import AppContext

audit = lazy("ccm_timer.services.security.audit")


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("audit", help="check the audit trail")
    asub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    v = asub.add_parser("verify", parents=[common], help="verify the whole hash chain")
    v.set_defaults(handler=audit_verify)
    p = sub.add_parser("doctor", parents=[common], help="where the data is and how it is kept")
    p.set_defaults(handler=doctor)


def audit_verify(ctx: AppContext, args) -> None:
    with ctx.read() as session:
        report = audit.verify(session)
    if args.json:
        emit_json({"ok": report.ok, "events": report.events, "head": report.head,
                   "broken_seq": report.broken_seq, "problem": report.problem})
    elif report.ok:
        print(f"Audit trail intact: {report.events} events, head {report.head[:16]}.")
    else:
        print(f"Audit trail BROKEN at event {report.broken_seq}: {report.problem}. "
              "Keep this database as evidence and contact your administrator.",
              file=sys.stderr)
    if not report.ok:
        raise SystemExit(1)


def doctor(ctx: AppContext, args) -> None:
    from ccm_timer.services.security import backups, integrity

    with ctx.read() as session:
        report = audit.verify(session)
    protection = ctx.protection
    record = protection.record
    newest = backups.latest(ctx.paths.backups)
    quick = integrity.quick_check(ctx.engine)
    macs = integrity.cipher_check(ctx.engine)
    exported, anchors = integrity.export_anchors(ctx)
    info = {
        "data_folder": str(ctx.paths.data),
        "database": str(ctx.paths.database),
        "settings": str(ctx.paths.settings_file),
        "logs": str(ctx.paths.logs),
        "outbox": str(ctx.paths.outbox),
        "backups": str(ctx.paths.backups),
        "workstation": ctx.workstation,
        "clinic_timezone": ctx.settings.clinic_timezone,
        "sqlite_version": ctx.pragmas.get("sqlite_version"),
        "sqlcipher_version": ctx.pragmas.get("sqlcipher_version"),
        "pragmas": {k: ctx.pragmas.get(k) for k in
                    ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")},
        "encryption": {
            "encrypted": protection.encrypted,
            "key_kept_in": protection.kept_in,
            "key_where": protection.where,
            "database_id": record.database_id if record else None,
            "recovery_key_shown": record.recovery_key_shown if record else None,
            "cipher": integrity.cipher_settings(ctx.engine),
        },
        "integrity": {"read_only": ctx.read_only, "quick_check": quick or "ok",
                      "cipher_integrity_check": macs or ("ok" if protection.encrypted
                                                         else None)},
        "last_backup": {"path": str(newest.path), "taken": newest.taken.isoformat()}
        if newest else None,
        "audit_chain": {"ok": report.ok, "events": report.events,
                        "broken_seq": report.broken_seq, "head": report.head,
                        "exports_checked": exported, "export_anchors_missing": anchors},
        "warnings": integrity.warnings(ctx) + anchors,
    }
    if args.json:
        emit_json(info)
        return
    print(f"Data folder:      {info['data_folder']}")
    print(f"Database:         {info['database']}")
    print(f"Settings:         {info['settings']}")
    print(f"Workstation:      {info['workstation']}")
    print(f"Clinic time zone: {info['clinic_timezone']}")
    print(f"SQLite:           {info['sqlite_version']} (SQLCipher {info['sqlcipher_version']})")
    p = info["pragmas"]
    print(f"Pragmas:          journal_mode={p['journal_mode']} synchronous={p['synchronous']} "
          f"(2 = FULL) foreign_keys={p['foreign_keys']} busy_timeout={p['busy_timeout']} ms")
    if protection.encrypted:
        cipher = info["encryption"]["cipher"]
        print("Encryption:       on (SQLCipher: AES-256 pages, "
              f"{cipher.get('cipher_hmac_algorithm', 'HMAC')} per page, "
              f"page size {cipher.get('cipher_page_size', '?')})")
        print(f"Key kept in:      {protection.where}")
        if record is not None:
            shown = "shown once" if record.recovery_key_shown else \
                "NOT written down yet: run `ccm-timer unlock --show-recovery-key`"
            print(f"Recovery key:     {shown}")
    else:
        print(f"Encryption:       OFF: the key is kept {protection.where}")
    state = "ok" if not quick else f"FAILED ({quick[0]})"
    if protection.encrypted:
        state += ", page MACs ok" if not macs else f", page MACs FAILED ({macs[0]})"
    print(f"Integrity:        {state}" + ("; open READ-ONLY" if ctx.read_only else ""))
    if newest:
        print(f"Last backup:      {newest.path} "
              f"({newest.taken.strftime('%Y-%m-%d %H:%M')} UTC)")
    else:
        print("Last backup:      none yet (a daily one is taken automatically)")
    chain = "intact" if report.ok else f"BROKEN at event {report.broken_seq}"
    print(f"Audit chain:      {chain}, {report.events} events, head {report.head[:16]}; "
          f"{exported - len(anchors)} of {exported} export(s) anchored")
    for line in info["warnings"]:
        print(f"Warning:          {line}")
