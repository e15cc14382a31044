"""`sync`, `import-bundle` and `hub`: delivering exports and records."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ccm_timer.cli import hub_pull as hub_pull_cli
from ccm_timer.cli import hub_workstation as hub_workstation_cli
from ccm_timer.cli import secret
from ccm_timer.cli.args import MAX_TIMEOUT, timeout_arg
from ccm_timer.cli.lazy import lazy
from ccm_timer.cli.output import emit_json, local, table
from ccm_timer.errors import UserError

if TYPE_CHECKING:  # SQLAlchemy is not imported on the command line's fast path
    from ccm_timer.services.context import AppContext

# Lazy: building the parser must not import the ORM (the fast `status` path).
access = lazy("ccm_timer.services.people.access")
bundles = lazy("ccm_timer.services.delivery.bundle_import")
hub = lazy("ccm_timer.services.delivery.hub")
hub_roles = lazy("ccm_timer.services.delivery.hub_roles")
hub_schema = lazy("ccm_timer.services.delivery.hub_schema")
bundle_conflicts = lazy("ccm_timer.services.delivery.bundle_conflicts")
outbox_status = lazy("ccm_timer.services.delivery.outbox_status")
targets = lazy("ccm_timer.services.delivery.targets")


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "sync", parents=[common], help="deliver queued exports (until Ctrl-C, or --once)",
        description="Deliver what is due to every target, with back-off between tries.",
    )
    p.add_argument("--once", action="store_true", help="one pass over what is due, then exit")
    p.add_argument("--list", action="store_true",
                   help="show waiting and failed exports: attempts, last error, receipt")
    p.add_argument("--all", action="store_true", help="with --list: delivered ones too")
    p.add_argument("--retry-failed", action="store_true",
                   help="queue again the exports a target refused (after fixing the cause): "
                   "someone with the export duty (the billing office or a practitioner)")
    p.add_argument("--as", dest="as_name", metavar="NAME", help="with --retry-failed: who "
                   "queues them (default: the person signed in at the tray, else the default "
                   "clinician); no password, as the files were already made")
    p.add_argument("--timeout", type=timeout_arg, default=30.0,
                   help=f"network timeout in seconds (at most {MAX_TIMEOUT:g})")
    p.set_defaults(handler=sync_command)

    p = sub.add_parser("import-bundle", parents=[common],
                       help="verify and import a bundle from another workstation")
    p.add_argument("path", type=Path, help="the bundle folder (ccm-bundle-...)")
    p.add_argument("--hub", metavar="TARGET", help="import into this hub target instead")
    p.set_defaults(handler=import_bundle)

    h = sub.add_parser("hub", help="set up the clinic hub, push records to it, see its pushes")
    hsub = h.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = hsub.add_parser(
        "init", parents=[common], help="create or upgrade the hub's tables and roles",
        description="Create or upgrade the clinic hub's tables (in one transaction; running "
        "it again changes nothing) and the group role ccm_hub_workstation, which may read "
        "and add records but not delete them or change tables. Give the URL of the hub "
        "database's owner (its password is asked for, or read as the line after the "
        "administrator's on standard input), or the name of a hub target. "
        "`ccm-timer hub add-workstation NAME URL` makes each workstation's own login role.")
    owner_args(p)
    p.set_defaults(handler=hub_init)
    p = hsub.add_parser("status", parents=[common],
                        help="each workstation's last push to the hub, its lag and entries")
    p.add_argument("target", nargs="?", help="the hub target (default: the only one)")
    p.set_defaults(handler=hub_status)
    p = hsub.add_parser("push", parents=[common], help="push this workstation's records now")
    p.add_argument("target", nargs="?", help="the hub target (default: every hub target)")
    p.set_defaults(handler=hub_push)
    p = hsub.add_parser("verify", parents=[common],
                        help="check every workstation's audit chain on the hub")
    p.add_argument("target", nargs="?", help="the hub target (default: the only one)")
    p.set_defaults(handler=hub_verify)
    hub_pull_cli.register(hsub, common)
    hub_workstation_cli.register(hsub, common)
    p = hsub.add_parser(
        "conflicts", parents=[common],
        help="what pushes and bundles would have changed of another workstation's records "
        "on the hub", description="List the conflicts the clinic hub recorded: a patient "
        "arriving from a second workstation under another name or birth date, an entry "
        "amended on two workstations, a bundle's change to what the hub holds. The hub kept "
        "its own rows in each case; someone decides what to do. For the billing office or "
        "an administrator.")
    p.add_argument("target", nargs="?", help="the hub target (default: the only one)")
    p.add_argument("--all", action="store_true", help="resolved ones too")
    p.add_argument("--as", dest="as_name", metavar="NAME", help="who reads them (billing "
                   "office or administrator); their password is asked for")
    p.set_defaults(handler=hub_conflicts)


def _hub_targets(ctx: AppContext, name: str | None) -> list:
    if name:
        target = targets.get(ctx, name)
        if target.kind != targets.TargetKind.HUB:
            raise UserError(f"{name} is a {target.kind} target, not a clinic hub.")
        return [target]
    found = [t for t in targets.list_targets(ctx) if t.kind == targets.TargetKind.HUB]
    if not found:
        raise UserError("No clinic hub is set up; add one with "
                        "`ccm-timer target add NAME --kind hub --url postgresql://...`.")
    return found


def sync_command(ctx: AppContext, args) -> None:
    if args.retry_failed:
        from ccm_timer.services.exports import history  # its package loads the renderers

        by = access.named(ctx, secret.acting(ctx, args.as_name))
        count = history.requeue_failed(ctx, by)
        print(f"Queued {count} failed export(s) again.")
        if not args.once:
            return
    if args.list:
        _list(ctx, args)
        return
    from ccm_timer.sync.outcome import AttemptKind
    from ccm_timer.sync.worker import Attempt, Worker

    def line(attempt: Attempt) -> None:
        if not args.json:
            stream = sys.stdout if attempt.kind is AttemptKind.DELIVERED else sys.stderr
            print(attempt.sentence(ctx), file=stream, flush=True)

    worker = Worker(ctx, timeout=args.timeout, on_attempt=line)
    if not args.once:
        print("Delivering; press Ctrl-C to stop.", flush=True)
        try:
            worker.run()
        except KeyboardInterrupt:
            print(outbox_status.summary(ctx) + ".")
        return
    report = worker.run_once()
    for message in report.hub_pushes:
        print(message)
    problems = report.problems
    if args.json:
        emit_json({"delivered": report.delivered,
                   "attempts": [{"export": str(a.export_id), "target": a.target,
                                 "result": a.kind, "message": a.message,
                                 "retry_at": a.retry_at} for a in report.attempts],
                   "hub_errors": report.hub_errors, "summary": outbox_status.summary(ctx)})
    else:
        print(f"Delivered {report.delivered} export(s). {outbox_status.summary(ctx)}.")
    if report.hub_errors:
        raise UserError(f"{report.hub_errors[0]}; the records stay here and the push will "
                        "be tried again.")
    if problems:
        first = problems[0].sentence(ctx)
        more = f" ({len(problems) - 1} more problem(s) above.)" if len(problems) > 1 else ""
        raise UserError(first + more)


def _list(ctx: AppContext, args) -> None:
    rows = outbox_status.list_items(ctx, include_delivered=args.all)
    if args.json:
        emit_json([r.to_dict() for r in rows])
        return
    if not rows:
        print(outbox_status.summary(ctx) + ".")
        return
    zone = ctx.zone
    table(
        ["EXPORT", "TARGET", "STATE", "TRIES", "LAST TRY", "NEXT TRY", "LAST ERROR / RECEIPT"],
        [(str(r.export_id)[:13], r.target, r.state, r.attempts, local(r.last_try_at, zone),
          local(r.next_attempt_at, zone), r.last_error or r.receipt or "") for r in rows],
    )


def import_bundle(ctx: AppContext, args) -> None:
    hub_url = password = None
    if args.hub:
        target = _hub_targets(ctx, args.hub)[0]
        hub_url, password = target.url, targets.get_secret(target.name)
    report = bundles.import_bundle(ctx, args.path, hub_url=hub_url, password=password)
    if args.json:
        emit_json(report.to_dict())
        return
    if report.changed_rows:
        print(f"Imported bundle {report.bundle} from {report.workstation} into "
              f"{report.into}: {report.entries} entry version(s), "
              f"{report.changed_rows} new or changed row(s).")
    else:
        print(f"Bundle {report.bundle} was already imported into {report.into}; nothing "
              "changed.")
    if report.skipped_live:
        print(f"{report.skipped_live} running timer(s) of other clinicians were left out; "
              "they arrive, stopped, with a later bundle.")
    if report.conflicts:
        print(f"{len(report.conflicts)} conflict(s): the bundle wanted to change what is "
              "here, and CCM Timer kept the local records (see `ccm-timer conflicts list`):")
        for c in report.conflicts:
            print(f"  {c.id[:8]} {c.kind}: {c.summary}")


def hub_push(ctx: AppContext, args) -> None:
    results = []
    for target in _hub_targets(ctx, args.target):
        report = hub.push_target(ctx, target, force=True)
        changed = sum(report.changed.values()) if report else 0
        held = report.held_sentence(target.name) if report else ""
        results.append({"target": target.name, "rows": report.rows if report else 0,
                        "changed": report.changed if report else {},
                        "held": report.held if report else {}, "held_sentence": held})
        if not args.json:  # rows left out are said with the push, never a bare "pushed"
            print(f"Pushed {report.rows if report else 0} row(s) to {target.name}; "
                  f"{changed} were new or changed there." + (f" {held}" if held else ""))
    if args.json:
        emit_json(results)


def _read_hub(ctx: AppContext, target, read):
    """`read(engine)` on a hub target's database, as this clinic, closed after."""
    with hub.target_engine(ctx, target) as engine:
        return read(engine)


