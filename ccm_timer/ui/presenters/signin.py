"""Who may sign in at the tray, and what a refused sign-in means for the dialog: the people
to choose from (office-role people too), their sign-in state, and the seconds to wait after
wrong passwords. Qt-free, so the wording is tested without a screen."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ccm_timer.core.access import DUTY_NAMES, Action, Duty
from ccm_timer.core.access import duties as access_duties
from ccm_timer.errors import UserError
from ccm_timer.services.context import AppContext
from ccm_timer.services.people import clinicians
from ccm_timer.services.people.access import Signer
from ccm_timer.services.security import credentials
from ccm_timer.ui.presenters.gui_words import error_text

_WAIT = re.compile(r"^Wait (\d+) seconds? ")


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    credential: str
    duties: tuple[str, ...]  # in words: "clinical staff", "administrator"
    has_secret: bool
    state: str  # "password set", "no password yet", "locked until 14:05"

    @property
    def label(self) -> str:
        return f"{self.name}, {self.credential}" if self.credential else self.name


def people(ctx: AppContext) -> list[Person]:
    """Every active person, by name, with their sign-in state (never the credential)."""
    states = credentials.sign_in_states(ctx)
    out = []
    for c in clinicians.list_clinicians(ctx):
        state = states.get(str(c.id)) or credentials.SignInState(False)
        duties = access_duties(c.role.value, c.duties)
        out.append(Person(str(c.id), c.name, c.credential,
                          tuple(DUTY_NAMES[d] for d in Duty if d in duties),
                          state.has_secret, state.describe(ctx.zone)))
    return out


def admins(found: list[Person]) -> list[Person]:
    """The administrators who can prove it: once there is one, a first password is set
    with one of them present (credentials.set_secret)."""
    return [p for p in found if DUTY_NAMES[Duty.ADMIN] in p.duties and p.has_secret]


def wait_seconds(refusal: str) -> int | None:
    """The seconds a "Wait N seconds before trying…" refusal asks for; None for another."""
    found = _WAIT.match(refusal)
    return int(found.group(1)) if found else None


def time_refusal(signer: Signer | None) -> str | None:
    """Why the tray may not start or stop a timer now, as a sentence; None when it may."""
    if signer is None:
        return "Sign in first: the tray times the person signed in."
    if not signer.may(Action.TIME):
        return (f"{signer.name} is signed in with no clinical role, so their sign-in does "
                "not time care; a nurse or practitioner signs in to time.")
    return None


def set_password_intro(ctx: AppContext, name: str) -> str:
    shortest = max(credentials.FLOOR, ctx.settings.credential_min_length)
    return (f"{name} has no password yet. Choose one now, typed twice: at least {shortest} "
            "characters, not one repeated character and not part of your name. Until you "
            "set one you can time, but not approve, correct or export.")


def witness_intro(name: str) -> str:
    return (f"The clinic has an administrator: one of them chooses their name below and types "
            f"their own password while {name} chooses one.")


def check_new(ctx: AppContext, name: str, first: str, again: str) -> str | None:
    """Why the two new passwords typed cannot be set, as a sentence; None when they can."""
    if first != again:
        return "The two passwords differ; type the same one twice."
    problem = credentials.policy_problem(ctx, name, first)
    return f"That password cannot be used: {problem}." if problem else None


def safe(call, *args, **kwargs) -> tuple[object, str | None]:
    """(result, None), or (None, the sentence) for a refusal the user must act on."""
    try:
        return call(*args, **kwargs), None
    except UserError as exc:
        return None, error_text(exc)
