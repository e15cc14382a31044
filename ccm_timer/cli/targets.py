"""`target add | list | remove`: where exports are delivered. Adding and removing are an
administrator's once the clinic has one (`--as NAME`, their password asked first)."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import TYPE_CHECKING

from ccm_timer.cli import secret as passwords
from ccm_timer.cli.clinicians import _ADMIN
from ccm_timer.cli.lazy import lazy
from ccm_timer.cli.output import emit_json, table
from ccm_timer.errors import UserError
from ccm_timer.services.delivery import targets  # light: settings file and keyring, no ORM

if TYPE_CHECKING:  # SQLAlchemy is not imported on the command line's fast path
    from ccm_timer.services.context import AppContext

outbox = lazy("ccm_timer.services.delivery.outbox")


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    target = sub.add_parser("target", help="add, list and remove delivery targets")
    tsub = target.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = tsub.add_parser(
        "add", parents=[common], help="add (or replace) a delivery target",
        description="A token (https, fhir) or password (hub) is read from standard input or "
        "a prompt and kept only in the system keyring. With --as, the administrator's "
        "password is asked first (the first line of standard input), then the token.",
    )
    p.add_argument("name")
    p.add_argument("--kind", required=True, choices=targets.KINDS)
    p.add_argument("--url", required=True, help="https:// URL, FHIR base URL, folder path, "
                   "or postgresql://USER@HOST:PORT/DB for a hub")
    p.add_argument("--no-token", action="store_true",
                   help="the server needs no token (or the hub no password)")
    p.add_argument("--as", dest="as_name", metavar="NAME", help=_ADMIN)
    p.set_defaults(handler=target_add)
    p = tsub.add_parser("list", parents=[common], help="list delivery targets")
    p.set_defaults(handler=target_list)
    p = tsub.add_parser("remove", parents=[common], help="remove a delivery target")
    p.add_argument("name")
    p.add_argument("--force", action="store_true",
                   help="remove it although exports wait for it (they are marked failed)")
    p.add_argument("--as", dest="as_name", metavar="NAME", help=_ADMIN)
    p.set_defaults(handler=target_remove)


def _read_secret(kind: str, name: str) -> str | None:
    what = "password" if kind == "hub" else "token"
    if sys.stdin is not None and sys.stdin.isatty():
        value = getpass.getpass(f"{what.capitalize()} for {name} (kept in the keyring): ")
    else:
        value = sys.stdin.readline() if sys.stdin is not None else ""
    value = value.strip()
    if not value:
        raise UserError(f"No {what} was given; type it at the prompt or pipe it on standard "
                        f"input, or pass --no-token if {name} needs none.")
    return value


def target_add(ctx: AppContext, args) -> None:
    by = passwords.admin(ctx, args.as_name)
    targets.allowed(ctx, by)  # a refusal before the token is asked for
    url = targets.validate(args.kind, args.url)  # refuse a bad URL before asking for a token
    secret = None
    if args.kind != "folder" and not args.no_token:
        secret = _read_secret(args.kind, args.name)
    if args.no_token:
        targets.delete_secret(args.name)
    target = targets.add(ctx, args.name, kind=args.kind, url=url, secret=secret, by=by)
    if args.json:
        emit_json({**target.to_dict(), "secret_in_keyring": secret is not None})
    else:
        kept = " Its token is in the system keyring." if secret else ""
        print(f"Added the {target.kind} target {target.name}: {target.url}.{kept}")


def target_list(ctx: AppContext, args) -> None:
    rows = targets.list_targets(ctx)
    if args.json:
        emit_json([t.to_dict() for t in rows])
        return
    if not rows:
        print("No delivery targets yet: add one with `ccm-timer target add`.")
        return
    table(["NAME", "KIND", "URL", "WAITING"],
          [(t.name, t.kind, t.url, outbox.waiting_count(ctx, t.name)) for t in rows])


def target_remove(ctx: AppContext, args) -> None:
    by = passwords.admin(ctx, args.as_name)
    targets.allowed(ctx, by)  # before waiting exports are marked failed
    target = targets.get(ctx, args.name)
    waiting = outbox.waiting_count(ctx, target.name)
    if waiting and not args.force:
        raise UserError(f"{waiting} export(s) still wait for {target.name}; deliver them with "
                        "`ccm-timer sync --once`, or pass --force to mark them failed.")
    dropped = outbox.drop_target(ctx, target.name) if waiting else 0
    targets.remove(ctx, target.name, by=by)
    if args.json:
        emit_json({"removed": target.name, "marked_failed": dropped})
    else:
        print(f"Removed the target {target.name}" +
              (f"; {dropped} waiting export(s) marked failed." if dropped else "."))
