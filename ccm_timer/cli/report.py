"""`report --month YYYY-MM [--patient MRN] [--json | --csv]`: first whose minutes it counts
(services/delivery/hub_scope.py words it, for the windows too); in JSON the "scope" field.
`worklist` says it the same way, with this module's scope_* functions."""

from __future__ import annotations

import argparse
import csv
import sys
from typing import TYPE_CHECKING, Any

from ccm_timer.cli import audit
from ccm_timer.cli.args import month_arg
from ccm_timer.cli.lazy import lazy
from ccm_timer.cli.output import emit_json, table

if TYPE_CHECKING:  # SQLAlchemy is not imported on the command line's fast path
    from ccm_timer.services.context import AppContext

report = lazy("ccm_timer.services.month.report")
hub_scope = lazy("ccm_timer.services.delivery.hub_scope")
FROM_HUB = "All workstations, read from the clinic hub now"

CSV_COLUMNS = ["mrn", "name", "staff_minutes", "practitioner_minutes", "codes", "held",
               "next_code", "minutes_needed", "warnings"]


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("report", parents=[common],
                       help="minutes, billing codes and next thresholds for a month")
    p.add_argument("--month", type=month_arg, required=True, help="YYYY-MM")
    p.add_argument("--patient", help="one patient's MRN")
    p.add_argument("--csv", action="store_true", help="print CSV")
    p.add_argument("--hub", metavar="TARGET",
                   help="report from the clinic hub (a hub target): every workstation's time")
    p.set_defaults(handler=show, quick=_via_tray)


def _via_tray(args) -> bool:
    """Done by the running tray from its open database (ui/cli_channel.py), True; a hub's
    report never is: the network is the command line's to wait for, not the tray's."""
    if args.hub:
        return False
    from ccm_timer.cli import tray_channel  # loaded by the commands that use it

    return tray_channel.through_tray(args)


def scope_read(ctx: AppContext) -> dict[str, Any]:
    """Whose minutes the figures count; read before them, so never newer than they are."""
    found = hub_scope.scope(ctx)
    return {"label": found.label, "all_workstations": found.all_workstations,
            "hub": found.target, "as_of": found.as_of.isoformat() if found.as_of else None}


def scope_line(scope: dict[str, Any]) -> str:
    """"Minutes from all workstations, as of 10:42." (worded by hub_scope.sentence)"""
    return str(hub_scope.sentence(scope["label"]))


def _codes(lines, held: bool) -> str:
    return " ".join(
        f"{line['code']}x{line['units']}" if line["units"] > 1 else line["code"]
        for line in lines if line["held"] == held
    )


def _next(patient: dict) -> tuple[str, int | str]:
    chosen = [n for n in patient["next"] if n.get("chosen")] or patient["next"]
    if not chosen:
        return "", ""
    best = min(chosen, key=lambda n: n["seconds_needed"])
    return best["code"], best["minutes_needed"]


def _rows(data: dict) -> list[list]:
    rows = []
    for p in data["patients"]:
        next_code, needed = _next(p)
        rows.append([
            p["mrn"], p["name"], p["minutes"].get("clinical_staff", 0),
            p["minutes"].get("practitioner", 0), _codes(p["lines"], False),
            _codes(p["lines"], True), next_code, needed,
            "; ".join(w["message"] for w in p["warnings"]),
        ])
    return rows


def _from_hub(ctx: AppContext, args) -> dict:
    from ccm_timer.errors import UserError
    from ccm_timer.services.delivery import hub, targets

    target = targets.get(ctx, args.hub)
    if target.kind != targets.TargetKind.HUB:
        raise UserError(f"The target {args.hub!r} is a {target.kind} target, not a hub; "
                        "see `ccm-timer target list`.")
    from ccm_timer.services.delivery import bundle_conflicts

    with hub.target_engine(ctx, target) as engine:
        data = report.month_report_on(
            engine, args.month, ctx.zone, ctx.now(), args.patient,
            other_time=ctx.settings.other_practitioner_time).to_dict()
        # Counted, not listed: the list is the billing office's (`hub conflicts`, audited).
        data["hub_conflicts"] = len(bundle_conflicts.on_hub(engine))
        return data


def show(ctx: AppContext, args) -> None:
    if args.hub:
        covers = {"label": FROM_HUB, "all_workstations": True, "hub": args.hub,
                  "as_of": ctx.now().isoformat()}  # the hub's own rows, read this moment
        data = _from_hub(ctx, args)
    else:
        covers = scope_read(ctx)
        data = report.month_report(ctx, args.month, args.patient).to_dict()
    # Recorded before anything is shown: a report names patients and their minutes.
    audit.read(ctx, "REPORT", month=data["month"], mrn=args.patient,
               detail="report from the hub" if args.hub else "report")
    if args.json:
        emit_json({**data, "scope": covers})
        return
    rows = _rows(data)
    if args.csv:  # a table for a spreadsheet: nothing before its header
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        writer.writerows(rows)
        return
    print(scope_line(covers))
    waiting = data.get("hub_conflicts", 0)
    if waiting:  # a conflict may change whose minutes count: never left unsaid
        many = waiting != 1
        print(f"{waiting} conflict{'s' if many else ''} on the clinic hub "
              f"wait{'' if many else 's'} for the billing office: see "
              "`ccm-timer hub conflicts --as NAME`.")
    if not rows:
        print(f"No patient time or enrollments in {data['month']}.")
        return
    print(f"Month {data['month']} ({data['time_zone']}), rules {data['rules']['year']}")
    table(["MRN", "NAME", "STAFF", "PRACT", "CODES", "HELD", "NEXT", "NEEDS", "WARNINGS"],
          [[*r[:7], f"{r[7]} min" if r[7] != "" else "", str(len(r[8].split("; ")))
            if r[8] else ""] for r in rows])
    for p in data["patients"]:
        for w in p["warnings"]:
            print(f"  {p['mrn']}: {w['message']}")
    if data["program_level"]["seconds"]:
        print(f"Program-level oversight (not billed per patient): "
              f"{data['program_level']['minutes']} min")
