"""`workstation`, `clinic` and `conflicts`: the keys bundles are signed and sealed with, the
senders this clinic trusts, and what imports would not change (README, Bundles). Trusting,
untrusting and the clinic key are an administrator's once the clinic has one (`--as NAME`)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ccm_timer.cli import secret
from ccm_timer.cli.clinicians import _ADMIN
from ccm_timer.cli.lazy import lazy
from ccm_timer.cli.output import emit_json, local, table

if TYPE_CHECKING:  # SQLAlchemy is not imported on the command line's fast path
    from ccm_timer.services.context import AppContext

bundle_keys = lazy("ccm_timer.services.security.bundle_keys")
conflicts = lazy("ccm_timer.services.delivery.bundle_conflicts")


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    w = sub.add_parser("workstation", help="this workstation's bundle key; trusted senders")
    wsub = w.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = wsub.add_parser("key", parents=[common],
                        help="print this workstation's public key (made on first use)")
    p.set_defaults(handler=workstation_key)
    p = wsub.add_parser("trust", parents=[common],
                        help="trust bundles signed by another workstation's key")
    p.add_argument("name", help="the workstation's name, as its bundles give it")
    p.add_argument("public_key", help="the ccm-ed25519:... line its `workstation key` prints")
    p.add_argument("--as", dest="as_name", metavar="NAME", help=_ADMIN)
    p.set_defaults(handler=workstation_trust)
    p = wsub.add_parser("untrust", parents=[common], help="stop trusting a workstation")
    p.add_argument("name")
    p.add_argument("--as", dest="as_name", metavar="NAME", help=_ADMIN)
    p.set_defaults(handler=workstation_untrust)
    p = wsub.add_parser("list", parents=[common], help="this workstation and trusted ones")
    p.set_defaults(handler=workstation_list)

    c = sub.add_parser("clinic", help="the clinic key bundles are encrypted for")
    csub = c.add_subparsers(dest="action", required=True, metavar="ACTION")
    k = csub.add_parser("key", help="make, import or show the clinic key")
    ksub = k.add_subparsers(dest="key_action", required=True, metavar="ACTION")
    p = ksub.add_parser("init", parents=[common],
                        help="make the clinic key here, where bundles are imported")
    p.add_argument("--as", dest="as_name", metavar="NAME", help=_ADMIN)
    p.set_defaults(handler=clinic_init)
    p = ksub.add_parser("import", parents=[common],
                        help="record the clinic's public key on a sending workstation")
    p.add_argument("public_key", help="the ccm-x25519:... line `clinic key init` printed")
    p.add_argument("--replace", action="store_true", help="replace another clinic key")
    p.add_argument("--as", dest="as_name", metavar="NAME", help=_ADMIN)
    p.set_defaults(handler=clinic_import)
    p = ksub.add_parser("show", parents=[common], help="print the clinic's public key")
    p.set_defaults(handler=clinic_show)

    f = sub.add_parser("conflicts", help="what imported bundles wanted to change here")
    fsub = f.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = fsub.add_parser("list", parents=[common], help="conflicts not yet resolved")
    p.add_argument("--all", action="store_true", help="resolved ones too")
    p.set_defaults(handler=conflicts_list)
    p = fsub.add_parser("resolve", parents=[common],
                        help="mark a conflict looked at (nothing local is changed)")
    p.add_argument("id", help="the conflict's id (its first characters are enough)")
    p.add_argument("--reason", required=True, help="what was done about it")
    p.set_defaults(handler=conflicts_resolve)


def _key(info, args, before: str = "") -> None:
    if args.json:
        emit_json(info.to_dict())
        return
    if before:
        print(before)
    print(info.public)
    print(f"Fingerprint: {info.fingerprint}")


def workstation_key(ctx: AppContext, args) -> None:
    info = bundle_keys.workstation_key(ctx)
    _key(info, args, f"The public key of {info.name} (give it to the clinic, which runs "
                     f"`ccm-timer workstation trust {info.name} KEY`):")


def workstation_trust(ctx: AppContext, args) -> None:
    info = bundle_keys.trust(ctx, args.name, args.public_key,
                             by=secret.admin(ctx, args.as_name))
    if args.json:
        emit_json(info.to_dict())
    else:
        print(f"Bundles signed by {info.name} (fingerprint {info.fingerprint}) are trusted "
              "here; compare the fingerprint with the one that workstation shows.")


def workstation_untrust(ctx: AppContext, args) -> None:
    info = bundle_keys.untrust(ctx, args.name, by=secret.admin(ctx, args.as_name))
    if args.json:
        emit_json(info.to_dict())
    else:
        print(f"Bundles signed by {info.name} are no longer trusted here.")


def workstation_list(ctx: AppContext, args) -> None:
    rows = bundle_keys.list_keys(ctx)
    if args.json:
        emit_json([k.to_dict() for k in rows])
        return
    label = {"workstation": "this workstation", "trusted": "trusted sender",
             "clinic": "clinic key"}
    table(["NAME", "WHAT", "FINGERPRINT", "PRIVATE KEY HERE"],
          [(k.name, label.get(k.kind, k.kind), k.fingerprint, "yes" if k.private_here else "")
           for k in rows])


def clinic_init(ctx: AppContext, args) -> None:
    info = bundle_keys.init_clinic_key(ctx, by=secret.admin(ctx, args.as_name))
    _key(info, args, "The clinic key is made; its private half stays on this workstation, "
                     "which imports the bundles. On every sending workstation run "
                     "`ccm-timer clinic key import KEY` with this key:")


def clinic_import(ctx: AppContext, args) -> None:
    info = bundle_keys.import_clinic_key(ctx, args.public_key, replace=args.replace,
                                         by=secret.admin(ctx, args.as_name))
    if args.json:
        emit_json(info.to_dict())
    else:
        print(f"Bundles from this workstation are now encrypted for the clinic key "
              f"{info.fingerprint}; compare it with the fingerprint the clinic shows.")


def clinic_show(ctx: AppContext, args) -> None:
    from ccm_timer.errors import UserError

    info = bundle_keys.clinic_key(ctx)
    if info is None:
        raise UserError("This workstation has no clinic key; run `ccm-timer clinic key init` "
                        "where bundles are imported, or `clinic key import KEY` here.")
    _key(info, args)


def conflicts_list(ctx: AppContext, args) -> None:
    rows = conflicts.list_conflicts(ctx, include_resolved=args.all)
    if args.json:
        emit_json([c.to_dict() for c in rows])
        return
    if not rows:
        print("No conflicts from imported bundles.")
        return
    table(["ID", "RECORDED", "FROM", "KIND", "WHAT"],
          [(c.id[:8], local(c.recorded_at, ctx.zone), c.sender, c.kind, c.summary)
           for c in rows])


def conflicts_resolve(ctx: AppContext, args) -> None:
    view = conflicts.resolve(ctx, args.id, args.reason)
    if args.json:
        emit_json(view.to_dict())
    else:
        print(f"Conflict {view.id[:8]} is resolved; nothing here was changed by it.")
