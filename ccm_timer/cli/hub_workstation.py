"""`hub add-workstation NAME URL`: a login role of the workstation's own on the clinic hub
(services/delivery/hub_roles.py), made by an administrator with the hub owner's URL."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ccm_timer.cli import secret
from ccm_timer.cli.lazy import lazy
from ccm_timer.cli.output import emit_json

if TYPE_CHECKING:
    from ccm_timer.services.context import AppContext

hub_roles = lazy("ccm_timer.services.delivery.hub_roles")
targets = lazy("ccm_timer.services.delivery.targets")


def register(hub_sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """`add-workstation` under `hub` (cli/sync.py calls this with the hub's subcommands)."""
    p = hub_sub.add_parser(
        "add-workstation", parents=[common], help="give a workstation its own hub login",
        description="Make the clinic hub's login role for one workstation (ccm_ws_NAME "
        "in the group ccm_hub_workstation): it reads this clinic's records and writes only "
        "the workstation's own. Its password is shown once (or read with --read-password) "
        "and is not kept here: on that workstation, add the hub target with the role as "
        "the URL's user and this password. Run again, it gives the role a new password. "
        "Passwords are asked for, or read one a line from standard input: the "
        "administrator's, the hub owner's, then the role's.")
    p.add_argument("workstation", metavar="NAME", help="the workstation's name, as its "
                   "settings name it")
    from ccm_timer.cli.sync import owner_args  # the same URL, password and administrator

    owner_args(p)
    p.add_argument("--read-password", action="store_true",
                   help="read the role's password instead of making one")
    p.set_defaults(handler=add_workstation)


def add_workstation(ctx: AppContext, args) -> None:
    from ccm_timer.cli.sync import owner_url  # one rule for the hub owner's URL

    actor = targets.allowed(ctx, secret.admin(ctx, args.as_name))  # before any other prompt
    hub_roles.role_name(args.workstation)  # a name refused before any password is asked
    url, owner = owner_url(ctx, args)
    made = not args.read_password
    password = hub_roles.new_password() if made else secret.read_secret(
        f"Password for the workstation {args.workstation}'s hub login: ", twice=True)
    added = hub_roles.add_workstation(ctx, actor, url, owner, args.workstation, password)
    if getattr(args, "json", False):
        emit_json({"workstation": added.workstation, "role": added.role, "new": added.new,
                   **({"password": password} if made else {})})
        return
    print(added.sentence())
    if made:
        print(f"Its password, shown only now: {password}")
    print(f"On {added.workstation}: ccm-timer target add hub --kind hub --url "
          f"postgresql://{added.role}@HOST:5432/DATABASE, giving this password.")
