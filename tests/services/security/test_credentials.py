"""A password per person (issue 16, points 1, 7 and 8): argon2id, never kept or logged in
plain text, a clinic policy for length, the wait after each wrong try and the lock after
five, and an administrator's reset that clears it (audited) but never reads it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import text
from sqlmodel import select

from ccm_timer.core.access import Action
from ccm_timer.errors import UserError
from ccm_timer.services.context import open_app
from ccm_timer.services.people import access, clinicians
from ccm_timer.services.people.access import Refused
from ccm_timer.services.security import credentials
from ccm_timer.store.models import AuditEvent, Clinician, Credential
from tests.fixtures.clinic import ADMIN, NURSE, PASSWORD, PHYSICIAN

NEW = "Another-secret-77"


def _row(ctx, name: str) -> Credential | None:
    with ctx.read() as s:
        who = s.exec(select(Clinician).where(Clinician.name == name)).one()
        return s.get(Credential, who.id)


def _actions(ctx) -> list[str]:
    with ctx.read() as s:
        return [e.action for e in s.exec(select(AuditEvent).order_by(AuditEvent.seq))]



# --- what is kept ---------------------------------------------------------------------------

def test_only_an_argon2id_hash_is_kept_nowhere_the_secret(tmp_path: Path, clock) -> None:
    # Unencrypted on purpose: the file's own bytes would show a secret written in the clear.
    folder = tmp_path / "plain"
    folder.mkdir()
    (folder / "settings.toml").write_text(
        'clinic_timezone = "America/New_York"\nworkstation = "ws-test-1"\n'
        'encryption = "off"\n', encoding="utf-8")
    ctx = open_app(str(folder), clock=clock)
    try:
        clinicians.add(ctx, name=NURSE, credential="RN", role="clinical_staff")
        credentials.set_secret(ctx, NURSE, "First-secret-1")
        credentials.set_secret(ctx, NURSE, NEW, current="First-secret-1")
        with pytest.raises(Refused):
            credentials.verify(ctx, NURSE, "Wrong-secret-2")
        clock.advance(5)
        credentials.attest(ctx, NURSE, NEW, Action.CORRECT_ENTRY)
        row = _row(ctx, NURSE)
        assert row is not None and row.secret_hash is not None
        assert row.secret_hash.startswith("$argon2id$")
        assert PasswordHasher().verify(row.secret_hash, NEW)
        with ctx.read() as s:
            tables = [r[0] for r in s.exec(text(
                "SELECT name FROM sqlite_master WHERE type = 'table'"))]
            dump = "".join(str(list(s.exec(text(f'SELECT * FROM "{t}"')))) for t in tables)
        assert "credential" in tables and "audit_event" in tables
        assert "credential.change" in _actions(ctx) and "signin.fail" in _actions(ctx)
    finally:
        ctx.close()
    for secret in ("First-secret-1", NEW, "Wrong-secret-2"):
        assert secret not in dump  # every table's text, the audit events included
        for path in folder.rglob("*"):  # the database, its WAL, settings, logs, backups
            if path.is_file():
                assert secret.encode() not in path.read_bytes(), path
    assert (folder / "ccm-timer.db").stat().st_size > 0


# --- the policy -----------------------------------------------------------------------------

def test_the_policy_length_is_the_clinic_s_never_below_six(clinic) -> None:
    clinic.update_settings(credential_min_length=10)
    with pytest.raises(UserError, match="at least 10 characters"):
        credentials.set_secret(clinic, PHYSICIAN, "Nine-char", current=PASSWORD)
    clinic.update_settings(credential_min_length=3)
    assert credentials.policy_problem(clinic, NURSE, "abcde") == (
        "it must be at least 6 characters (the clinic's policy)")
    assert credentials.policy_problem(clinic, NURSE, "abcdef") is None
    assert "at most 256" in (credentials.policy_problem(clinic, NURSE, "x1" * 129) or "")


@pytest.mark.parametrize("weak", ["aaaaaaaaaa", "avery nurse", "Avery Nurse", "VERY NURSE",
                                  "Avery "])
def test_a_name_or_one_repeated_character_is_refused(clinic, weak) -> None:
    clinic.update_settings(credential_min_length=5)
    problem = credentials.policy_problem(clinic, NURSE, weak)
    assert problem == "it must not be one repeated character or part of the person's name"


def test_a_refused_password_changes_nothing(clinic) -> None:
    before = (_row(clinic, NURSE), _actions(clinic))
    with pytest.raises(UserError, match="cannot be used: it must be at least 8"):
        credentials.set_secret(clinic, NURSE, "short", current=PASSWORD)
    assert (_row(clinic, NURSE), _actions(clinic)) == before


def test_changing_a_password_needs_the_current_one(clinic) -> None:
    with pytest.raises(UserError, match="already has a password; give the current one"):
        credentials.set_secret(clinic, NURSE, NEW)
    with pytest.raises(Refused, match="not Avery Nurse's password"):
        credentials.set_secret(clinic, NURSE, NEW, current="Not-the-one-1")
    clinic.clock.advance(5)
    credentials.verify(clinic, NURSE, PASSWORD)  # unchanged
    credentials.set_secret(clinic, NURSE, NEW, current=PASSWORD)
    clinic.clock.advance(5)
    assert credentials.verify(clinic, NURSE, NEW).signed_in
    with pytest.raises(Refused):
        credentials.verify(clinic, NURSE, PASSWORD)


# --- verify, attest -------------------------------------------------------------------------

def test_verify_right_and_wrong(clinic) -> None:
    me = credentials.verify(clinic, NURSE, PASSWORD)
    assert (me.name, me.signed_in, me.attested) == (NURSE, True, None)
    proven = credentials.attest(clinic, PHYSICIAN, PASSWORD, Action.APPROVE)
    assert (proven.attested, proven.signed_in) == (Action.APPROVE, False)
    hashes = _row(clinic, NURSE)
    with pytest.raises(Refused, match="That is not Avery Nurse's password; nothing was changed"):
        credentials.verify(clinic, NURSE, PASSWORD + "x")
    after = _row(clinic, NURSE)
    assert after is not None and hashes is not None
    assert after.secret_hash == hashes.secret_hash and after.failures == 1
    assert _actions(clinic)[-3:] == ["signin", "attest", "signin.fail"]


def test_attest_refuses_a_duty_the_person_lacks_before_the_password(clinic) -> None:
    # The nurse's right password still does not approve; no try is counted either way.
    with pytest.raises(Refused, match=r"Avery Nurse \(clinical staff\) may not approve a "
                                      "month for billing: only practitioners may"):
        credentials.attest(clinic, NURSE, "anything-at-all", Action.APPROVE)
    row = _row(clinic, NURSE)
    assert row is not None and row.failures == 0


def test_no_password_yet_times_but_cannot_attest(clinic) -> None:
    clinicians.add(clinic, name="Casey Aide", credential="MA", role="clinical_staff")
    assert not credentials.has_secret(clinic, "Casey Aide")
    with pytest.raises(Refused, match="Casey Aide has no password yet: set one"):
        credentials.attest(clinic, "Casey Aide", "whatever-123", Action.CORRECT_ENTRY)
    credentials.set_secret(clinic, "Casey Aide", NEW)  # the first: no current one to give
    assert credentials.attest(clinic, "Casey Aide", NEW, Action.CORRECT_ENTRY).attested


# --- the wait and the lock ------------------------------------------------------------------

def _wrong(ctx, name: str = NURSE) -> str:
    with pytest.raises(Refused) as caught:
        credentials.verify(ctx, name, "Wrong-guess-0")
    return str(caught.value)


def test_each_wrong_try_doubles_the_wait_and_the_fifth_locks(clinic) -> None:
    clock = clinic.clock
    clinic.update_settings(signin_lock_minutes=15)
    for n in range(1, 5):
        assert "not Avery Nurse's password" in _wrong(clinic)
        wait = 2 ** (n - 1)
        # Too soon: refused without checking, counting or auditing; the right one too.
        counted = _actions(clinic)
        s = "s" if wait != 1 else ""
        with pytest.raises(Refused, match=f"Wait {wait} second{s} before trying"):
            credentials.verify(clinic, NURSE, PASSWORD)
        assert _actions(clinic) == counted and _row(clinic, NURSE).failures == n
        clock.advance(wait - 0.5)
        with pytest.raises(Refused, match="Wait 1 second before"):
            credentials.verify(clinic, NURSE, PASSWORD)
        clock.advance(0.5)
    assert "not Avery Nurse's password" in _wrong(clinic)  # the fifth in a row
    row = _row(clinic, NURSE)
    assert row.failures == 5 and row.locked_until == clinic.now() + timedelta(minutes=15)
    assert _actions(clinic)[-2:] == ["signin.fail", "signin.locked"]
    clock.advance(timedelta(minutes=14, seconds=59))
    with pytest.raises(Refused, match="sign-in is locked until 10:15 after 5 wrong passwords"):
        credentials.verify(clinic, NURSE, PASSWORD)
    state = credentials.sign_in_states(clinic)[str(row.clinician_id)]
    assert (state.failures, state.locked_until) == (5, row.locked_until)
    assert state.describe(clinic.zone) == "locked until 10:15"
    # Locked for the nurse only: the physician signs in meanwhile.
    assert credentials.verify(clinic, PHYSICIAN, PASSWORD).signed_in
    clock.advance(1)  # the lock ran out
    assert credentials.sign_in_states(clinic)[str(row.clinician_id)].locked_until is None
    assert credentials.verify(clinic, NURSE, PASSWORD).signed_in
    assert _row(clinic, NURSE).failures == 0


def test_a_wrong_try_after_the_lock_ran_out_starts_over(clinic) -> None:
    clinic.update_settings(signin_lock_minutes=1)
    for n in range(5):
        _wrong(clinic)
        clinic.clock.advance(2 ** n)
    clinic.clock.advance(60)
    _wrong(clinic)
    row = _row(clinic, NURSE)
    assert (row.failures, row.locked_until) == (1, None)


def test_a_right_password_clears_the_count(clinic) -> None:
    _wrong(clinic)
    clinic.clock.advance(1)
    _wrong(clinic)
    clinic.clock.advance(2)
    credentials.verify(clinic, NURSE, PASSWORD)
    assert _row(clinic, NURSE).failures == 0
    _wrong(clinic)  # counting from one again: the next wait is one second
    clinic.clock.advance(1)
    credentials.verify(clinic, NURSE, PASSWORD)


# --- the administrator's reset --------------------------------------------------------------

def test_an_administrator_resets_a_password_and_its_lock(admin_clinic) -> None:
    ctx = admin_clinic
    for n in range(5):
        _wrong(ctx)
        ctx.clock.advance(2 ** n)
    admin = credentials.verify(ctx, ADMIN, PASSWORD)
    assert credentials.reset(ctx, NURSE, admin) == NURSE
    row = _row(ctx, NURSE)
    assert (row.secret_hash, row.failures, row.locked_until, row.set_by) == (
        None, 0, None, ADMIN)
    with ctx.read() as s:
        [event] = [e for e in s.exec(select(AuditEvent)) if e.action == "credential.reset"]
    assert (event.actor, event.entity_id) == (ADMIN, str(row.clinician_id))
    with pytest.raises(Refused, match="has no password yet"):
        credentials.verify(ctx, NURSE, PASSWORD)
    credentials.set_secret(ctx, NURSE, NEW, admin=admin)  # next sign-in, the admin present
    assert credentials.verify(ctx, NURSE, NEW).signed_in


def test_once_an_administrator_exists_a_first_password_needs_one_present(admin_clinic) -> None:
    # Else anyone at the workstation could choose a colleague's first password and sign as
    # them: the reset physician's, or a new hire's.
    ctx = admin_clinic
    admin = credentials.verify(ctx, ADMIN, PASSWORD)
    credentials.reset(ctx, PHYSICIAN, admin)
    nurse = credentials.verify(ctx, NURSE, PASSWORD)
    for by in (None, nurse, access.named(ctx, ADMIN)):  # no one, no admin, an unproven one
        with pytest.raises(Refused, match="an administrator gives theirs while Dr Blake Test "
                                          "chooses one"):
            credentials.set_secret(ctx, PHYSICIAN, NEW, admin=by)
    assert _row(ctx, PHYSICIAN).secret_hash is None
    credentials.set_secret(ctx, PHYSICIAN, NEW, admin=admin)
    row = _row(ctx, PHYSICIAN)
    assert row.set_by == ADMIN and credentials.verify(ctx, PHYSICIAN, NEW).signed_in
    with ctx.read() as s:
        [event] = [e for e in s.exec(select(AuditEvent)) if e.action == "credential.set"]
    assert event.actor == PHYSICIAN and event.after == f'{{"with_administrator": "{ADMIN}"}}'


def test_once_an_administrator_exists_others_cannot_reset(admin_clinic) -> None:
    ctx = admin_clinic
    before = (_row(ctx, PHYSICIAN), _actions(ctx))
    with pytest.raises(Refused, match="Only an administrator may manage people"):
        credentials.reset(ctx, PHYSICIAN, None)
    nurse = credentials.verify(ctx, NURSE, PASSWORD)
    with pytest.raises(Refused, match=r"may not manage people and credentials: only "
                                      "administrators may"):
        credentials.reset(ctx, PHYSICIAN, nurse)
    unproven = access.named(ctx, ADMIN)  # named, not signed in
    with pytest.raises(Refused, match="must give their password"):
        credentials.reset(ctx, PHYSICIAN, unproven)
    assert _row(ctx, PHYSICIAN) == before[0]
    assert [a for a in _actions(ctx) if a != "signin"] == [
        a for a in before[1] if a != "signin"]


def test_while_no_administrator_exists_a_reset_is_open(clinic) -> None:
    # Setting the clinic up: nobody can prove they are an administrator yet.
    assert credentials.reset(clinic, PHYSICIAN, None) == PHYSICIAN
    with clinic.read() as s:
        assert [e.actor for e in s.exec(select(AuditEvent))
                if e.action == "credential.reset"] == ["setup"]
