"""Clinicians: who did the work, in which role (it decides which codes their minutes feed)."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from sqlmodel import Session, col, select

from ccm_timer.core.parse import check_text
from ccm_timer.errors import NotFound, UserError, sentence
from ccm_timer.services.context import AppContext
from ccm_timer.services.security import audit
from ccm_timer.store.models import Clinician, Role

CREDENTIALS = {
    Role.CLINICAL_STAFF: ("RN", "LPN", "MA", "CMA", "LCSW", "CNA", "PharmD", "RD"),
    Role.PRACTITIONER: ("MD", "DO", "NP", "PA", "CNS", "CNM"),
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

    def to_dict(self) -> dict:
        return {
            "id": str(self.id),
            "name": self.name,
            "credential": self.credential,
            "role": self.role.value,
            "npi": self.npi,
            "default": self.is_default,
            "incident_to": self.incident_to,
        }


def _view(row: Clinician, default_id: str = "") -> ClinicianView:
    return ClinicianView(
        row.id, row.name, row.credential, row.role, row.npi, str(row.id) == default_id,
        row.incident_to,
    )


def parse_role(text: str) -> Role:
    try:
        return Role(text)
    except ValueError:
        raise UserError(f"The role must be clinical_staff or practitioner, not {text!r}.") from None


def check_credential(credential: str, role: Role) -> str:
    """The credential as CREDENTIALS spells it, or ValueError saying which fit `role`."""
    credential = credential.strip()
    known = {c.upper(): c for c in CREDENTIALS[role]}
    if credential.upper() not in known:
        other = Role.PRACTITIONER if role is Role.CLINICAL_STAFF else Role.CLINICAL_STAFF
        hint = (
            f" ({credential} is a {other.value} credential)"
            if credential.upper() in {c.upper() for c in CREDENTIALS[other]}
            else ""
        )
        raise ValueError(f"the credential {credential!r} does not fit the role "
                         f"{role.value}{hint}; use one of {', '.join(CREDENTIALS[role])}")
    return known[credential.upper()]


def check_npi(npi: str | None) -> str | None:
    if npi is not None and not re.fullmatch(r"\d{10}", npi):
        raise ValueError(f"the NPI {npi!r} is not valid; an NPI is exactly 10 digits")
    return npi


def add(
    ctx: AppContext, *, name: str, credential: str, role: str, npi: str | None = None,
    default: bool = False,
) -> ClinicianView:
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
    with ctx.write() as session:
        if session.exec(select(Clinician).where(Clinician.name == name)).first():
            raise UserError(f"A clinician named {name!r} already exists; use another name.")
        row = Clinician(name=name, credential=credential, role=the_role, npi=npi)
        session.add(row)
        session.flush()
        audit.append(
            session, ctx=ctx, actor="admin", action="clinician.add", entity="clinician",
            entity_id=row.id, after={"name": name, "credential": row.credential,
                                     "role": the_role.value, "npi": npi},
        )
    if default or not ctx.settings.default_clinician:
        ctx.update_settings(default_clinician=str(row.id))
    return _view(row, ctx.settings.default_clinician)


def list_clinicians(ctx: AppContext) -> list[ClinicianView]:
    with ctx.read() as session:
        rows = session.exec(select(Clinician).where(Clinician.active).order_by(col(Clinician.name)))
        return [_view(r, ctx.settings.default_clinician) for r in rows]


def find(session: Session, ctx: AppContext, name_or_id: str | None) -> Clinician:
    """The clinician named (by name or id), or the default one."""
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
    if row is None or not row.active:
        raise NotFound(f"There is no clinician {name_or_id!r}; see `ccm-timer clinician list`.")
    return row


def set_default(ctx: AppContext, name_or_id: str) -> ClinicianView:
    with ctx.read() as session:
        row = find(session, ctx, name_or_id)
    ctx.update_settings(default_clinician=str(row.id))
    return _view(row, str(row.id))


def set_incident_to(ctx: AppContext, name_or_id: str, incident_to: bool,
                    actor: str = "admin") -> ClinicianView:
    """Record whether a practitioner works incident to the billing practitioner (under their
    general supervision). The month report reads it with the clinic's setting
    other_practitioner_time: it may count their minutes on another practitioner's patient as
    clinical-staff time, never as that practitioner's own. Audited."""
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
