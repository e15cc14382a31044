"""Clinicians: who did the work, in which role (it decides which codes their minutes feed)."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlmodel import Session, col, select

from ccm_timer.core.collation import name_key
from ccm_timer.core.parse import check_text
from ccm_timer.errors import NotFound, UserError, sentence
from ccm_timer.services.context import AppContext
from ccm_timer.services.security import audit
from ccm_timer.store.models import Clinician, Role

if TYPE_CHECKING:
    from ccm_timer.services.people.access import Signer

CREDENTIALS = {
    Role.CLINICAL_STAFF: ("RN", "LPN", "MA", "CMA", "LCSW", "CNA", "PharmD", "RD"),
    Role.PRACTITIONER: ("MD", "DO", "NP", "PA", "CNS", "CNM"),
    # No clinical role: the billing office and administration (coders, billers, managers).
    Role.OFFICE: ("CPC", "CCS", "CBCS", "CPB", "RHIT", "RHIA", "Office"),
}


@dataclass(frozen=True)
class ClinicianView:
    id: uuid.UUID
    name: str
    credential: str
    role: Role
    npi: str | None
    is_default: bool = False
    incident_to: bool = False  # works incident to the billing practitioner (practitioners)
    duties: tuple[str, ...] = ()  # granted beside the role: billing, admin
    active: bool = True

    def to_dict(self) -> dict:
        return {
            "id": str(self.id),
            "name": self.name,
            "credential": self.credential,
            "role": self.role.value,
            "npi": self.npi,
            "default": self.is_default,
            "incident_to": self.incident_to,
            "duties": list(self.duties),
        }


def _view(row: Clinician, default_id: str = "") -> ClinicianView:
    return ClinicianView(
        row.id, row.name, row.credential, row.role, row.npi, str(row.id) == default_id,
        row.incident_to, tuple(d for d in row.duties.split(",") if d), row.active,
    )


def parse_role(text: str) -> Role:
    try:
        return Role(text)
    except ValueError:
        raise UserError("The role must be clinical_staff, practitioner or office (no clinical "
                        f"role), not {text!r}.") from None


def check_credential(credential: str, role: Role) -> str:
    """The credential as CREDENTIALS spells it, or ValueError saying which fit `role`."""
    credential = credential.strip()
    known = {c.upper(): c for c in CREDENTIALS[role]}
    if credential.upper() not in known:
        other = next((r for r in CREDENTIALS if r is not role and credential.upper() in
                      {c.upper() for c in CREDENTIALS[r]}), None)
        hint = f" ({credential} is a {other.value} credential)" if other else ""
        raise ValueError(f"the credential {credential!r} does not fit the role "
                         f"{role.value}{hint}; use one of {', '.join(CREDENTIALS[role])}")
    return known[credential.upper()]


def check_npi(npi: str | None) -> str | None:
    if npi is not None and not re.fullmatch(r"\d{10}", npi):
        raise ValueError(f"the NPI {npi!r} is not valid; an NPI is exactly 10 digits")
    return npi


def add(
    ctx: AppContext, *, name: str, credential: str, role: str, npi: str | None = None,
    default: bool = False, duties: tuple[str, ...] = (), by: Signer | None = None,
) -> ClinicianView:
    """Add a person: an administrator's task once the clinic has one (access.py)."""
    from ccm_timer.core.access import Action
    from ccm_timer.services.people import access

    try:
        name = check_text(name, "clinician name", 100)
    except ValueError as exc:
        raise UserError(f"Cannot add the clinician: {exc}.") from None
    the_role = parse_role(role)
    try:
        credential = check_credential(credential, the_role)
        npi = check_npi(npi)
    except ValueError as exc:
        raise UserError(sentence(exc)) from None
    granted = access.check_duties(duties)
    actor = access.require_admin(ctx, by, Action.PEOPLE)
    with ctx.write() as session:
        if session.exec(select(Clinician).where(Clinician.name == name)).first():
            raise UserError(f"A clinician named {name!r} already exists; use another name.")
        row = Clinician(name=name, credential=credential, role=the_role, npi=npi,
                        duties=",".join(granted))
        session.add(row)
        session.flush()
        audit.append(
            session, ctx=ctx, actor=actor, action="clinician.add", entity="clinician",
            entity_id=row.id, after={"name": name, "credential": row.credential,
                                     "role": the_role.value, "npi": npi,
                                     "duties": list(granted)},
        )
    if the_role is not Role.OFFICE and default:  # the setting's own check, its event
        return set_default(ctx, str(row.id), by)
    if the_role is not Role.OFFICE and not ctx.settings.default_clinician:
        # The clinic's first clinician times here until someone else is chosen: allowed
        # with the add (the setup's administrator is added before anyone could sign in).
        _record_default(ctx, row, actor)
    return _view(row, ctx.settings.default_clinician)


