"""`audit verify` and `doctor`."""

from __future__ import annotations

import argparse
import sys

from ccm_timer.cli.lazy import lazy
from ccm_timer.cli.output import emit_json

audit = lazy("ccm_timer.services.audit")


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("audit", help="check the audit trail")
    asub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    v = asub.add_parser("verify", parents=[common], help="verify the whole hash chain")
    v.set_defaults(handler=audit_verify)
    p = sub.add_parser("doctor", parents=[common], help="where the data is and how it is kept")
    p.set_defaults(handler=doctor)


def audit_verify(ctx, args) -> None:
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


def doctor(ctx, args) -> None:
    with ctx.read() as session:
        report = audit.verify(session)
    info = {
        "data_folder": str(ctx.paths.data),
        "database": str(ctx.paths.database),
        "settings": str(ctx.paths.settings_file),
        "logs": str(ctx.paths.logs),
        "outbox": str(ctx.paths.outbox),
        "workstation": ctx.workstation,
        "clinic_timezone": ctx.settings.clinic_timezone,
        "sqlite_version": ctx.pragmas.get("sqlite_version"),
        "sqlcipher_version": ctx.pragmas.get("sqlcipher_version"),
        "pragmas": {k: ctx.pragmas.get(k) for k in
                    ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")},
        "audit_chain": {"ok": report.ok, "events": report.events,
                        "broken_seq": report.broken_seq},
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
    chain = "intact" if report.ok else f"BROKEN at event {report.broken_seq}"
    print(f"Audit chain:      {chain}, {report.events} events")
