"""A new clinic's first steps, as the setup window takes them (issue 17): its name and time
zone, its first administrator (signed in at once), and its people, each with a password or
none yet (they choose one at their first sign-in, with an administrator present).

Each step checks everything before it writes, so a refused step leaves nothing behind.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from functools import cache

from ccm_timer.core.access import Action, Duty
from ccm_timer.core.parse import check_text
from ccm_timer.errors import UserError, sentence
from ccm_timer.services.context import AppContext
from ccm_timer.services.people import access, clinicians
from ccm_timer.services.people.access import Refused, Signer
from ccm_timer.services.security import audit, credentials
from ccm_timer.store.models import Role

ROLE_WORDS = {
    Role.CLINICAL_STAFF: "Clinical staff",
    Role.PRACTITIONER: "Practitioner (bills)",
    Role.OFFICE: "Office (no clinical role)",
}


@cache
def zones() -> tuple[str, ...]:
    """Every IANA zone this computer knows, "America/Chicago" style, sorted."""
    return tuple(sorted(z for z in zoneinfo.available_timezones()
                        if "/" in z and not z.startswith(("Etc/", "SystemV/", "posix/",
                                                          "right/")))
                 ) + ("UTC",)


_UTC = {"Etc/UTC", "Etc/UCT", "Etc/Universal", "Etc/Zulu", "Etc/GMT", "Etc/Greenwich",
        "UCT", "Universal", "Zulu", "GMT", "Greenwich"}


def listed(name: str) -> str:
    """`name` as the list spells it ("Etc/UTC", what many computers say, is "UTC"), or ""
    when the list has no such zone."""
    name = name.strip()
    if name in _UTC:
        return "UTC"
    return name if name in zones() else ""


def needed(ctx: AppContext) -> bool:
    """Whether the clinic has nobody yet (the tray's setup state)."""
    return not clinicians.list_clinicians(ctx)


def has_admin(ctx: AppContext) -> bool:
    with ctx.read() as session:
        return access.has_admin(session)


def policy(ctx: AppContext) -> str:
    """The clinic's password rule, as the form shows it."""
    shortest = max(credentials.FLOOR, ctx.settings.credential_min_length)
    return (f"At least {shortest} characters, not one repeated character and not part of "
            "the person's name.")


def save_clinic(ctx: AppContext, by: Signer | None, *, name: str, zone: str) -> None:
    """The clinic's name and time zone (the calendar its billing months follow). Audited;
    an administrator's once the clinic has one."""
    try:
        name = check_text(name, "clinic name", 100) if name.strip() else ""
    except ValueError as exc:
        raise UserError(sentence(exc)) from None
    zone = listed(zone)
    if not zone:
        raise UserError("Choose the clinic's time zone from the list, for example "
                        "America/Chicago.")
    before = {"clinic_name": ctx.settings.clinic_name,
              "clinic_timezone": ctx.settings.clinic_timezone if ctx.zone_chosen else ""}
    after = {"clinic_name": name, "clinic_timezone": zone}
    if before == after:
        return
    actor = access.require_admin(ctx, by, Action.SETTINGS)
    with ctx.write() as session:  # the file written inside the event's transaction
        audit.append(session, ctx=ctx, actor=actor, action="settings.change",
                     entity="settings", entity_id=ctx.workstation, before=before, after=after)
        ctx.update_settings(clinic_name=name, clinic_timezone=zone)


@dataclass(frozen=True)
class Person:
    """One person as the setup form gives them."""

    name: str
    role: Role
    credential: str
    npi: str | None = None
    password: str | None = None  # None: they choose it at their first sign-in
    again: str | None = None


def _check_password(ctx: AppContext, person: Person) -> None:
    if person.password is None:
        return
    if person.password != person.again:
        raise UserError("The two passwords differ; type the same password twice.")
    problem = credentials.policy_problem(ctx, person.name.strip(), person.password)
    if problem:
        raise UserError(f"That password cannot be used: {problem}.")


def _check(ctx: AppContext, person: Person) -> None:
    """What clinicians.add would refuse, before anything is written."""
    try:
        check_text(person.name, "name", 100)
        clinicians.check_credential(person.credential, person.role)
        if person.role is Role.PRACTITIONER and not (person.npi or "").strip():
            raise ValueError("a practitioner needs their NPI (10 digits) to bill")
        clinicians.check_npi((person.npi or "").strip() or None)
    except ValueError as exc:
        raise UserError(sentence(exc)) from None
    _check_password(ctx, person)


def create_admin(ctx: AppContext, person: Person) -> Signer:
    """The clinic's first administrator, with their password, signed in (the setup goes on
    as them). Refused once the clinic has an administrator."""
    if person.password is None:
        raise UserError("The administrator needs a password now; type it twice.")
    _check(ctx, person)
    if has_admin(ctx):
        raise Refused("The clinic already has an administrator; sign in as them to add "
                      "people.")
    view = clinicians.add(ctx, name=person.name, credential=person.credential,
                          role=person.role.value, npi=(person.npi or "").strip() or None,
                          duties=(Duty.ADMIN.value,))
    credentials.set_secret(ctx, str(view.id), person.password)
    return credentials.verify(ctx, str(view.id), person.password)


def add_person(ctx: AppContext, by: Signer | None, person: Person) -> clinicians.ClinicianView:
    """A clinician or office person, added by the administrator `by`, with their password
    when one is given."""
    _check(ctx, person)
    access.require_admin(ctx, by, Action.PEOPLE)  # refused before the name is taken
    view = clinicians.add(ctx, name=person.name, credential=person.credential,
                          role=person.role.value, npi=(person.npi or "").strip() or None,
                          by=by)
    if person.password is not None:
        credentials.set_secret(ctx, str(view.id), person.password, admin=by)
    return view


@dataclass(frozen=True)
class PersonLine:
    name: str
    what: str  # "RN, clinical staff · password set"


def people(ctx: AppContext) -> list[PersonLine]:
    """Everyone added so far, as the setup lists them."""
    states = credentials.sign_in_states(ctx)
    out = []
    for view in clinicians.list_clinicians(ctx):
        state = states.get(str(view.id))
        told = "password set" if state and state.has_secret else \
            "chooses a password at first sign-in"
        admin = ", administrator" if Duty.ADMIN.value in view.duties else ""
        out.append(PersonLine(view.name, f"{view.credential}, "
                              f"{ROLE_WORDS[view.role].split(' (')[0].lower()}{admin} · {told}"))
    return out

