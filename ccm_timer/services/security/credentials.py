"""A password or PIN per person (HIPAA 164.312(a)(2)(i) unique user identification and
164.312(d) person authentication): argon2id from argon2-cffi, never stored, logged or
audited in plain text; nobody, an administrator included, can read one back.

Wrong credentials in a row slow down (each attempt after the n-th waits 2**(n-1) seconds)
and the fifth locks that person's sign-in for `signin_lock_minutes`. Every outcome is an
audit event in the hash chain, without the secret. A person without a credential (after the
upgrade that brought them, or an administrator's reset) can time but not attest; they set
one at their next sign-in.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import select

from ccm_timer.core.access import Action, Duty
from ccm_timer.errors import UserError
from ccm_timer.services.context import AppContext
from ccm_timer.services.people import access, clinicians
from ccm_timer.services.people.access import Refused, Signer
from ccm_timer.services.security import audit
from ccm_timer.store.models import Clinician, Credential

LOCK_AFTER = 5  # wrong credentials in a row
FLOOR = 6  # no clinic policy goes below this length
_HASHER = PasswordHasher()  # argon2id, RFC 9106's low-memory profile (64 MiB, 3 passes)


def _normal(secret: str) -> str:
    return unicodedata.normalize("NFKC", secret)


def policy_problem(ctx: AppContext, name: str, secret: str) -> str | None:
    """Why `secret` may not be set, as the end of a sentence; None when it may."""
    shortest = max(FLOOR, ctx.settings.credential_min_length)
    secret = _normal(secret)
    if len(secret) < shortest:
        return f"it must be at least {shortest} characters (the clinic's policy)"
    if len(secret) > 256:
        return "it must be at most 256 characters"
    if len(set(secret)) == 1 or secret.casefold() in name.casefold():
        return "it must not be one repeated character or part of the person's name"
    return None


def has_secret(ctx: AppContext, name_or_id: str | None) -> bool:
    with ctx.read() as session:
        row = session.get(Credential, clinicians.find(session, ctx, name_or_id).id)
        return bool(row and row.secret_hash)


def set_secret(ctx: AppContext, name_or_id: str, secret: str, *,
               current: str | None = None, admin: Signer | None = None) -> None:
    """Set a person's credential; changing one needs the current one. A first one (none
    yet, or reset) is the person's own choice at sign-in, but once the clinic has an
    administrator it is set with one present (`admin`, proven): otherwise anyone at the
    workstation could choose a colleague's first password and sign as them."""
    with ctx.read() as session:
        person = clinicians.find(session, ctx, name_or_id)
        row = session.get(Credential, person.id)
        had = bool(row and row.secret_hash)
        guarded = not had and access.has_admin(session)
    if had and current is None:
        raise UserError(f"{person.name} already has a password; give the current one to "
                        "change it, or ask an administrator to reset it.")
    if guarded and not (admin and Duty.ADMIN in admin.duties
                        and (admin.signed_in or admin.attested)):
        raise Refused(f"{person.name} has no password yet, and the clinic has an "
                      "administrator: an administrator gives theirs while "
                      f"{person.name} chooses one (`ccm-timer clinician set-password "
                      f"\"{person.name}\" --as ADMIN`, or the tray's sign-in).")
    # The policy before the current one: a refused new one spends no try and leaves no event.
    problem = policy_problem(ctx, person.name, secret)
    if problem:
        raise UserError(f"That password cannot be used: {problem}.")
    if had:
        verify(ctx, person.name, current or "")
    hashed = _HASHER.hash(_normal(secret))
    with ctx.write() as session:
        row = session.get(Credential, person.id) or Credential(clinician_id=person.id)
        if bool(row.secret_hash) != had:
            raise UserError(f"{person.name}'s password changed meanwhile; try again.")
        witness = admin.name if guarded and admin else None
        row.secret_hash, row.set_at, row.set_by = hashed, ctx.now(), witness or person.name
        row.failures, row.failed_at, row.locked_until = 0, None, None
        session.add(row)
        audit.append(session, ctx=ctx, actor=person.name,
                     action="credential.change" if had else "credential.set",
                     entity="clinician", entity_id=person.id,
                     after={"with_administrator": witness} if witness else None)


def reset(ctx: AppContext, name_or_id: str, by: Signer | None) -> str:
    """An administrator clears a person's credential (and any lock); the person chooses a
    new one at their next sign-in, with an administrator present (set_secret). The old one
    is never shown. Returns the person's name."""
    actor = access.require_admin(ctx, by, Action.PEOPLE)
    with ctx.write() as session:
        person = clinicians.find(session, ctx, name_or_id)
        row = session.get(Credential, person.id) or Credential(clinician_id=person.id)
        row.secret_hash, row.set_at, row.set_by = None, ctx.now(), actor
        row.failures, row.failed_at, row.locked_until = 0, None, None
        session.add(row)
        audit.append(session, ctx=ctx, actor=actor, action="credential.reset",
                     entity="clinician", entity_id=person.id)
        return person.name


