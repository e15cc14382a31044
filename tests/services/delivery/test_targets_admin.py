"""Targets and settings are an administrator's (issue 16, README "Who may do what"): delivery
targets, trusted workstations, the clinic key and the tray's settings are open while the
clinic is being set up, and once it has an administrator with a password only they change
them, proven (signed in or attested); every change an audit event under their name."""

from __future__ import annotations

import json

import pytest
from sqlmodel import col, select

from ccm_timer.core.access import Action
from ccm_timer.services import settings_changes
from ccm_timer.services.delivery import targets
from ccm_timer.services.people import access
from ccm_timer.services.people.access import Refused
from ccm_timer.services.security import bundle_keys, credentials
from ccm_timer.store.models import AuditEvent
from tests.fixtures.clinic import ADMIN, NURSE, PASSWORD, PHYSICIAN

REFUSED = "Only an administrator may change targets and settings: pass --as"
URL = "https://billing.example.org/ccm"



def _events(ctx, prefix: str) -> list[AuditEvent]:
    with ctx.read() as s:
        return [e for e in s.exec(select(AuditEvent).order_by(col(AuditEvent.seq)))
                if e.action.startswith(prefix)]


def _admin(ctx):
    return credentials.verify(ctx, ADMIN, PASSWORD)  # as the tray's sign-in leaves them


def _others(ctx):
    """Everyone refused once the clinic has an administrator: nobody named, the admin named
    but unproven, a nurse signed in, a practitioner attested for an approval."""
    return [
        (None, REFUSED),
        (access.named(ctx, ADMIN), "Robin Admin must give their password"),
        (credentials.verify(ctx, NURSE, PASSWORD), "only administrators may"),
        (credentials.attest(ctx, PHYSICIAN, PASSWORD, Action.APPROVE),
         "only administrators may"),
    ]


# --- delivery targets ---------------------------------------------------------------------

def test_while_the_clinic_is_set_up_targets_are_open_and_audited(clinic, token_keyring):
    targets.add(clinic, "billing", kind="https", url=URL, secret="tok-1")
    [event] = _events(clinic, "target.")
    assert (event.actor, event.action, event.entity_id) == ("setup", "target.add", "billing")
    assert json.loads(event.after or "{}") == {"name": "billing", "kind": "https", "url": URL,
                                               "secret_in_keyring": True}
    assert "tok-1" not in (event.after or "") + (event.before or "")
    nurse = credentials.verify(clinic, NURSE, PASSWORD)
    targets.remove(clinic, "billing", by=nurse)  # still open: no administrator yet
    assert _events(clinic, "target.")[-1].actor == NURSE
    assert targets.list_targets(clinic) == []


def test_once_there_is_an_administrator_only_they_change_targets(admin_clinic, token_keyring,
                                                                  tmp_path):
    ctx = admin_clinic
    settings_before = ctx.paths.settings_file.read_bytes()
    for by, refusal in _others(ctx):
        with pytest.raises(Refused, match=refusal):
            targets.add(ctx, "billing", kind="https", url=URL, secret="tok-1", by=by)
    assert ctx.paths.settings_file.read_bytes() == settings_before
    assert token_keyring.items == {}  # refused before the keyring is touched
    assert _events(ctx, "target.") == []
    admin = _admin(ctx)
    targets.add(ctx, "billing", kind="https", url=URL, secret="tok-1", by=admin)
    targets.add(ctx, "billing", kind="folder", url=str(tmp_path), by=admin)  # replaced
    added, replaced = _events(ctx, "target.")
    assert added.actor == replaced.actor == ADMIN
    assert json.loads(replaced.before or "{}") == {"name": "billing", "kind": "https",
                                                   "url": URL}
    settings_before = ctx.paths.settings_file.read_bytes()
    for by, refusal in _others(ctx):
        with pytest.raises(Refused, match=refusal):
            targets.remove(ctx, "billing", by=by)
    assert ctx.paths.settings_file.read_bytes() == settings_before
    assert [t.name for t in targets.list_targets(ctx)] == ["billing"]
    targets.remove(ctx, "billing", by=admin)
    removed = _events(ctx, "target.")[-1]
    assert (removed.action, removed.actor, removed.after) == ("target.remove", ADMIN, None)
    assert targets.list_targets(ctx) == []


# --- trusted workstations and the clinic key ------------------------------------------------

def _sender_key(tmp_path, clock) -> str:
    """A second workstation's public signing key."""
    from ccm_timer.services.context import open_app

    other = tmp_path / "other"
    other.mkdir()
    (other / "settings.toml").write_text(
        'clinic_timezone = "America/New_York"\nworkstation = "ws-test-2"\n', encoding="utf-8")
    ctx = open_app(str(other), clock=clock)
    try:
        return bundle_keys.workstation_key(ctx).public
    finally:
        ctx.close()


