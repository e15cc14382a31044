"""`export --month YYYY-MM --format ehr-text|csv|json|fhir|pdf [--patient MRN] [--out FILE]
[--draft] [--approved-only] [--send TARGET]`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ccm_timer.cli import secret
from ccm_timer.cli.args import month_arg
from ccm_timer.cli.lazy import lazy
from ccm_timer.cli.output import emit_json
from ccm_timer.core.access import Action  # a plain enum: nothing else is loaded
from ccm_timer.exports.formats import BILLING_FORMATS, FORMATS  # no renderer is loaded

if TYPE_CHECKING:  # SQLAlchemy is not imported on the command line's fast path
    from ccm_timer.services.context import AppContext

exports = lazy("ccm_timer.services.exports")
access = lazy("ccm_timer.services.people.access")


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "export", parents=[common], help="EHR notes or billing files for a month",
        description="Write the month's notes (ehr-text) or billing file (csv, json, fhir, "
        "pdf). Billing files carry approved patient-months only, unless --draft.",
    )
    p.add_argument("--month", type=month_arg, required=True, help="YYYY-MM")
    p.add_argument("--format", required=True, choices=FORMATS, metavar="FORMAT",
                   help="ehr-text, csv, json, fhir or pdf")
    p.add_argument("--patient", help="one patient's MRN")
    p.add_argument("--out", help="the file to write, or - for standard output "
                   "(default: a file in the data folder's exports folder)")
    p.add_argument("--draft", action="store_true",
                   help="include patient-months not approved yet; every line is marked draft")
    p.add_argument("--approved-only", action="store_true",
                   help="approved patient-months only, for notes and drafts too (a billing "
                   "file always is)")
    p.add_argument("--send", metavar="TARGET", help="also queue the export for this target")
    p.add_argument("--as", dest="actor", metavar="NAME", help="who exports (default: the "
                   "person signed in at the tray, else the default clinician); for a "
                   "billing file their password is asked, on the terminal or as one line "
                   "of standard input, never as an argument; not for notes or drafts")
    p.set_defaults(handler=export)


def _exporter(ctx: AppContext, args):
    """A billing file's exporter, proven by their password now; for notes and drafts the
    person named or signed in at the tray (None: the default clinician), never asked."""
    if args.format in BILLING_FORMATS and not args.draft:
        return secret.attest(ctx, args.actor, Action.EXPORT)
    who = args.actor or access.tray_person(ctx)
    return access.named(ctx, who) if who else None


def export(ctx: AppContext, args) -> None:
    to_stdout = args.out == "-"
    out = None if to_stdout or not args.out else Path(args.out).expanduser()
    result = exports.export_month(ctx, args.month, args.format, mrn=args.patient,
                                  draft=args.draft, send=args.send, out=out,
                                  to_stdout=to_stdout, by=_exporter(ctx, args),
                                  approved_only=args.approved_only)
    if to_stdout:
        sys.stdout.buffer.write(result.content)
        sys.stdout.flush()
        return
    if args.json:
        emit_json({"export": str(result.export_id), "format": result.fmt,
                   "month": result.month, "path": str(result.path) if result.path else None,
                   "sha256": result.sha256,
                   "draft": result.draft, "amendment": result.amendment,
                   "patients": result.patients, "lines": result.lines,
                   "left_out": result.left_out, "queued_to": result.queued_to})
        return
    print(result.sentence())