def verify(ctx: AppContext, name_or_id: str | None, secret: str,
           action: Action | None = None) -> Signer:
    """The person, proven: their credential is right, and neither locked nor too soon after
    a wrong one. A wrong one is counted and audited and changes nothing else."""
    now = ctx.now()
    with ctx.read() as session:
        person = clinicians.find(session, ctx, name_or_id)
        row = session.get(Credential, person.id)
    if row is None or not row.secret_hash:
        raise Refused(f"{person.name} has no password yet: set one at the tray's sign-in or "
                      f"with `ccm-timer clinician set-password \"{person.name}\"`; until "
                      "then they can time but not sign anything.")
    _refuse_if_waiting(ctx, person, row, now)
    try:
        _HASHER.verify(row.secret_hash, _normal(secret))
    except (VerificationError, InvalidHashError):
        _failed(ctx, person, action, now)
        raise Refused(f"That is not {person.name}'s password; nothing was changed.") from None
    with ctx.write() as session:
        fresh = session.get(Credential, person.id)
        assert fresh is not None  # read above; a credential row is never deleted
        if _HASHER.check_needs_rehash(fresh.secret_hash or ""):
            fresh.secret_hash = _HASHER.hash(_normal(secret))
        fresh.failures, fresh.failed_at, fresh.locked_until = 0, None, None
        session.add(fresh)
        audit.append(session, ctx=ctx, actor=person.name,
                     action="attest" if action else "signin", entity="clinician",
                     entity_id=person.id, after={"action": action.value} if action else None)
        person = clinicians.find(session, ctx, str(person.id))
        return access.signer_of(person, attested=action, signed_in=action is None)


def attest(ctx: AppContext, name_or_id: str | None, secret: str, action: Action) -> Signer:
    """The acting person's credential for one attested action, and their duty to do it."""
    with ctx.read() as session:
        unproven = access.signer_of(clinicians.find(session, ctx, name_or_id))
    if not unproven.may(action):
        access.require(unproven, action)  # says who may
    return verify(ctx, unproven.name, secret, action)


def _refuse_if_waiting(ctx: AppContext, person: Clinician, row: Credential,
                       now: datetime) -> None:
    local = ctx.zone
    if row.locked_until and row.locked_until > now:
        until = row.locked_until.astimezone(local).strftime("%H:%M")
        raise Refused(f"{person.name}'s sign-in is locked until {until} after {LOCK_AFTER} "
                      "wrong passwords in a row; wait, or ask an administrator to reset it.")
    if row.failures and row.failed_at and not row.locked_until:
        ready = row.failed_at + timedelta(seconds=2 ** (row.failures - 1))
        if ready > now:
            wait = max(1, int((ready - now).total_seconds() + 0.999))
            raise Refused(f"Wait {wait} second{'s' if wait != 1 else ''} before trying "
                          f"{person.name}'s password again.")


def _failed(ctx: AppContext, person: Clinician, action: Action | None, now: datetime) -> None:
    with ctx.write() as session:
        row = session.get(Credential, person.id)
        assert row is not None
        if row.locked_until and row.locked_until <= now:  # a lock that ran out starts over
            row.failures, row.locked_until = 0, None
        row.failures += 1
        row.failed_at = now
        what = {"action": action.value} if action else {}
        audit.append(session, ctx=ctx, actor=person.name, action="signin.fail",
                     entity="clinician", entity_id=person.id,
                     after={**what, "in_a_row": row.failures})
        if row.failures >= LOCK_AFTER:
            row.locked_until = now + timedelta(minutes=max(1, ctx.settings.signin_lock_minutes))
            audit.append(session, ctx=ctx, actor=person.name, action="signin.locked",
                         entity="clinician", entity_id=person.id,
                         after={"until": row.locked_until.isoformat()})
        session.add(row)


@dataclass(frozen=True)
class SignInState:
    """What administrators see of a person's sign-in (never the credential)."""

    has_secret: bool
    failures: int = 0
    locked_until: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"password_set": self.has_secret, "failures_in_a_row": self.failures,
                "locked_until": self.locked_until.isoformat() if self.locked_until else None}

    def describe(self, zone: ZoneInfo) -> str:
        if self.locked_until:
            return f"locked until {self.locked_until.astimezone(zone).strftime('%H:%M')}"
        return "password set" if self.has_secret else "no password yet"


def sign_in_states(ctx: AppContext) -> dict[str, SignInState]:
    """Clinician id (str) → their sign-in state, for every person (a lock that ran out is
    shown as over)."""
    now = ctx.now()
    with ctx.read() as session:
        people = [str(i) for i in session.exec(select(Clinician.id))]
        rows = {str(r.clinician_id): r for r in session.exec(select(Credential))}
    out = {}
    for pid in people:
        row = rows.get(pid)
        if row is None:
            out[pid] = SignInState(False)
            continue
        locked = row.locked_until if row.locked_until and row.locked_until > now else None
        out[pid] = SignInState(bool(row.secret_hash), 0 if row.locked_until and not locked
                               else row.failures, locked)
    return out
