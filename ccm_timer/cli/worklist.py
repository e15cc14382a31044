"""`worklist [--month YYYY-MM] [--care-manager NAME] [--program P] [--json]`: who needs time
this month, most minutes needed per day left first (services/month/worklist.py); first whose
minutes it counts (as `report` says it), in JSON the "scope" field."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ccm_timer.cli import audit
from ccm_timer.cli.args import month_arg
from ccm_timer.cli.lazy import lazy
from ccm_timer.cli.output import emit_json, table
from ccm_timer.cli.report import scope_line, scope_read
from ccm_timer.errors import UserError

if TYPE_CHECKING:  # SQLAlchemy is not imported on the command line's fast path
    from ccm_timer.services.context import AppContext

service = lazy("ccm_timer.services.month.worklist")


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("worklist", parents=[common],
                       help="who needs time this month: minutes still needed against the "
                       "days left")
    p.add_argument("--month", type=month_arg, help="YYYY-MM (default: this month)")
    p.add_argument("--care-manager", metavar="NAME",
                   help="only this care manager's patients (none: patients without one)")
    p.add_argument("--program", help="only one program: CCM, PCM, BHI, RPM, ... (a wrong "
                   "name lists them all)")
    p.set_defaults(handler=show)


def _program(text: str | None) -> str | None:
    if text is None:
        return None
    # The programs as stored (store.models.Program, as services/month/trends.py reads them),
    # imported here: building the parser stays free of the ORM (the fast path).
    from ccm_timer.store.models import Program

    programs = tuple(p.value for p in Program)
    wanted = text.strip().upper()
    if wanted not in programs:
        raise UserError(f"No program is called {text.strip()!r}; use one of "
                        f"{', '.join(programs)}.")
    return wanted


def show(ctx: AppContext, args) -> None:
    program = _program(args.program)
    covers = scope_read(ctx)
    wl = service.worklist(ctx, args.month)
    manager = (service.find_care_manager(wl, args.care_manager)
               if args.care_manager else None)
    rows = wl.filtered(manager, program)
    # Recorded before anything is shown: the list names patients and their minutes.
    audit.read(ctx, "REPORT", month=wl.month, detail="worklist")
    if args.json:
        emit_json({**wl.to_dict(rows), "scope": covers})
        return
    print(scope_line(covers))
    left = f"{wl.days_left} day{'s' if wl.days_left != 1 else ''} left" if wl.days_left else (
        "the month is over")
    print(f"Worklist {wl.month} ({wl.zone}): {left}")
    if not rows:
        print("Nobody on the worklist" + (" with these filters." if len(wl.rows) else "."))
        return
    table(["MRN", "NAME", "PROGRAM", "MIN", "NEXT", "NEEDS", "PER DAY", "CONTACT",
           "CARE MANAGER", "CLAIM"],
          [[r.mrn, r.display_name, r.program, f"{r.minutes}/{r.threshold_minutes}",
            r.code + (" (practitioner)" if r.practitioner_only else ""),
            f"{r.minutes_needed} min", f"{r.per_day(wl.days_left):.1f}",
            "none yet" if r.no_contact else "", r.care_manager or "",
            f"held: {r.hold_reason}" if r.held else ""] for r in rows])
    short = len({r.mrn for r in service.short_of_first_code(rows)})
    print(f"{short} patient(s) short of a first code; the others could earn more.")
