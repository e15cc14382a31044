"""Who is acting, and whether they may: the person behind each change.

A `Signer` is a person as the app knows them at that moment: signed in at the tray (their
credential given at sign-in), attested (their credential given just now, for one action;
credentials.attest) or only named (the workstation's default clinician timing a call from
the command line, which never asks for a password). What each duty may do is the table in
core/access.py; this module applies it to people and patients.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass

from sqlmodel import Session, col, select

from ccm_timer import fsio
from ccm_timer.core.access import (
    DUTY_NAMES,
    GRANTED,
    RULES,
    WHAT,
    Action,
    Duty,
    duties,
    may,
    who_may,
)
from ccm_timer.errors import UserError
from ccm_timer.paths import SIGNED_IN
from ccm_timer.services.context import AppContext
from ccm_timer.services.people import clinicians
from ccm_timer.services.security import audit
from ccm_timer.services.timing import liveness
from ccm_timer.store.models import Clinician, Credential, Patient, Role


class Refused(UserError):
    """The person may not do this (their duties), or has not proven who they are."""


@dataclass(frozen=True)
class Signer:
    id: uuid.UUID
    name: str
    role: Role
    duties: frozenset[Duty]
    attested: Action | None = None  # the action their credential was given for, just now
    signed_in: bool = False  # their credential was given at the tray's sign-in

    def may(self, action: Action) -> bool:
        return may(self.duties, action)


def duties_of(row: Clinician) -> frozenset[Duty]:
    return duties(row.role.value, row.duties.split(","))


def signer_of(row: Clinician, *, attested: Action | None = None,
              signed_in: bool = False) -> Signer:
    return Signer(row.id, row.name, row.role, duties_of(row), attested, signed_in)


def named(ctx: AppContext, name_or_id: str | None) -> Signer:
    """The person named (or the default clinician), unproven: for what needs no password
    (timing, record changes), or to check a duty before asking for one."""
    with ctx.read() as session:
        return signer_of(clinicians.find(session, ctx, name_or_id))


def timing_here(ctx: AppContext) -> Signer:
    """Who this workstation times as, without a password (issue 16, point 5): the person
    signed in at a running tray, else the default clinician."""
    return named(ctx, tray_person(ctx))


def acting_here(ctx: AppContext, name_or_id: str | None, action: Action) -> Signer | None:
    """Who a command that asks no password acts as, for `action`. With no name, or the name
    of the person working here (timing_here), that person, unproven; None when the name is
    someone else's, who must then prove it with their password (credentials.attest for
    `action`): no one times, or records work, as another. Refuses in one sentence a person
    whose duties do not allow `action`, before anyone is asked for a password."""
    here: Signer | None = None
    if tray_person(ctx) is not None or ctx.settings.default_clinician:
        here = timing_here(ctx)
    wanted = named(ctx, name_or_id) if name_or_id else here
    if wanted is None:  # nobody works here and nobody was named: find() says what to do
        wanted = named(ctx, None)
    if not wanted.may(action):
        if action is Action.TIME:
            raise Refused(f"{wanted.name} has no clinical role and cannot time "
                          "care-management work; only clinical staff and practitioners "
                          "time their own work.")
        require(wanted, action)
    return wanted if here is not None and wanted.id == here.id else None


def timer_of(ctx: AppContext, name_or_id: str | None) -> Signer | None:
    """Who a timing command acts as (acting_here for Action.TIME)."""
    return acting_here(ctx, name_or_id, Action.TIME)


def has_admin(session: Session, besides: uuid.UUID | None = None) -> bool:
    """Whether an administrator who can prove it exists (`besides`: other than that person).
    Until one does, the clinic is being set up and managing people and settings is open (the
    first administrator is named with `clinician grant NAME --duty admin`)."""
    query = select(Clinician.duties).join(
        Credential, col(Credential.clinician_id) == col(Clinician.id)).where(
        Clinician.active, col(Credential.secret_hash).is_not(None))
    if besides is not None:
        query = query.where(col(Clinician.id) != besides)
    rows = session.exec(query)
    return any(Duty.ADMIN.value in duties.split(",") for duties in rows)


def require(signer: Signer, action: Action, session: Session | None = None,
            patient_id: uuid.UUID | None = None) -> None:
    """Refuse, in one sentence, what `signer` may not do; an attested action also needs the
    credential given for it. `patient_id` checks an approval's billing practitioner."""
    rule = RULES[action]
    if not signer.may(action):
        held = ", ".join(DUTY_NAMES[d] for d in Duty if d in signer.duties) or "no duty"
        raise Refused(f"{signer.name} ({held}) may not {WHAT[action]}: only {who_may(action)} "
                      "may; ask an administrator to grant the duty if it is theirs.")
    if rule.attested and signer.attested is not action:
        raise Refused(f"To {WHAT[action]}, {signer.name} must give their password at that "
                      "moment; on the command line pass --as NAME and type it when asked.")
    if action is Action.APPROVE and patient_id is not None and session is not None:
        patient = session.get(Patient, patient_id)
        billing = patient.billing_practitioner_id if patient else None
        if billing is not None and billing != signer.id:
            owner = session.get(Clinician, billing)
            raise Refused(f"{signer.name} is not the billing practitioner of patient "
                          f"{patient.mrn if patient else '?'}; "
                          f"{owner.name if owner else 'their billing practitioner'} approves "
                          "that patient's month.")


