"""Passwords on the command line: typed at a hidden prompt on a terminal, or one line each
from standard input otherwise (a script pipes it). Never an argument: arguments show in
`ps` and in the shell's history."""

from __future__ import annotations

import getpass
import sys
from typing import TYPE_CHECKING

from ccm_timer.cli.lazy import lazy
from ccm_timer.errors import UserError

if TYPE_CHECKING:
    from ccm_timer.core.access import Action
    from ccm_timer.services.context import AppContext
    from ccm_timer.services.people.access import Signer

credentials = lazy("ccm_timer.services.security.credentials")
access = lazy("ccm_timer.services.people.access")


def read_secret(prompt: str, *, twice: bool = False) -> str:
    if sys.stdin is not None and sys.stdin.isatty():
        first = getpass.getpass(prompt)
        if twice and getpass.getpass("Type it again: ") != first:
            raise UserError("The two passwords differ; nothing was changed.")
        return first
    line = sys.stdin.readline() if sys.stdin is not None else ""
    if not line:
        raise UserError("No password was given: type it when asked, or give it as one line "
                        "on standard input.")
    return line.rstrip("\r\n")


def acting(ctx: AppContext, name: str | None) -> str:
    """Who acts: the name given with --as, or the person signed in at the tray, or the
    workstation's default clinician."""
    if name:
        return name
    return access.timing_here(ctx).name


def acting_signer(ctx: AppContext, name: str | None, action: Action) -> Signer:
    """The acting person (see `acting`) once their duties allow `action`: the one place a
    command that changes a patient's record (Action.RECORD, not attested) checks who may,
    before anything is read or written. The person working here acts unproven; naming anyone
    else (`careplan review --as "Dr Blake Test"`) asks for that person's password, so no one
    records work under a colleague's name."""
    if not name and access.tray_person(ctx) is None and not ctx.settings.default_clinician:
        raise UserError("Nobody is signed in here to change the record: sign in at the tray, "
                        "or make a clinician this workstation's default (`ccm-timer clinician "
                        "default NAME`); nothing was changed.")
    who = access.acting_here(ctx, name, action)
    if who is None:  # someone other than the person working here is named: they prove it
        name = access.named(ctx, name).name
        return credentials.attest(ctx, name, read_secret(f"Password for {name}: "), action)
    return who


def attest(ctx: AppContext, name: str | None, action: Action) -> Signer:
    """The acting person (see `acting`) proven for `action` with the password typed now."""
    who = acting(ctx, name)
    unproven = access.named(ctx, who)
    if not unproven.may(action):  # a nurse approving is refused before any prompt
        access.require(unproven, action)
    return credentials.attest(ctx, who, read_secret(f"Password for {who}: "), action)


def admin(ctx: AppContext, name: str | None) -> Signer | None:
    """The administrator named with --as, proven; None when no --as was given (the services
    then allow it only while the clinic has no administrator yet)."""
    if not name:
        return None
    return credentials.verify(ctx, name, read_secret(f"Password for {name}: "))
