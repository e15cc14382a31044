"""`start`, `pause`, `resume`, `stop`, `switch`, `status` and `recover`.

They run as the person signed in at this workstation's tray while one runs, else as the
default clinician, and never ask for a password: a call is never delayed by a prompt (issue
16, point 5). `--clinician` naming anyone else asks for that person's password, as the
tray's switch of person does: nobody times as another person by typing their name.

While a tray runs, these commands (not `recover`) are done by it (cli/tray_channel.py): it
holds the open database and its key, and shows the change at once.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from ccm_timer.cli.lazy import lazy
from ccm_timer.cli.output import duration, emit_json, local, table
from ccm_timer.errors import UserError

if TYPE_CHECKING:
    from ccm_timer.services.context import AppContext
    from ccm_timer.services.timing.entry_values import EntryView, Status

access = lazy("ccm_timer.services.people.access")
recovery = lazy("ccm_timer.services.timing.recovery")
timers = lazy("ccm_timer.services.timing.timers")


_WHO = ("name or id (default: the person signed in at the tray, else the default clinician; "
        "anyone else is asked for their password)")


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    for name, help_text in (("start", "start a timer"),
                            ("switch", "stop what runs and start another timer")):
        p = sub.add_parser(name, parents=[common], help=help_text)
        p.add_argument("--patient", help="MRN (not for program-level categories)")
        p.add_argument("--category", required=True, help="see `ccm-timer category list`")
        p.add_argument("--note", default="")
        p.add_argument("--program", help="count toward another program than the category's")
        p.add_argument("--clinician", help=_WHO)
        p.set_defaults(handler=start if name == "start" else switch,
                       quick=_quick)
    for name, handler in (("pause", pause), ("resume", resume)):
        p = sub.add_parser(name, parents=[common], help=f"{name} the running timer")
        p.add_argument("--clinician", help=_WHO)
        p.set_defaults(handler=handler, quick=_quick)
    p = sub.add_parser("stop", parents=[common], help="stop the timer")
    p.add_argument("--note")
    p.add_argument("--clinician", help=_WHO)
    p.set_defaults(handler=stop, quick=_quick)
    p = sub.add_parser("status", parents=[common], help="what is running now")
    p.add_argument("--clinician", help="whose timer (default: the person timing here)")
    p.set_defaults(handler=status, quick=quick_status)
    p = sub.add_parser("recover", parents=[common],
                       help="decide about timers left running when the app stopped")
    p.add_argument("entry", nargs="?", help="entry id (default: the only one waiting)")
    choice = p.add_mutually_exclusive_group()
    choice.add_argument("--keep", dest="choice", action="store_const", const="keep",
                        help="keep counting until now")
    choice.add_argument("--stop", dest="choice", action="store_const", const="stop",
                        help="stop at the last moment the app was seen alive")
    choice.add_argument("--discard", dest="choice", action="store_const", const="discard",
                        help="void the entry")
    p.add_argument("--clinician", help=_WHO)
    p.set_defaults(handler=recover)


def _via_tray(args) -> bool:
    """Done by the running tray (True), or left to this process (False)."""
    from ccm_timer.cli import tray_channel  # loaded by the commands that use it

    return tray_channel.through_tray(args)


def _plain(args) -> tuple[tuple[Any, Any, Any], ZoneInfo] | None:
    """The data folder's paths, settings, key and zone when a plain path may try, else None
    (the full path says what is wrong)."""
    from ccm_timer import paths
    from ccm_timer.services import settings

    where = paths.resolve(args.data_dir)
    if not where.settings_file.exists() or not where.database.exists():
        return None
    if not getattr(args, "clinician", None) and (where.data / paths.SIGNED_IN).exists():
        return None  # a tray may have someone signed in: the full path asks access.py
    prefs = settings.load(where.settings_file)
    try:
        zone = ZoneInfo(prefs.clinic_timezone)
    except (ValueError, KeyError):
        return None
    from ccm_timer.services.security import keys

    try:
        protection = keys.unlock(where, prefs, create=False)
    except keys.KeyUnavailable:
        return None
    import sys

    if keys.recovery_key_pending(protection) and sys.stderr.isatty():
        return None  # the full path shows it once, on a terminal (cli/security.notices)
    return (where, prefs, protection), zone


def _quick(args) -> bool:
    """The running tray does it, else a plain transaction when everything is ordinary
    (services/timing/quick_timers.py); False: take the full path."""
    if _via_tray(args):
        return True
    if args.clinician or getattr(args, "program", None):
        return False  # a password to ask, or another program's rules: the full path
    found = _plain(args)
    if found is None:
        return False
    (where, prefs, protection), zone = found
    from ccm_timer.services.timing import quick_timers

    views = quick_timers.run(args.command, where, prefs, protection,
                             patient=getattr(args, "patient", None),
                             category=getattr(args, "category", None),
                             note=getattr(args, "note", None))
    if views is None:
        return False
    if args.command == "switch":
        _print_switch(args, views[0] if len(views) == 2 else None, views[-1])
    else:
        verb = {"pause": "Paused", "resume": "Resumed", "stop": "Stopped"}.get(args.command)
        _print_entry(args, views[0], verb or f"Started at {local(views[0].start, zone)[11:]}")
    return True


def _timer(ctx: AppContext, args) -> str:
    """The id of the person the command times as (see the module's docstring)."""
    from ccm_timer.cli import secret
    from ccm_timer.core.access import Action

    who = access.timer_of(ctx, args.clinician)
    if who is None:  # someone else than the person timing here: their password
        who = secret.attest(ctx, args.clinician, Action.TIME)
    return str(who.id)


def _describe(view: EntryView) -> str:
    who = view.patient_mrn or "program-level"
    return f"{view.category_label} for {who}"


def _print_entry(args, view: EntryView, verb: str) -> None:
    if args.json:
        emit_json(view.to_dict())
    else:
        print(f"{verb}: {_describe(view)} ({duration(view.seconds)}) [{str(view.id)[:13]}]")


def start(ctx: AppContext, args) -> None:
    view = timers.start(ctx, patient_mrn=args.patient, category_slug=args.category,
                        note=args.note, clinician=_timer(ctx, args), program=args.program)
    _print_entry(args, view, f"Started at {local(view.start, ctx.zone)[11:]}")
    _warn_enrolment(ctx, view)


def _warn_enrolment(ctx: AppContext, view: EntryView) -> None:
    from ccm_timer.cli.entries import warn_enrolment

    warn_enrolment(ctx, view)


def switch(ctx: AppContext, args) -> None:
    stopped, started = timers.switch(
        ctx, patient_mrn=args.patient, category_slug=args.category, note=args.note,
        clinician=_timer(ctx, args), program=args.program,
    )
    _print_switch(args, stopped, started)
    if not args.json:
        _warn_enrolment(ctx, started)


def _print_switch(args, stopped: EntryView | None, started: EntryView) -> None:
    if args.json:
        emit_json({"stopped": stopped.to_dict() if stopped else None,
                   "started": started.to_dict()})
        return
    if stopped:
        print(f"Stopped: {_describe(stopped)} ({duration(stopped.seconds)})")
    print(f"Started: {_describe(started)} [{str(started.id)[:13]}]")


def pause(ctx: AppContext, args) -> None:
    _print_entry(args, timers.pause(ctx, _timer(ctx, args)), "Paused")


def resume(ctx: AppContext, args) -> None:
    _print_entry(args, timers.resume(ctx, _timer(ctx, args)), "Resumed")


def stop(ctx: AppContext, args) -> None:
    _print_entry(args, timers.stop(ctx, _timer(ctx, args), args.note), "Stopped")


def _print_status(args, result: Status, zone: ZoneInfo) -> None:
    if args.json:
        emit_json(result.to_dict())
        return
    if result.entry is None:
        print(f"Idle: no timer is running for {result.clinician}.")
    else:
        print(f"{result.state.capitalize()}: {_describe(result.entry)}, "
              f"{duration(result.entry.seconds)} since {local(result.entry.start, zone)}")
    if result.warning:
        print(f"Warning: {result.warning}")


def status(ctx: AppContext, args) -> None:
    who = args.clinician or access.tray_person(ctx)
    _print_status(args, timers.status(ctx, who), ctx.zone)


def quick_status(args) -> bool:
    """The running tray's answer, else one from a raw connection when everything is
    ordinary; False: take the full path."""
    if _via_tray(args):
        return True
    found = _plain(args)
    if found is None:
        return False
    (where, prefs, protection), zone = found
    from ccm_timer.services.timing import quick_status as quick

    result = quick.read_status(where, prefs, args.clinician, protection.key)
    if result is None:
        return False
    _print_status(args, result, zone)
    return True


def recover(ctx: AppContext, args) -> None:
    waiting = recovery.pending(ctx)
    if args.choice is None:
        if args.json:
            emit_json([{"entry": o.entry.to_dict(), "last_seen": o.last_seen.isoformat(),
                        "reason": o.reason, "choices": ["keep", "stop", "discard"]}
                       for o in waiting])
            return
        if not waiting:
            print("No timer needs recovery.")
            return
        table(["ENTRY", "ACTIVITY", "PATIENT", "LAST SEEN", "WHY"],
              [(str(o.entry.id)[:13], o.entry.category_label, o.entry.patient_mrn or "",
                local(o.last_seen, ctx.zone), o.reason) for o in waiting])
        print("Choose: --keep (count until now), --stop (stop at last seen) or --discard.")
        return
    ref = args.entry
    if ref is None:
        if len(waiting) != 1:
            raise UserError(
                "No timer needs recovery." if not waiting
                else "Several timers need recovery; name the entry id."
            )
        ref = str(waiting[0].entry.id)
    view = recovery.resolve(ctx, ref, args.choice, _timer(ctx, args))
    _print_entry(args, view, f"Recovered ({args.choice})")
