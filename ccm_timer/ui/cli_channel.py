"""The command line's timing commands, done by the running tray (issue 18, point 1).

`ccm-timer start|stop|pause|resume|switch|status` reach the tray over its single-instance
server (ui/single_instance.py; the protocol in cli/tray_channel.py). The tray runs the
command line's own handlers (cli/timing.py) on its open database, as the person signed in
here, so the words, the JSON and the errors are the command's own; then, once the answer
is written, the controller reads the state again, so the icon and menu change at once
instead of after the file watch. Loaded on the first request, never at the tray's start.

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

from ccm_timer.cli import timing, tray_channel
from ccm_timer.errors import UserError
from ccm_timer.services.people import access
from ccm_timer.services.security import lost_commits
from ccm_timer.ui.controller import TimerController

log = logging.getLogger("ccm_timer.tray")
BACK: dict[str, Any] = {"ok": False, "fallback": True}
HANDLERS = {"start": timing.start, "switch": timing.switch, "pause": timing.pause,
            "resume": timing.resume, "stop": timing.stop, "status": timing.status}
# What each command's parser gives (cli/timing.register); anything else is handed back.
ARGS = {"start": ("patient", "category", "note", "program", "clinician"),
        "stop": ("note", "clinician"), "status": ("clinician",)}
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
    if any(v is not None and not isinstance(v, str) for v in values.values()):
        return None
    if command in ("start", "switch"):
        if not values["category"]:
            return None
        values["note"] = values["note"] or ""
    return argparse.Namespace(command=command, json=given.get("json") is True, **values)


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
    ctx = controller.ctx
    out, err = io.StringIO(), io.StringIO()
    changed = command != "status"
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
    return {"ok": True, "out": out.getvalue(), "err": err.getvalue(),
            "json": tray_channel.parsed_json(out.getvalue()) if args.json else None}
