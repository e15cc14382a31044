"""The command line's timing commands and month report, done by the running tray (issue 18,
points 1 and 2).

`ccm-timer start|stop|pause|resume|switch|status` and `ccm-timer report --month` reach the
tray over its single-instance server (ui/single_instance.py; the protocol in
cli/tray_channel.py). The tray runs the command line's own handlers (cli/timing.py,
cli/report.py) on its open database, as the person signed in here, so the words, the JSON
and the errors are the command's own; then, once a timing command's answer is written,
the controller reads the state again, so the icon and menu change at once instead of
after the file watch. Loaded on the first request, never at the tray's start.

A report is done here only while the month rollup is built (store/month_rollup.py): it then
costs the tray's event loop a read per patient (0.2 s at 2,000 patients and a million
entries). Unbuilt (an import under way, a zone just changed) the month is counted from
its entries, seconds of work that the command line does in its own process instead.

A command naming someone else with `--clinician` is handed back: it needs that person's
password, which the command line asks for itself (timing never asks one of the person
working here).
"""

from __future__ import annotations

import argparse
import io
import logging
from contextlib import redirect_stderr, redirect_stdout
from typing import Any

from PySide6.QtCore import QTimer

from ccm_timer.cli import report, timing, tray_channel
from ccm_timer.cli.args import month_arg
from ccm_timer.errors import UserError
from ccm_timer.services.context import month_rollup_built
from ccm_timer.services.people import access
from ccm_timer.services.security import lost_commits
from ccm_timer.ui.controller import TimerController

log = logging.getLogger("ccm_timer.tray")
BACK: dict[str, Any] = {"ok": False, "fallback": True}
HANDLERS = {"start": timing.start, "switch": timing.switch, "pause": timing.pause,
            "resume": timing.resume, "stop": timing.stop, "status": timing.status,
            "report": report.show}
READS = ("status", "report")  # the commands that change nothing the tray shows
# What each command's parser gives (cli/timing.register, cli/report.register); anything
# else is handed back.
ARGS = {"start": ("patient", "category", "note", "program", "clinician"),
        "stop": ("note", "clinician"), "status": ("clinician",),
        "report": ("month", "patient", "csv")}
ARGS["switch"] = ARGS["start"]
ARGS["pause"] = ARGS["resume"] = ("clinician",)
UNEXPECTED = ("CCM Timer could not do this; your recorded time is safe. Try again, and if it "
              "happens again, send the tray's log to your administrator.")


def _namespace(command: str, given: Any) -> argparse.Namespace | None:
    """The request's arguments as the command's parser leaves them; None when they are not
    (another version's fields): the command line then does the command itself."""
    if not isinstance(given, dict) or set(given) - {*ARGS[command], "json"}:
        return None
    values: dict[str, Any] = {name: given.get(name) for name in ARGS[command]}
    if command == "report":
        return _report_args(values, given.get("json") is True)
    if any(v is not None and not isinstance(v, str) for v in values.values()):
        return None
    if command in ("start", "switch"):
        if not values["category"]:
            return None
        values["note"] = values["note"] or ""
    return argparse.Namespace(command=command, json=given.get("json") is True, **values)


def _report_args(values: dict[str, Any], as_json: bool) -> argparse.Namespace | None:
    month, patient = values["month"], values["patient"]
    if (not isinstance(month, str) or not isinstance(values["csv"], bool)
            or (patient is not None and not isinstance(patient, str))):
        return None
    try:
        values["month"] = month_arg(month)
    except argparse.ArgumentTypeError:
        return None  # the command line's parser says what is wrong with it
    return argparse.Namespace(command="report", json=as_json, hub=None, **values)


def refresh_after_answer(controller: TimerController) -> None:
    """The tray reads the state again as soon as the answer is written: the handler's
    transaction is committed already, and the command line need not wait the refresh's
    own reads (tens of ms) for its answer. A zero timer runs on the event loop's next turn,
    after single_instance writes the reply in this one; none fires into a deleted or shut
    down tray (its database may be closed by then)."""

    def refresh() -> None:
        if not controller.closed:
            controller.refresh()

    QTimer.singleShot(0, controller, refresh)


def answer(controller: TimerController, request: dict[str, Any]) -> dict[str, Any]:
    """Do one request and say what the command would have printed and how it ended."""
    command = request.get("command")
    if command not in HANDLERS:
        return BACK  # a newer command line's command: it does it itself
    args = _namespace(str(command), request.get("args"))
    if args is None:
        return BACK
    if command == "report" and not month_rollup_built(controller.ctx):
        return BACK  # counted from the entries: seconds the tray's window would freeze
    ctx = controller.ctx
    out, err = io.StringIO(), io.StringIO()
    changed = command not in READS
    ran = False  # the handler was called: the tray shows what it did, or did not do
    try:
        if changed and args.clinician and access.timer_of(ctx, args.clinician) is None:
            return BACK  # someone else's timer: their password, asked by the command line
        # The handler's print() is captured; this runs on the event loop's thread, and no
        # other thread of the tray prints.
        ran = True
        with redirect_stdout(out), redirect_stderr(err):
            for line in (ctx.read_only, lost_commits.warning(ctx.paths)):
                if line:
                    print(f"ccm-timer: warning: {line}", file=err)
            HANDLERS[command](ctx, args)
    except UserError as exc:
        return {"ok": False, "error": str(exc), "code": 1, "out": out.getvalue(),
                "err": err.getvalue()}
    except Exception:
        log.error("a command line request failed", exc_info=True)  # types only (launch.py)
        return {"ok": False, "error": UNEXPECTED, "code": 1, "out": out.getvalue(),
                "err": err.getvalue()}
    finally:
        if changed and ran:
            refresh_after_answer(controller)
    # A report's document is not parsed again: megabytes at 2,000 patients, sent twice.
    document = args.json and command != "report"
    return {"ok": True, "out": out.getvalue(), "err": err.getvalue(),
            "json": tray_channel.parsed_json(out.getvalue()) if document else None}