def test_trust_and_the_clinic_key_are_an_administrator_s(admin_clinic, tmp_path, clock):
    ctx = admin_clinic
    public = _sender_key(tmp_path, clock)
    bundle_keys.workstation_key(ctx)  # made on first use by whoever needs it: not a setting
    assert _events(ctx, "bundle_key.")[-1].actor == "system"
    before = len(_events(ctx, "bundle_key."))
    for by, refusal in _others(ctx):
        with pytest.raises(Refused, match=refusal):
            bundle_keys.trust(ctx, "ws-test-2", public, by=by)
        with pytest.raises(Refused, match=refusal):
            bundle_keys.init_clinic_key(ctx, by=by)
    assert len(_events(ctx, "bundle_key.")) == before
    assert [k.kind for k in bundle_keys.list_keys(ctx)] == ["workstation"]
    admin = _admin(ctx)
    assert bundle_keys.trust(ctx, "ws-test-2", public, by=admin).name == "ws-test-2"
    made = bundle_keys.init_clinic_key(ctx, by=admin)
    for by, refusal in _others(ctx):
        with pytest.raises(Refused, match=refusal):
            bundle_keys.untrust(ctx, "ws-test-2", by=by)
    assert bundle_keys.trusted_sender(ctx, public) == "ws-test-2"
    bundle_keys.untrust(ctx, "ws-test-2", by=admin)
    assert bundle_keys.trusted_sender(ctx, public) is None
    events = _events(ctx, "bundle_key.")[before:]
    assert [(e.action, e.actor) for e in events] == [
        ("bundle_key.trust", ADMIN), ("bundle_key.create", ADMIN),
        ("bundle_key.untrust", ADMIN)]
    assert events[1].entity_id == made.fingerprint


def test_a_sender_imports_the_clinic_key_only_as_an_administrator(admin_clinic, tmp_path,
                                                                   clock):
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    from ccm_timer.services.security import bundle_crypto

    ctx = admin_clinic
    public = bundle_crypto.public_text(X25519PrivateKey.generate().public_key())
    for by, refusal in _others(ctx):
        with pytest.raises(Refused, match=refusal):
            bundle_keys.import_clinic_key(ctx, public, by=by)
    assert bundle_keys.clinic_key(ctx) is None
    attested = credentials.attest(ctx, ADMIN, PASSWORD, Action.SETTINGS)  # the command line's
    assert bundle_keys.import_clinic_key(ctx, public, by=attested).public == public
    assert _events(ctx, "bundle_key.import")[-1].actor == ADMIN


def test_while_the_clinic_is_set_up_the_keys_are_open(clinic, tmp_path, clock):
    public = _sender_key(tmp_path, clock)
    bundle_keys.trust(clinic, "ws-test-2", public)
    bundle_keys.init_clinic_key(clinic, by=credentials.verify(clinic, NURSE, PASSWORD))
    assert [(e.action, e.actor) for e in _events(clinic, "bundle_key.")[-2:]] == [
        ("bundle_key.trust", "setup"), ("bundle_key.create", NURSE)]


# --- the tray's settings --------------------------------------------------------------------

def _values(ctx, **changed):
    s = ctx.settings
    return {"default_clinician": s.default_clinician, "mask_patients": s.mask_patients,
            "reminder_minutes": s.reminder_minutes, "start_at_login": s.start_at_login,
            **changed}


def test_the_tray_s_settings_are_an_administrator_s_but_the_login_item(admin_clinic):
    ctx = admin_clinic
    nurse = credentials.verify(ctx, NURSE, PASSWORD)
    doctor = access.named(ctx, PHYSICIAN).id
    assert not settings_changes.may_change(ctx, nurse)
    assert settings_changes.may_change(ctx, _admin(ctx))
    before = ctx.paths.settings_file.read_bytes()
    for changed in ({"reminder_minutes": 45}, {"mask_patients": False},
                    {"default_clinician": str(doctor)}):
        with pytest.raises(Refused, match="only administrators may"):
            settings_changes.check(ctx, nurse, _values(ctx, **changed))
        with pytest.raises(Refused, match="only administrators may"):
            settings_changes.save(ctx, nurse, _values(ctx, **changed))
    assert ctx.paths.settings_file.read_bytes() == before
    assert _events(ctx, "settings.") == []
    # The login item is the signed-in person's; the rest saved as they are is no change.
    assert settings_changes.save(ctx, nurse, _values(ctx, start_at_login=True)) == {}
    assert ctx.settings.start_at_login and _events(ctx, "settings.") == []
    changed = settings_changes.save(ctx, _admin(ctx), _values(
        ctx, reminder_minutes=45, default_clinician=str(doctor)))
    assert changed == {"reminder_minutes": 45, "default_clinician": str(doctor)}
    assert ctx.settings.reminder_minutes == 45
    assert access.timing_here(ctx).name == PHYSICIAN
    [event] = _events(ctx, "settings.")
    assert event.actor == ADMIN and json.loads(event.after or "{}") == {
        "reminder_minutes": 45, "default_clinician": str(doctor)}


def test_while_the_clinic_is_set_up_the_tray_s_settings_are_open(clinic):
    nurse = credentials.verify(clinic, NURSE, PASSWORD)
    assert settings_changes.may_change(clinic, nurse) and settings_changes.may_change(clinic,
                                                                                      None)
    settings_changes.save(clinic, nurse, _values(clinic, mask_patients=False))
    assert not clinic.settings.mask_patients
    assert _events(clinic, "settings.")[-1].actor == NURSE
