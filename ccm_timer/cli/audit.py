"""`audit list`: the audit trail's events for an administrator to review, oldest first; and
`read`, the event every command that prints patient data leaves (HIPAA 164.312(b))."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ccm_timer.cli import secret
from ccm_timer.cli.args import group, month_arg
from ccm_timer.cli.lazy import lazy
from ccm_timer.cli.output import emit_json, table
from ccm_timer.errors import UserError

if TYPE_CHECKING:  # SQLAlchemy is not imported on the command line's fast path
    from ccm_timer.services.context import AppContext

audit_view = lazy("ccm_timer.services.security.audit_view")
audit_reads = lazy("ccm_timer.services.security.audit_reads")


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = group(sub, "audit", "check and review the audit trail").add_parser(
        "list", parents=[common], help="the trail's events, changes and reads, oldest first "
        "(administrators; itself recorded as a read)")
    p.add_argument("--month", type=month_arg, help="YYYY-MM: only events of that month "
                   "(clinic time)")
    p.add_argument("--person", help="only events by this person (their name)")
    p.add_argument("--patient", metavar="MRN", help="only events about this patient")
    p.add_argument("--as", dest="as_name", metavar="NAME",
                   help="an administrator's name; their password is asked for (needed once "
                   "the clinic has an administrator)")
    p.set_defaults(handler=audit_list)


def audit_list(ctx: AppContext, args) -> None:
    by = secret.admin(ctx, args.as_name)
    rows = audit_view.list_events(ctx, by, month=args.month, person=args.person,
                                  mrn=args.patient)
    locked = audit_view.locked_sign_ins(ctx)
    if args.json:
        emit_json({"month": args.month, "time_zone": str(ctx.zone),
                   "locked_sign_ins": [lock.to_dict() for lock in locked],
                   "events": [r.to_dict() for r in rows]})
        return
    for lock in locked:
        print(f"Sign-in locked: {lock.describe(ctx.zone)}")
    if not rows:
        print(f"No audit events{' in ' + args.month if args.month else ''}.")
        return
    table([c.upper() for c in audit_view.COLUMNS], [r.cells() for r in rows])
    print(f"{len(rows)} event(s), oldest first; times are {ctx.zone} time.")


def read(ctx: AppContext, kind: str, *, name: str | None = None, **about) -> bool:
    """Record that the acting person (--as, the tray's signed-in person, or the default
    clinician) read patient data; `kind` names a Read ("REPORT"); `about`: patient_id, mrn,
    month, detail. A workstation with no clinician yet records the read under the
    operating-system account alone (every read event names it)."""
    try:
        who = secret.acting(ctx, name)
    except UserError:
        who = "unknown"
    return audit_reads.record_read(ctx, who, audit_reads.Read[kind], **about)
