"""`month-flag set|show`: the facts about a patient-month that time cannot show (complex
medical decision making, care plan established or revised, interactive contact), which
complex CCM (99487/99489) and RPM (99457/99458/99470) need. Written through the same
service as the tray's month-facts boxes, so the audit event is the same.

Who may attest: complex medical decision making is the billing practitioner's ("moderate-
or high-complexity medical decision making by the billing practitioner", CMS MLN909188), so
clinical staff may not set or clear it, nor another practitioner when the patient has a
billing practitioner on file. Clinical staff may revise a care plan (Noridian JE CCM Q&A:
an RN or LPN may revise and monitor the plan) and make RPM's interactive contact (staff,
physician or QHP, CY 2021 PFS final rule), so those two are anyone's. The service checks it
(services/month/month_flags.py); the clinician is the one named with --as, else the person
signed in at the tray, else the default clinician: no password is asked (issue 16).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ccm_timer.cli import secret
from ccm_timer.cli.args import group, month_arg
from ccm_timer.cli.lazy import lazy
from ccm_timer.cli.output import emit_json

if TYPE_CHECKING:  # SQLAlchemy is not imported on the command line's fast path
    from ccm_timer.services.context import AppContext

access = lazy("ccm_timer.services.people.access")
billing_rules = lazy("ccm_timer.services.month.billing_rules")
month_flags = lazy("ccm_timer.services.month.month_flags")

# The command line's spelling -> the service's field (month_flags.FLAG_NAMES).
FLAGS = {
    "complex-mdm": "complex_mdm",
    "care-plan-revised": "care_plan_revised",
    "interactive-contact": "interactive_contact",
}
# Used when the year has no rules file to describe the flags.
WORDS = {
    "complex_mdm": "moderate or high complexity medical decision making",
    "care_plan_revised": "a comprehensive care plan established or substantially revised",
    "interactive_contact": "a real-time interactive (audio or video) communication with the "
                           "patient or caregiver this month",
}


def flag_arg(text: str) -> str:
    name = text.strip().lower().replace("_", "-")
    if name not in FLAGS:
        raise argparse.ArgumentTypeError(
            f"there is no month flag {text!r}; use {', '.join(FLAGS)}")
    return FLAGS[name]


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    fsub = group(sub, "month-flag", "a patient-month's facts for complex CCM and RPM: "
                 "complex MDM, care plan revised, interactive contact")
    p = fsub.add_parser(
        "set", parents=[common], help="set (or with --off clear) a month flag, audited",
        description="Attest a fact about the patient's month. complex-mdm is the billing "
        "practitioner's own decision making (CMS MLN909188): clinical staff may not set it. "
        "A substantial care-plan review in the month counts as care-plan-revised without it.")
    p.add_argument("--mrn", required=True)
    p.add_argument("--month", type=month_arg, required=True, help="YYYY-MM")
    p.add_argument("--flag", dest="flags", type=flag_arg, action="append", required=True,
                   metavar="|".join(FLAGS), help="the flag (may be given more than once)")
    p.add_argument("--off", action="store_true", help="clear the flag instead of setting it")
    p.add_argument("--as", dest="as_name", metavar="NAME",
                   help="the clinician who attests it (name or id; default: the person "
                   "signed in at the tray, else the default clinician)")
    p.set_defaults(handler=flag_set)
    p = fsub.add_parser("show", parents=[common], help="a patient-month's flags")
    p.add_argument("--mrn", required=True)
    p.add_argument("--month", type=month_arg, required=True, help="YYYY-MM")
    p.set_defaults(handler=flag_show)


def _spelled(field: str) -> str:
    return next(cli for cli, name in FLAGS.items() if name == field)


def flag_set(ctx: AppContext, args) -> None:
    fields = list(dict.fromkeys(args.flags))
    who = access.named(ctx, secret.acting(ctx, args.as_name))
    before = month_flags.get_flags(ctx, args.mrn, args.month)
    wanted = {name: not args.off for name in fields}
    after = month_flags.set_flags(ctx, args.mrn, args.month, by=who, **wanted)
    changed = [name for name in fields if getattr(before, name) != getattr(after, name)]
    if args.json:
        emit_json({**after.to_dict(), "changed": changed, "by": who.name})
        return
    state = "off" if args.off else "on"
    words = ", ".join(_spelled(name) for name in fields)
    if not changed:
        print(f"{after.mrn} {after.month}: {words} already {state}; nothing written.")
        return
    verb = "cleared" if args.off else "attested"
    print(f"{after.mrn} {after.month}: {', '.join(_spelled(n) for n in changed)} {state}, "
          f"{verb} by {who.name}.")


def _descriptions(month: str) -> dict[str, str]:
    try:
        rules = billing_rules.rules_for_month(month)
    except (LookupError, ValueError):  # no rules for the year, or a file that cannot be read
        return WORDS
    return {**WORDS, **rules.flag_descriptions}


def flag_show(ctx: AppContext, args) -> None:
    view = month_flags.get_flags(ctx, args.mrn, args.month)
    if args.json:
        emit_json(view.to_dict())
        return
    words = _descriptions(view.month)
    print(f"{view.mrn} {view.month}:")
    width = max(len(cli) for cli in FLAGS)
    for cli, name in FLAGS.items():
        state = "on " if getattr(view, name) else "off"
        print(f"  {cli.ljust(width)}  {state}  {words.get(name, '')}")
    print("A substantial care-plan review in the month, or a problem or goal added or ended "
          "in it, also counts as care plan revised (see `ccm-timer careplan show`).")
