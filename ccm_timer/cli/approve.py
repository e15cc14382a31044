"""`approve --month YYYY-MM [--patient MRN] [--as NAME] [--list]`: month close, the
practitioner's attestation: their password is asked each time (issue 16)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ccm_timer.cli import secret
from ccm_timer.cli.args import month_arg
from ccm_timer.cli.lazy import lazy
from ccm_timer.cli.output import emit_json, local, table
from ccm_timer.core.access import Action  # a plain enum: nothing else is loaded
from ccm_timer.core.collation import name_key

if TYPE_CHECKING:  # SQLAlchemy is not imported on the command line's fast path
    from ccm_timer.services.context import AppContext

approvals = lazy("ccm_timer.services.month.approvals")


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "approve", parents=[common], help="approve a month's time for billing (month close)",
        description="The billing practitioner approves each patient's month; billing files "
        "carry approved months only. A later change reopens the patient's month.",
    )
    p.add_argument("--month", type=month_arg, required=True, help="YYYY-MM")
    p.add_argument("--patient", help="one patient's MRN (default: every patient of the month)")
    p.add_argument("--as", dest="approver", metavar="NAME",
                   help="the approving practitioner (default: the person signed in at the "
                   "tray, else the default clinician); their password is asked, on the "
                   "terminal or as one line of standard input, never as an argument")
    p.add_argument("--list", action="store_true", help="show each patient's approval; "
                   "approve nothing")
    p.set_defaults(handler=approve)


def approve(ctx: AppContext, args) -> None:
    if args.list:
        states = approvals.states(ctx, args.month, args.patient)
    else:
        by = secret.attest(ctx, args.approver, Action.APPROVE)
        states = approvals.approve(ctx, args.month, args.patient, by=by)
    if args.json:
        emit_json([s.to_dict() for s in states])
        return
    if not args.list:
        left = "".join(f"; {count} left for {name}" for name, count in sorted(
            states.left.items(), key=lambda item: name_key(item[0])))
        print(f"Approved {len(states)} patient month(s) of {args.month} as {by.name}{left}.")
        return
    if not states:
        print(f"No patient has time or an enrollment in {args.month}.")
        return
    table(["MRN", "NAME", "STATE", "BY", "AT", "CHANGES"],
          [[s.mrn, s.name, s.status, s.approved_by or "", local(s.approved_at, ctx.zone),
            len(s.changes) or ""] for s in states])
