"""`audit verify` and `doctor`."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from ccm_timer.cli.args import group
from ccm_timer.cli.lazy import lazy
from ccm_timer.cli.output import emit_json

if TYPE_CHECKING:  # SQLAlchemy is not imported on the command line's fast path
    from ccm_timer.services.context import AppContext

audit = lazy("ccm_timer.services.security.audit")


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    asub = group(sub, "audit", "check and review the audit trail")
    v = asub.add_parser("verify", parents=[common], help="verify the whole hash chain")
    v.set_defaults(handler=audit_verify)
    p = sub.add_parser("doctor", parents=[common], help="where the data is and how it is kept")
    p.set_defaults(handler=doctor)


def audit_verify(ctx: AppContext, args) -> None:
    report = audit.check(ctx)  # the chain, every entry's evidence hash, the head kept outside
    if args.json:
        emit_json({"ok": report.ok, "events": report.events, "head": report.head,
                   "broken_seq": report.broken_seq, "problem": report.problem})
    elif report.ok:
        print(f"Audit trail intact: {report.events} events, head {report.head[:16]}.")
    else:
        print(f"Audit trail BROKEN{report.where()}: {report.problem}. "
              "Keep this database as evidence and contact your administrator.",
              file=sys.stderr)
    if not report.ok:
        raise SystemExit(1)


def doctor(ctx: AppContext, args) -> None:
    from ccm_timer.errors import DatabaseError
    from ccm_timer.services.security import backups, integrity, lost_commits

    quick = integrity.quick_check(ctx.engine)
    macs = integrity.cipher_check(ctx.engine)
    integrity.record_check(ctx, quick + macs)  # a failure: read-only, never vouched for
    try:
        report = audit.check(ctx)
    except DatabaseError:  # a damaged page under the trail: doctor still reports the rest
        report = audit.ChainReport(0, audit.GENESIS, None, "the audit trail cannot be read "
                                   "from the damaged database")
    protection = ctx.protection
    record = protection.record
    newest = backups.latest(ctx.paths.backups)
    exported, anchors = integrity.export_anchors(ctx)
    totals_checked, totals_repaired = integrity.month_rollup_check(ctx)
    lost = lost_commits.warning(ctx.paths)
    failed = bool(quick or macs or ctx.read_only or lost or anchors or not report.ok)
    info: dict[str, Any] = {
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
                        "broken_seq": report.broken_seq, "problem": report.problem,
                        "head": report.head,
                        "exports_checked": exported, "export_anchors_missing": anchors},
        "committed_work_missing": lost,
        "month_totals": {"checked": totals_checked, "repaired": totals_repaired},
        "warnings": integrity.warnings(ctx, chain=report) + anchors,
        "ok": not failed,
    }
    if args.json:
        emit_json(info)
        if failed:
            raise SystemExit(1)
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
    print("Committed work:   " + ("FAILED (some may be missing; see the warning)" if lost
                                  else "ok (every acknowledged commit is in the database)"))
    if newest:
        print(f"Last backup:      {newest.path} "
              f"({newest.taken.strftime('%Y-%m-%d %H:%M')} UTC)")
    else:
        print("Last backup:      none yet (a daily one is taken automatically)")
    chain = "intact" if report.ok else f"BROKEN{report.where()}"
    print(f"Audit chain:      {chain}, {report.events} events, head {report.head[:16]}; "
          f"{exported - len(anchors)} of {exported} export(s) anchored")
    if totals_repaired:
        print(f"Month totals:     REPAIRED: {totals_repaired}")
    elif totals_checked:
        print("Month totals:     ok (the totals kept for the month report match the entries)")
    for line in info["warnings"]:
        print(f"Warning:          {line}")
    if failed:
        raise SystemExit(1)  # any failure above: a script or a scheduler must see it