def hub_verify(ctx: AppContext, args) -> None:
    checks = _read_hub(ctx, _hub_targets(ctx, args.target)[0], hub.verify_chains)
    if args.json:
        emit_json([c.__dict__ for c in checks])
    else:
        table(["WORKSTATION", "EVENTS", "CHAIN"],
              [(c.workstation, c.events, "ok" if c.ok else c.problem) for c in checks])
    bad = [c for c in checks if not c.ok]
    if bad:
        raise UserError(f"The audit chain of {bad[0].workstation} on the hub is broken: "
                        f"{bad[0].problem}.")


def owner_args(p: argparse.ArgumentParser) -> None:
    """The hub owner's URL (or a hub target) and the administrator acting, which owner_url
    and secret.admin read: for `hub init` and `hub add-workstation`."""
    p.add_argument("hub", metavar="URL", help="postgresql://OWNER@HOST:5432/DATABASE, or a "
                   "hub target's name")
    p.add_argument("--no-password", action="store_true",
                   help="the hub's owner needs no password (a local socket)")
    p.add_argument("--as", dest="as_name", metavar="NAME", help="an administrator's name; "
                   "their password is asked for (needed once the clinic has an administrator)")


def owner_url(ctx: AppContext, args) -> tuple[str, str | None]:
    """The hub owner's URL and password, for `hub init` and `hub add-workstation`: a URL
    given (its password asked for, never in the URL: it would show in `ps`), or a hub
    target's (its stored secret)."""
    if "://" in args.hub:
        url = targets.validate(targets.TargetKind.HUB, args.hub)
        password = None if args.no_password else secret.read_secret(
            "Password for the hub database's owner: ")
        return url, password
    target = _hub_targets(ctx, args.hub)[0]
    return target.url, targets.get_secret(target.name)


