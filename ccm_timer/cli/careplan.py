"""`careplan` commands: a patient's problems, goals and interventions, and their reviews."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from ccm_timer.cli import audit, secret
from ccm_timer.cli.lazy import lazy
from ccm_timer.cli.output import emit_json, local, neutralise
from ccm_timer.core.access import Action  # a plain enum: nothing else is loaded

if TYPE_CHECKING:  # SQLAlchemy is not imported on the command line's fast path
    from ccm_timer.services.context import AppContext

care_plan = lazy("ccm_timer.services.people.care_plan")

HEADINGS = {"problem": "Problems", "goal": "Goals", "intervention": "Interventions"}
SHORT_ID = 13  # as `entry list`; longer where two shown ids would share it


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    plan = sub.add_parser("careplan", help="the care plan: problems, goals, interventions, "
                          "reviews")
    psub = plan.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = psub.add_parser("add", parents=[common], help="add a problem, goal or intervention")
    p.add_argument("--mrn", required=True)
    p.add_argument("--kind", required=True, metavar="problem|goal|intervention")
    p.add_argument("--text", required=True, help="what it is, in the clinician's words")
    p.add_argument("--condition", metavar="CODE",
                   help="the ICD-10-CM code (on the patient's condition list) it addresses")
    p.add_argument("--as", dest="as_name", metavar="NAME",
                   help="the clinician who decided it (name or id; default: the person "
                   "signed in at the tray, else the default clinician)")
    p.set_defaults(handler=careplan_add)
    p = psub.add_parser("review", parents=[common], help="record a review of the whole plan")
    p.add_argument("--mrn", required=True)
    p.add_argument("--as", dest="as_name", metavar="NAME",
                   help="the clinician who reviewed it (default: the person signed in at "
                   "the tray, else the default clinician)")
    p.add_argument("--substantial", action="store_true",
                   help="the plan was substantially revised (complex CCM counts it)")
    p.set_defaults(handler=careplan_review)
    p = psub.add_parser("show", parents=[common], help="show the current plan and last review")
    p.add_argument("--mrn", required=True)
    p.add_argument("--history", action="store_true", help="ended items too")
    p.set_defaults(handler=careplan_show)
    p = psub.add_parser("end", parents=[common],
                        help="end an item (met, resolved, stopped); it stays in the history")
    p.add_argument("--id", dest="item_id", required=True, help="the item's id or its start, "
                   "as `careplan show` prints it")
    p.add_argument("--reason", required=True)
    p.add_argument("--as", dest="as_name", metavar="NAME",
                   help="the clinician who ended it (default: the person signed in at the "
                   "tray, else the default clinician)")
    p.set_defaults(handler=careplan_end)


def _short_ids(items) -> dict[str, str]:
    """Each id cut to SHORT_ID characters, or as long as it takes to tell them apart."""
    ids = [str(i.id) for i in items]
    out = {}
    for one in ids:
        n = SHORT_ID
        while n < len(one) and any(o != one and o[:n] == one[:n] for o in ids):
            n += 1
        out[one] = one[:n]
    return out


def _item_line(ctx: AppContext, item, short: str) -> str:
    link = f"[{item.condition_code}] " if item.condition_code else ""
    line = (f"  {link}{neutralise(item.text)}  ({local(item.created_at, ctx.zone)[:10]}, "
            f"{neutralise(item.created_by)}; id {short})")
    if item.ended_at is not None:
        line += (f"  ended {local(item.ended_at, ctx.zone)[:10]} by "
                 f"{neutralise(item.ended_by or '')}: {neutralise(item.end_reason or '')}")
    return line


def _print_plan(ctx: AppContext, mrn: str, plan, items) -> None:
    shorts = _short_ids(items)
    if not items:
        print(f"{mrn} has no care plan; add to it with `ccm-timer careplan add --mrn {mrn} "
              "--kind problem ...`.")
    for kind, heading in HEADINGS.items():
        these = [i for i in items if i.kind == kind]
        if these:
            print(f"{heading}:")
            for item in these:
                print(_item_line(ctx, item, shorts[str(item.id)]))
    if plan.reviewed_at is None:
        print("Last review: never reviewed.")
    else:
        print(f"Last review: {local(plan.reviewed_at, ctx.zone)} by "
              f"{neutralise(plan.reviewed_by or '')}"
              + (" (substantial revision)" if plan.substantial else "") + ".")


def careplan_add(ctx: AppContext, args) -> None:
    by = secret.acting_signer(ctx, args.as_name, Action.RECORD)
    item = care_plan.add(ctx, args.mrn, args.kind, args.text, condition=args.condition,
                         actor=str(by.id))
    if args.json:
        emit_json(item.to_dict())
    else:
        link = f" for {item.condition_code}" if item.condition_code else ""
        print(f"Added {item.kind}{link} to {args.mrn.strip()}'s care plan, by "
              f"{item.created_by} (id {item.id}).")
    if item.notice:
        print(f"Note: {item.notice}", file=sys.stderr)


def careplan_review(ctx: AppContext, args) -> None:
    by = secret.acting_signer(ctx, args.as_name, Action.RECORD)
    plan = care_plan.review(ctx, args.mrn, as_name=str(by.id), substantial=args.substantial)
    if args.json:
        emit_json(plan.to_dict())
    else:
        kind = "substantial revision" if plan.substantial else "review"
        print(f"Recorded a {kind} of {args.mrn.strip()}'s care plan by {plan.reviewed_by}, "
              f"{local(plan.reviewed_at, ctx.zone)}.")


def careplan_show(ctx: AppContext, args) -> None:
    plan = care_plan.show(ctx, args.mrn)
    audit.read(ctx, "PATIENT", mrn=args.mrn, detail="care plan")
    items = care_plan.history(ctx, args.mrn) if args.history else list(plan.items)
    if args.json:
        data = plan.to_dict()
        if args.history:
            data["history"] = [i.history_dict() for i in items]
        emit_json(data)
        return
    _print_plan(ctx, args.mrn.strip(), plan, items)


def careplan_end(ctx: AppContext, args) -> None:
    by = secret.acting_signer(ctx, args.as_name, Action.RECORD)
    item = care_plan.end(ctx, args.item_id, args.reason, actor=str(by.id))
    if args.json:
        emit_json(item.history_dict())
    else:
        print(f"Ended the {item.kind} {neutralise(item.text)!r}, by {item.ended_by}.")