def require_admin(ctx: AppContext, signer: Signer | None, action: Action) -> str:
    """Managing people or settings: an administrator, or anyone while the clinic has none
    (setting up). Returns the name to audit the change under."""
    with ctx.read() as session:
        open_setup = not has_admin(session)
    if open_setup:
        return signer.name if signer else "setup"
    if signer is None:
        raise Refused(f"Only an administrator may {WHAT[action]}: pass --as with an "
                      "administrator's name and type their password when asked.")
    require(signer, action)
    if not (signer.attested or signer.signed_in):
        raise Refused(f"{signer.name} must give their password to {WHAT[action]}.")
    return signer.name


def check_duties(duties: tuple[str, ...]) -> tuple[str, ...]:
    """The granted duties named (billing, admin), checked and sorted."""
    known = {d.value for d in GRANTED}
    wrong = [d for d in duties if d not in known]
    if wrong:
        raise UserError(f"The duty must be billing or admin, not {wrong[0]!r}; clinical "
                        "duties follow the person's role.")
    return tuple(sorted(set(duties)))


def grant(ctx: AppContext, name_or_id: str, duty: str, granted: bool,
          by: Signer | None) -> frozenset[Duty]:
    """Give (or take back) the billing-office or administrator duty. Audited."""
    [name] = check_duties((duty,))
    the_duty = Duty(name)
    actor = require_admin(ctx, by, Action.PEOPLE)
    with ctx.write() as session:
        row = clinicians.find(session, ctx, name_or_id)
        before = duties_of(row)
        held = {d for d in row.duties.split(",") if d}
        if granted:
            held.add(the_duty.value)
        else:
            if the_duty is Duty.ADMIN and the_duty.value in held:
                _keep_one_admin(session, row)
            held.discard(the_duty.value)
        row.duties = ",".join(sorted(held))
        session.add(row)
        session.flush()
        after = duties_of(row)
        if after != before:
            audit.append(session, ctx=ctx, actor=actor, action="clinician.duties",
                         entity="clinician", entity_id=row.id,
                         before={"duties": sorted(before)}, after={"duties": sorted(after)})
        return after


def _keep_one_admin(session: Session, leaving: Clinician) -> None:
    others = session.exec(select(Clinician).where(Clinician.active,
                                                  col(Clinician.id) != leaving.id))
    if not any(Duty.ADMIN in duties_of(o) for o in others):
        raise UserError(f"{leaving.name} is the clinic's only administrator; grant the duty "
                        "to someone else first.")
    # Leaving only administrators without a password would reopen the set-up (has_admin):
    # anyone could then grant themselves the duty.
    if has_admin(session) and not has_admin(session, besides=leaving.id):
        raise UserError(f"{leaving.name} is the clinic's only administrator with a password; "
                        "another administrator must set theirs first.")


# Who is signed in at this workstation's tray, for the command line's timing commands
# (which never ask for a password). The tray writes it at sign-in and removes it at sign-out
# and quit; a tray that died leaves it, and its process id then shows it stale.


def remember_signed_in(ctx: AppContext, signer: Signer | None) -> None:
    path = ctx.paths.data / SIGNED_IN
    if signer is None:
        path.unlink(missing_ok=True)
        return
    fsio.write_atomic(path, json.dumps({"id": str(signer.id), "pid": os.getpid()}).encode(),
                      mode=0o600)


def tray_person(ctx: AppContext) -> str | None:
    """The id of the person signed in at a running tray, or None."""
    try:
        found = json.loads((ctx.paths.data / SIGNED_IN).read_text(encoding="utf-8"))
        person, pid = str(found["id"]), int(found["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return person if liveness.pid_alive(pid) else None