def hub_init(ctx: AppContext, args) -> None:
    actor = targets.allowed(ctx, secret.admin(ctx, args.as_name))  # before any other prompt
    url, password = owner_url(ctx, args)
    report = hub_roles.init(ctx, url, password)
    if report.changed:
        hub_schema.record_init(ctx, actor, url, report)
    if args.json:
        emit_json({"before": report.before, "after": report.after, "changed": report.changed,
                   "role": report.role})
    else:
        print(report.sentence())


def _lag(seconds: int | None) -> str:
    if seconds is None:
        return "not since hub init"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h {minutes % 60:02d} min"
    return f"{minutes // (24 * 60)} days"


def hub_status(ctx: AppContext, args) -> None:
    target = _hub_targets(ctx, args.target)[0]
    found = _read_hub(ctx, target, hub.pushes)
    now, zone = ctx.now(), ctx.zone
    if args.json:
        emit_json([{**p.to_dict(now), "last_push_at": p.last_push_at and
                    p.last_push_at.astimezone(zone).isoformat()} for p in found])
        return
    if not found:
        print(f"No workstation has pushed to {target.name} yet.")
        return
    table(["WORKSTATION", "LAST PUSH", "LAG", "PUSHES", "ENTRIES"],
          [(p.workstation, local(p.last_push_at, zone), _lag(p.lag_seconds(now)), p.pushes,
            p.entries) for p in found])


def hub_conflicts(ctx: AppContext, args) -> None:
    from ccm_timer.cli import audit
    from ccm_timer.core.access import Duty
    from ccm_timer.services.security import credentials

    if args.as_name:
        who = credentials.verify(ctx, args.as_name,
                                 secret.read_secret(f"Password for {args.as_name}: "))
    else:
        who = access.timing_here(ctx)
    if not who.duties & {Duty.BILLING, Duty.ADMIN}:
        raise access.Refused(f"{who.name} may not read the clinic hub's conflicts: the "
                             "billing office or an administrator does (name them with --as).")
    target = _hub_targets(ctx, args.target)[0]
    found = _read_hub(ctx, target, lambda engine: bundle_conflicts.on_hub(
        engine, include_resolved=args.all))
    # Recorded before anything is shown: conflicts name patients.
    audit.read(ctx, "REPORT", name=who.name, detail="conflicts on the clinic hub")
    zone = ctx.zone
    if args.json:
        emit_json([{**c.to_dict(), "recorded_at": c.recorded_at.astimezone(zone).isoformat()}
                   for c in found])
        return
    if not found:
        print(f"No conflicts on {target.name}: every workstation's records went in as sent.")
        return
    table(["RECORDED", "FROM", "VIA", "KIND", "WHAT"],
          [(local(c.recorded_at, zone), c.sender, c.source, c.kind, c.summary)
           for c in found])
