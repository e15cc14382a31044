"""`clinician` and `category` commands: the two lists an entry names its clinician and
its activity from. Patients are in patients.py and record.py."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ccm_timer.cli import secret
from ccm_timer.cli.args import yes_no
from ccm_timer.cli.lazy import lazy
from ccm_timer.cli.output import emit_json, table

if TYPE_CHECKING:  # SQLAlchemy is not imported on the command line's fast path
    from ccm_timer.services.context import AppContext

categories = lazy("ccm_timer.services.timing.categories")
clinicians = lazy("ccm_timer.services.people.clinicians")
access = lazy("ccm_timer.services.people.access")
credentials = lazy("ccm_timer.services.security.credentials")
_ADMIN = ("an administrator's name; their password is asked for (needed once the clinic "
          "has an administrator)")


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    clinician = sub.add_parser("clinician", help="add, list and change clinicians")
    csub = clinician.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = csub.add_parser("add", parents=[common], help="add a clinician")
    p.add_argument("--name", required=True)
    p.add_argument("--credential", required=True, help="RN, LPN, MA, MD, DO, NP, PA, ...")
    p.add_argument("--role", required=True, choices=["clinical_staff", "practitioner", "office"],
                   help="office: no clinical role (billing office, administration)")
    p.add_argument("--npi")
    p.add_argument("--duty", action="append", default=[], choices=["billing", "admin"],
                   help="a duty beside the role (repeatable)")
    p.add_argument("--default", action="store_true", help="use this clinician by default")
    p.add_argument("--as", dest="as_name", metavar="NAME", help=_ADMIN)
    p.set_defaults(handler=clinician_add)
    p = csub.add_parser("set-password", parents=[common], help="set or change a password "
                        "(asked twice on a terminal, one line from standard input otherwise)")
    p.add_argument("name", help="name or id")
    p.add_argument("--as", dest="as_name", metavar="NAME",
                   help="an administrator present for a first password (needed once the "
                   "clinic has an administrator); their password is asked first")
    p.set_defaults(handler=clinician_password)
    p = csub.add_parser("reset-password", parents=[common], help="clear a person's password "
                        "and sign-in lock; they set a new one at their next sign-in")
    p.add_argument("name", help="name or id")
    p.add_argument("--as", dest="as_name", metavar="NAME", help=_ADMIN)
    p.set_defaults(handler=clinician_reset)
    p = csub.add_parser("grant", parents=[common], help="give or take back the billing-office "
                        "or administrator duty")
    p.add_argument("name", help="name or id")
    p.add_argument("--duty", required=True, choices=["billing", "admin"])
    p.add_argument("--revoke", action="store_true", help="take the duty back")
    p.add_argument("--as", dest="as_name", metavar="NAME", help=_ADMIN)
    p.set_defaults(handler=clinician_grant)
    p = csub.add_parser("list", parents=[common], help="list clinicians")
    p.set_defaults(handler=clinician_list)
    p = csub.add_parser("default", parents=[common], help="choose the default clinician")
    p.add_argument("clinician", help="name or id")
    p.add_argument("--as", dest="as_name", metavar="NAME", help=_ADMIN)
    p.set_defaults(handler=clinician_default)
    p = csub.add_parser("set", parents=[common], help="change what is recorded of a clinician")
    p.add_argument("--name", required=True, help="name or id")
    p.add_argument("--incident-to", type=yes_no, metavar="yes|no", required=True,
                   help="a practitioner who works incident to the billing practitioner: the "
                        "setting other_practitioner_time decides whether their minutes on "
                        "another practitioner's patient count as clinical-staff time")
    p.add_argument("--as", dest="as_name", metavar="NAME", help=_ADMIN)
    p.set_defaults(handler=clinician_set)

    category = sub.add_parser("category", help="list activity categories")
    gsub = category.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = gsub.add_parser("list", parents=[common], help="list activity categories")
    p.set_defaults(handler=category_list)


def clinician_add(ctx: AppContext, args) -> None:
    view = clinicians.add(
        ctx, name=args.name, credential=args.credential, role=args.role, npi=args.npi,
        default=args.default, duties=tuple(args.duty), by=secret.admin(ctx, args.as_name),
    )
    if args.json:
        emit_json(view.to_dict())
    else:
        suffix = " (default)" if view.is_default else ""
        print(f"Added {view.name}, {view.credential}, {view.role.value}{suffix}.")


def clinician_list(ctx: AppContext, args) -> None:
    rows = clinicians.list_clinicians(ctx)
    signin = credentials.sign_in_states(ctx)
    if args.json:
        emit_json([{**c.to_dict(), "sign_in": signin[str(c.id)].to_dict()} for c in rows])
        return
    if not rows:
        print("No clinicians yet: add one with `ccm-timer clinician add`.")
    table(
        ["NAME", "CREDENTIAL", "ROLE", "DUTIES", "NPI", "DEFAULT", "INCIDENT-TO", "SIGN-IN"],
        [(c.name, c.credential, c.role.value, ",".join(c.duties), c.npi or "",
          "yes" if c.is_default else "", "yes" if c.incident_to else "",
          signin[str(c.id)].describe(ctx.zone)) for c in rows],
    )


def clinician_password(ctx: AppContext, args) -> None:
    name = access.named(ctx, args.name).name
    current = None
    if credentials.has_secret(ctx, name):
        current = secret.read_secret(f"Current password for {name}: ")
    witness = secret.admin(ctx, args.as_name)  # a first one, once the clinic has an admin
    new = secret.read_secret(f"New password for {name}: ", twice=True)
    credentials.set_secret(ctx, name, new, current=current, admin=witness)
    print(f"{name}'s password is set; they can now sign in and attest what their duties "
          "allow.")


def clinician_reset(ctx: AppContext, args) -> None:
    name = credentials.reset(ctx, args.name, secret.admin(ctx, args.as_name))
    print(f"{name}'s password and sign-in lock are cleared; they choose a new one with an "
          "administrator present, and can time meanwhile but not sign anything.")


def clinician_grant(ctx: AppContext, args) -> None:
    held = access.grant(ctx, args.name, args.duty, not args.revoke,
                        secret.admin(ctx, args.as_name))
    if args.json:
        emit_json({"name": args.name, "duties": sorted(held)})
        return
    print(f"{args.name} now holds: {', '.join(sorted(held)) or 'no duty'}.")


def clinician_default(ctx: AppContext, args) -> None:
    view = clinicians.set_default(ctx, args.clinician, secret.admin(ctx, args.as_name))
    if args.json:
        emit_json(view.to_dict())
    else:
        print(f"{view.name} is now the default clinician.")


def clinician_set(ctx: AppContext, args) -> None:
    view = clinicians.set_incident_to(ctx, args.name, args.incident_to,
                                      secret.admin(ctx, args.as_name))
    if args.json:
        emit_json(view.to_dict())
    elif view.incident_to:
        print(f"{view.name} works incident to the billing practitioner: the setting "
              "other_practitioner_time decides whether their minutes count as clinical-staff "
              "time (never as the billing practitioner's own).")
    else:
        print(f"{view.name} does not work incident to the billing practitioner.")


def category_list(ctx: AppContext, args) -> None:
    rows = categories.list_categories(ctx)
    if args.json:
        emit_json([c.to_dict() for c in rows])
        return
    table(
        ["SLUG", "PROGRAM", "LABEL"],
        [(c.slug, c.program or "(program-level)", c.label) for c in rows],
    )
