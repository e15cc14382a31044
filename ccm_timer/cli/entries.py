"""`entry add`, `entry list`, `entry edit`, `entry void` and `entry history`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from ccm_timer.cli import audit, secret
from ccm_timer.cli.args import month_arg
from ccm_timer.cli.lazy import lazy
from ccm_timer.cli.output import duration, emit_json, local, table
from ccm_timer.core.access import Action  # a plain enum: nothing else is loaded
from ccm_timer.core.parse import parse_instant
from ccm_timer.errors import UserError

if TYPE_CHECKING:  # SQLAlchemy is not imported on the command line's fast path
    from ccm_timer.services.context import AppContext

entries = lazy("ccm_timer.services.timing.entries")
checks = lazy("ccm_timer.services.timing.entry_checks")
categories = lazy("ccm_timer.services.timing.categories")
entry_import = lazy("ccm_timer.services.timing.entry_import")


def warn_enrolment(ctx: AppContext, view) -> None:
    """Time toward a program the patient is not enrolled in is recorded, and said on
    standard error: it would count toward no bill until corrected."""
    warning = categories.entry_warning(ctx, view.id)
    if warning:
        print(f"Warning: {warning} Choose an activity of one of their programs "
              "(`ccm-timer category list`), or enroll them.", file=sys.stderr)


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    entry = sub.add_parser("entry", help="add, list, edit and void time entries")
    esub = entry.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = esub.add_parser("add", parents=[common], help="add time by hand")
    p.add_argument("--patient")
    p.add_argument("--category", required=True)
    p.add_argument("--start", required=True, help="YYYY-MM-DDTHH:MM (clinic time) or ISO 8601")
    p.add_argument("--end", required=True)
    p.add_argument("--clinician")
    p.add_argument("--note", default="")
    p.add_argument("--program")
    p.add_argument("--yes", action="store_true", help="keep an entry over 12 hours without "
                   "asking")
    p.set_defaults(handler=add)
    p = esub.add_parser("list", parents=[common], help="list entries")
    p.add_argument("--month", type=month_arg, help="YYYY-MM")
    p.add_argument("--patient")
    p.add_argument("--clinician")
    p.add_argument("--voided", action="store_true", help="include voided entries")
    p.set_defaults(handler=list_)
    p = esub.add_parser("edit", parents=[common], help="correct an entry (keeps the original)")
    p.add_argument("id")
    p.add_argument("--reason", required=True)
    p.add_argument("--patient")
    p.add_argument("--category")
    p.add_argument("--start")
    p.add_argument("--end")
    p.add_argument("--note")
    p.add_argument("--clinician", help="who did the work")
    _corrector(p)
    p.add_argument("--program")
    p.add_argument("--yes", action="store_true", help="keep an entry over 12 hours without "
                   "asking")
    p.set_defaults(handler=edit)
    p = esub.add_parser("void", parents=[common], help="void an entry (keeps the original)")
    p.add_argument("id")
    p.add_argument("--reason", required=True)
    _corrector(p)
    p.set_defaults(handler=void)
    p = esub.add_parser("history", parents=[common], help="every version of an entry")
    p.add_argument("id")
    p.set_defaults(handler=history)
    p = esub.add_parser("import", parents=[common], help="import entries from a CSV file: "
                        "mrn,category,clinician,start,end[,note]; all rows or none")
    p.add_argument("file", help="CSV, UTF-8; times YYYY-MM-DDTHH:MM (clinic time) or ISO "
                   "8601 with an offset")
    p.add_argument("--yes", action="store_true", help="keep entries over 12 hours")
    p.set_defaults(handler=import_)


def _corrector(p: argparse.ArgumentParser) -> None:
    p.add_argument("--as", dest="as_name", metavar="NAME",
                   help="who makes the change (default: the person signed in at the tray, "
                   "else the default clinician): their own entry, or one on a patient they "
                   "bill for; their password is asked, on the terminal or as one line of "
                   "standard input, never as an argument")
    p.add_argument("--by", dest="as_name", help=argparse.SUPPRESS)  # before sign-in's --as


def _attested(ctx: AppContext, args):
    """The corrector, proven by their password, once the reason and the entry are known to
    be right: a mistyped id is not worth a password (nor a failed-attempt count)."""
    checks.reason(args.reason)
    entries.history(ctx, args.id)  # "There is no entry ..." before asking
    return secret.attest(ctx, args.as_name, Action.CORRECT_ENTRY)


def _instant(ctx: AppContext, text: str | None, what: str):
    if text is None:
        return None
    try:
        return parse_instant(text, ctx.zone)
    except ValueError as exc:
        raise UserError(f"The {what} time is wrong: {exc}.") from None


def _rows(ctx: AppContext, views):
    return [
        (str(v.id)[:13], local(v.start, ctx.zone), duration(v.seconds), v.patient_mrn or "-",
         v.category, v.clinician, v.source, f"v{v.version}" + (" VOID" if v.voided else ""),
         v.note.replace("\n", " ")[:40])
        for v in views
    ]


HEADERS = ["ID", "START", "TIME", "PATIENT", "CATEGORY", "CLINICIAN", "SOURCE", "VER", "NOTE"]


def _print(ctx: AppContext, args, view, verb: str) -> None:
    if args.json:
        emit_json(view.to_dict())
    else:
        print(f"{verb} entry {str(view.id)[:13]} (version {view.version}): "
              f"{view.category_label}, {duration(view.seconds)}.")


def _confirmed(args, save: Callable, nothing: str):
    """save(long_ok): an entry over 12 hours is asked about on a terminal; elsewhere it
    needs --yes. `nothing`: what is said when the person says no."""
    try:
        return save(args.yes)
    except checks.LongEntry as exc:
        if sys.stdin is None or not sys.stdin.isatty():
            raise UserError(f"This entry would be {exc.length_text} long, more than "
                            f"{exc.limit_text}; check the start and end, or pass --yes to "
                            "keep it as it is.") from None
        try:
            answer = input(f"This entry would be {exc.length_text} long, more than "
                           f"{exc.limit_text}. Keep it? [y/N] ")
        except EOFError:
            answer = ""
        if answer.strip().lower() not in ("y", "yes"):
            raise UserError(f"{nothing}; check the start and end.") from None
        return save(True)


def add(ctx: AppContext, args) -> None:
    start, end = _instant(ctx, args.start, "start"), _instant(ctx, args.end, "end")
    view = _confirmed(args, lambda long_ok: entries.add_manual(
        ctx, patient_mrn=args.patient, category_slug=args.category, start=start, end=end,
        clinician=args.clinician, note=args.note, program=args.program, long_ok=long_ok,
    ), "Nothing was added")
    _print(ctx, args, view, "Added")
    warn_enrolment(ctx, view)


def list_(ctx: AppContext, args) -> None:
    views = entries.list_entries(ctx, month=args.month, patient_mrn=args.patient,
                                 clinician=args.clinician, include_voided=args.voided)
    audit.read(ctx, "ENTRIES", month=args.month, mrn=args.patient, detail="entry list")
    if args.json:
        emit_json([v.to_dict() for v in views])
        return
    if not views:
        print("No entries.")
        return
    table(HEADERS, _rows(ctx, views))
    print(f"{len(views)} entries, {duration(sum(v.seconds for v in views if not v.voided))} "
          "in total.")


def edit(ctx: AppContext, args) -> None:
    start, end = _instant(ctx, args.start, "start"), _instant(ctx, args.end, "end")
    long_ok = args.yes
    if start is not None or end is not None:  # asked about before the password, not after
        was = entries.history(ctx, args.id)[-1]
        new_start, new_end = start or was.start, end or was.end
        if new_start is not None and new_end is not None and new_end > new_start:
            long_ok = _confirmed(args, lambda ok: checks.confirmed(new_start, new_end, ok)
                                 or True, "Nothing was changed")
    by = _attested(ctx, args)
    view = entries.edit(
        ctx, args.id, reason=args.reason, patient_mrn=args.patient,
        category_slug=args.category, start=start, end=end, note=args.note,
        clinician=args.clinician, by=by, program=args.program, long_ok=long_ok,
    )
    _print(ctx, args, view, "Edited")
    if args.patient or args.category or args.program:
        warn_enrolment(ctx, view)


def void(ctx: AppContext, args) -> None:
    by = _attested(ctx, args)
    _print(ctx, args, entries.void(ctx, args.id, reason=args.reason, by=by), "Voided")


def history(ctx: AppContext, args) -> None:
    views = entries.history(ctx, args.id)
    audit.read(ctx, "ENTRIES", mrn=views[-1].patient_mrn, detail="entry history")
    if args.json:
        emit_json([v.to_dict() for v in views])
        return
    table(HEADERS + ["REASON"],
          [(*row, v.change_reason or v.void_reason or "")
           for row, v in zip(_rows(ctx, views), views, strict=True)])


class _Progress:
    """A bar on standard error, only on a terminal (a pipe or a log gets none)."""

    WIDTH = 30

    def __init__(self) -> None:
        self.tty = sys.stderr is not None and sys.stderr.isatty()
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        if self.tty:
            self.shown = True
            filled = self.WIDTH * done // max(total, 1)
            sys.stderr.write(f"\rImporting [{'#' * filled}{'.' * (self.WIDTH - filled)}] "
                             f"{done:,}/{total:,}")
            sys.stderr.flush()

    def end(self) -> None:
        if self.shown:
            sys.stderr.write("\n")


def import_(ctx: AppContext, args) -> None:
    from pathlib import Path

    progress = _Progress()
    try:
        result = entry_import.import_file(ctx, Path(args.file), long_ok=args.yes,
                                          on_batch=progress)
    except entry_import.ImportRefused as exc:
        if args.json:
            emit_json({"imported": 0, "problems": [{"line": line, "reason": why}
                                                   for line, why in exc.problems]})
        raise
    finally:
        progress.end()
    if args.json:
        emit_json(entry_import.describe(result))
    else:
        print(f"Imported {result.imported:,} entries.")