def list_clinicians(ctx: AppContext, *, inactive: bool = False) -> list[ClinicianView]:
    """The active people (the deactivated too, with `inactive`), by name as people read it."""
    with ctx.read() as session:
        query = select(Clinician)
        if not inactive:
            query = query.where(Clinician.active)
        rows = sorted(session.exec(query.order_by(col(Clinician.name))),
                      key=lambda r: name_key(r.name))
        return [_view(r, ctx.settings.default_clinician) for r in rows]


def find(session: Session, ctx: AppContext, name_or_id: str | None, *,
         inactive: bool = False) -> Clinician:
    """The clinician named (by name or id), or the default one; a deactivated person only
    with `inactive`."""
    if not name_or_id:
        if not ctx.settings.default_clinician:
            raise UserError(
                "No clinician is set: add one with `ccm-timer clinician add ... --default` "
                "or pass --clinician."
            )
        name_or_id = ctx.settings.default_clinician
    row = None
    try:
        row = session.get(Clinician, uuid.UUID(name_or_id))
    except ValueError:
        pass
    if row is None:
        matches = list(session.exec(select(Clinician).where(Clinician.name == name_or_id)))
        row = matches[0] if len(matches) == 1 else None
    if row is None or not (row.active or inactive):
        raise NotFound(f"There is no clinician {name_or_id!r}; see `ccm-timer clinician list`.")
    return row


def set_default(ctx: AppContext, name_or_id: str, by: Signer | None = None) -> ClinicianView:
    """The person this workstation times as when no one is signed in at a tray. A setting,
    so an administrator's once the clinic has one: timing never asks for a password, and
    whoever could change the default could time as anyone."""
    from ccm_timer.core.access import Action
    from ccm_timer.services.people import access

    with ctx.read() as session:
        row = find(session, ctx, name_or_id)
    if row.role is Role.OFFICE:
        raise UserError(f"{row.name} times no care-management work (role office); choose "
                        "a clinician.")
    if str(row.id) == ctx.settings.default_clinician:
        return _view(row, str(row.id))  # unchanged: nothing to allow (the tray's settings)
    _record_default(ctx, row, access.require_admin(ctx, by, Action.SETTINGS))
    return _view(row, str(row.id))


def _record_default(ctx: AppContext, row: Clinician, actor: str) -> None:
    before = ctx.settings.default_clinician or None
    with ctx.write() as session:  # the file written inside: a failed write leaves no event
        audit.append(session, ctx=ctx, actor=actor, action="clinician.default",
                     entity="clinician", entity_id=row.id,
                     before={"default_clinician": before},
                     after={"default_clinician": str(row.id)})
        ctx.update_settings(default_clinician=str(row.id))


def set_incident_to(ctx: AppContext, name_or_id: str, incident_to: bool,
                    by: Signer | None = None) -> ClinicianView:
    """Record whether a practitioner works incident to the billing practitioner (under their
    general supervision). The month report reads it with the clinic's setting
    other_practitioner_time: it may count their minutes on another practitioner's patient as
    clinical-staff time, never as that practitioner's own. Audited; an administrator's."""
    from ccm_timer.core.access import Action
    from ccm_timer.services.people import access

    actor = access.require_admin(ctx, by, Action.PEOPLE)
    with ctx.write() as session:
        row = find(session, ctx, name_or_id)
        if row.role is not Role.PRACTITIONER:
            raise UserError(f"{row.name} is clinical staff, whose minutes always count as "
                            "clinical-staff time; incident-to is set for practitioners only.")
        if row.incident_to != incident_to:
            before = row.incident_to
            row.incident_to = incident_to
            session.add(row)
            session.flush()
            audit.append(session, ctx=ctx, actor=actor, action="clinician.incident_to",
                         entity="clinician", entity_id=row.id,
                         before={"incident_to": before}, after={"incident_to": incident_to})
        return _view(row, ctx.settings.default_clinician)


def _billed_by(session: Session, person: Clinician) -> int:
    """How many active patients `person` is the billing practitioner of."""
    from sqlalchemy import func

    from ccm_timer.store.models import Patient

    return session.exec(select(func.count()).select_from(Patient).where(
        col(Patient.billing_practitioner_id) == person.id, Patient.active)).one()


def _live_timer(session: Session, person: Clinician) -> str:
    """"running" or "paused" when `person` has a live timer (a deactivated person's timer
    could never be stopped), else ""."""
    from ccm_timer.store.models import EntryState, TimeEntry

    state = session.exec(select(TimeEntry.state).where(
        TimeEntry.clinician_id == person.id, col(TimeEntry.superseded_at).is_(None),
        col(TimeEntry.state).in_([EntryState.RUNNING, EntryState.PAUSED]))).first()
    return "" if state is None else ("paused" if state == EntryState.PAUSED else "running")


