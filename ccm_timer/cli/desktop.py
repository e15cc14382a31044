"""`install-desktop-entry`: the application menu entry and icon on a Linux desktop."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from ccm_timer.cli.output import emit_json
from ccm_timer.errors import UserError

if TYPE_CHECKING:  # SQLAlchemy is not imported on the command line's fast path
    from ccm_timer.services.context import AppContext


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "install-desktop-entry", parents=[common],
        help="add CCM Timer to the application menu (Linux): the entry and its icon")
    p.add_argument("--remove", action="store_true", help="take the entry and icon away again")
    # No database is needed: the quick hook does all the work.
    p.set_defaults(handler=_never, quick=install_desktop_entry)


def _never(ctx: AppContext, args) -> None:  # the quick hook always answers
    raise UserError("This command cannot run here.")


def install_desktop_entry(args: argparse.Namespace) -> bool:
    from ccm_timer.platform import autostart, desktop_entry

    if not sys.platform.startswith("linux"):
        raise UserError("install-desktop-entry is for Linux desktops; on Windows and macOS "
                        "the installer adds CCM Timer to the start menu or Applications.")
    if args.remove:
        removed = desktop_entry.remove()
        if args.json:
            emit_json({"removed": [str(p) for p in removed]})
        elif removed:
            print("Removed " + " and ".join(str(p) for p in removed) + ".")
        else:
            print("There was no CCM Timer menu entry to remove.")
        if autostart.is_enabled():
            print("Start at login is still on; turn it off in the tray's settings.",
                  file=sys.stderr)
        return True
    # The menu starts the app the way this command was run: this bundle, or this Python,
    # with the same --data-dir when one was given.
    done = desktop_entry.install(autostart.command(args.data_dir))
    if args.json:
        emit_json({"entry": str(done.entry), "icon": str(done.icon)})
    else:
        print(f"Added CCM Timer to the application menu: {done.entry} (icon {done.icon}).")
    return True