def update(ctx: AppContext, name_or_id: str, *, name: str | None = None,
           credential: str | None = None, role: str | None = None, npi: str | None = None,
           incident_to: bool | None = None, by: Signer | None = None) -> ClinicianView:
    """Change what is recorded of a person: name, credential, role, NPI ("" removes it) and,
    for a practitioner, incident-to. An administrator's; audited with what changed. A role
    that would leave patients without a billing practitioner, or this computer's default
    clinician unable to time, is refused until that is settled."""
    from ccm_timer.core.access import Action
    from ccm_timer.services.people import access

    try:
        new_name = None if name is None else check_text(name, "clinician name", 100)
        new_npi = None if not npi else check_npi(npi.strip())
    except ValueError as exc:
        raise UserError(sentence(exc)) from None
    new_role = None if role is None else parse_role(role)
    actor = access.require_admin(ctx, by, Action.PEOPLE)
    with ctx.write() as session:
        row = find(session, ctx, name_or_id)
        before = _recorded(row)
        the_role = new_role or row.role
        try:
            row.credential = check_credential(credential or row.credential, the_role)
        except ValueError as exc:
            raise UserError(sentence(exc)) from None
        if new_name is not None and new_name != row.name:
            if session.exec(select(Clinician).where(Clinician.name == new_name)).first():
                raise UserError(f"A clinician named {new_name!r} already exists; use another "
                                "name.")
            row.name = new_name
        if the_role is not row.role:
            _may_change_role(session, ctx, row, the_role)
            row.role = the_role
        if npi is not None:
            row.npi = new_npi
        if the_role is not Role.PRACTITIONER:
            if incident_to:
                raise UserError(f"{row.name} is not a practitioner; incident-to is set for "
                                "practitioners only.")
            row.incident_to = False
        elif incident_to is not None:
            row.incident_to = incident_to
        after = _recorded(row)
        changed = [k for k in after if after[k] != before[k]]
        if changed:
            session.add(row)
            session.flush()
            audit.append(session, ctx=ctx, actor=actor, action="clinician.update",
                         entity="clinician", entity_id=row.id,
                         before={k: before[k] for k in changed},
                         after={k: after[k] for k in changed})
        return _view(row, ctx.settings.default_clinician)


def _recorded(row: Clinician) -> dict[str, str | bool | None]:
    return {"name": row.name, "credential": row.credential, "role": row.role.value,
            "npi": row.npi, "incident_to": row.incident_to}


def _may_change_role(session: Session, ctx: AppContext, row: Clinician, role: Role) -> None:
    if row.role is Role.PRACTITIONER and (bills := _billed_by(session, row)):
        raise UserError(f"{row.name} is the billing practitioner of {bills} patient(s); name "
                        "another billing practitioner for them first.")
    if role is Role.OFFICE and str(row.id) == ctx.settings.default_clinician:
        raise UserError(f"{row.name} is this computer's default clinician, who times care; "
                        "choose another default clinician first.")


def set_active(ctx: AppContext, name_or_id: str, active: bool,
               by: Signer | None = None) -> ClinicianView:
    """Deactivate (or reactivate) a person: a deactivated person cannot sign in and leaves
    the lists, and everything they did stays in the record under their name. Refused for
    the clinic's last administrator, this computer's default clinician and a practitioner
    who still bills for patients. An administrator's; audited."""
    from ccm_timer.core.access import Action, Duty
    from ccm_timer.services.people import access

    actor = access.require_admin(ctx, by, Action.PEOPLE)
    with ctx.write() as session:
        row = find(session, ctx, name_or_id, inactive=True)
        if row.active == active:
            raise UserError(f"{row.name} is already {'active' if active else 'deactivated'}.")
        if not active:
            if by is not None and by.id == row.id:
                raise UserError("You cannot deactivate yourself; another administrator "
                                "does that.")
            if Duty.ADMIN in access.duties_of(row):
                others = session.exec(select(Clinician).where(
                    Clinician.active, col(Clinician.id) != row.id))
                if not any(Duty.ADMIN in access.duties_of(o) for o in others) or (
                        access.has_admin(session)
                        and not access.has_admin(session, besides=row.id)):
                    raise UserError(f"{row.name} is the clinic's only administrator; grant "
                                    "the duty to someone else first.")
            if str(row.id) == ctx.settings.default_clinician:
                raise UserError(f"{row.name} is this computer's default clinician; choose "
                                "another default clinician first.")
            if bills := _billed_by(session, row):
                raise UserError(f"{row.name} is the billing practitioner of {bills} "
                                "patient(s); name another billing practitioner for them "
                                "first.")
            if live := _live_timer(session, row):
                raise UserError(f"{row.name} has a {live} timer; stop it (or ask them to) "
                                "before deactivating them.")
        row.active = active
        session.add(row)
        session.flush()
        audit.append(session, ctx=ctx, actor=actor,
                     action="clinician.reactivate" if active else "clinician.deactivate",
                     entity="clinician", entity_id=row.id, before={"active": not active},
                     after={"active": active})
        return _view(row, ctx.settings.default_clinician)
