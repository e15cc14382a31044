"""The keys behind bundles (issue 13, defect 4): each workstation's Ed25519 signing key, made
on first use and kept like the database key (the keyring, or wrapped under the database key
in passphrase mode); the clinic's X25519 key, made on the receiving workstation and
imported on the senders; the senders the clinic trusts, every change audited."""

from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path

import pytest

from ccm_timer.errors import UserError
from ccm_timer.services.context import open_app
from ccm_timer.services.security import audit, bundle_keys
from tests.fixtures.keyring import FAIL, PASSPHRASE, FolderKeyring


def _one_sentence(done, *words: str) -> None:
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    for word in words:
        assert word in done.stderr, done.stderr


def _everything_on_disk(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())


def _bundle_entries() -> dict[str, str]:
    """The session's keyring entries of bundle keys (every test's database is there)."""
    return {user: secret for (service, user), secret in FolderKeyring().items.items()
            if service == "ccm-timer" and user.startswith("bundle-key-")}


def test_the_signing_key_is_made_once_and_kept_in_the_keyring(ctx, home):
    before = _bundle_entries()
    first = bundle_keys.workstation_key(ctx)
    assert first.public.startswith("ccm-ed25519:") and first.kind == "workstation"
    assert first.name == "ws-test-1" and len(first.fingerprint.split("-")) == 4
    assert bundle_keys.workstation_key(ctx) == first
    held = {u: v for u, v in _bundle_entries().items() if u not in before}
    assert len(held) == 1  # one key, made once
    [secret] = held.values()
    assert bytes.fromhex(secret) not in _everything_on_disk(home)  # nowhere in the folder
    signer = bundle_keys.signing_key(ctx)
    assert bundle_keys.public_of(signer) == first.public
    with ctx.read() as session:
        actions = [e.action for e in audit.history(session, first.fingerprint)]
    assert actions == ["bundle_key.create"]


def test_in_passphrase_mode_the_private_keys_are_wrapped_under_the_database_key(
        home, use_backend, monkeypatch):
    use_backend(FAIL)  # no keyring at all
    monkeypatch.setenv("CCM_TIMER_PASSPHRASE", PASSPHRASE)
    app = open_app(str(home))
    try:
        made = bundle_keys.workstation_key(app)
        clinic = bundle_keys.init_clinic_key(app)
        raw = [bundle_keys.signing_key(app).private_bytes_raw(),
               bundle_keys.opening_key(app).private_bytes_raw()]
    finally:
        app.close()
    wrapped = home / bundle_keys.WRAPPED_FILE
    assert stat.S_IMODE(os.stat(wrapped).st_mode) == 0o600
    on_disk = _everything_on_disk(home)
    for secret in raw:
        assert secret not in on_disk and secret.hex().encode() not in on_disk
        assert base64.b64encode(secret) not in on_disk
    app = open_app(str(home))
    try:  # the same keys come back with the passphrase
        assert bundle_keys.workstation_key(app) == made
        assert bundle_keys.opening_key(app).private_bytes_raw() == raw[1]
        assert bundle_keys.clinic_key(app).public == clinic.public
    finally:
        app.close()


def test_an_unencrypted_database_cannot_hold_a_signing_key(home):
    (home / "settings.toml").write_text(
        'clinic_timezone = "America/New_York"\nworkstation = "ws-plain"\nencryption = "off"\n')
    app = open_app(str(home))
    try:
        with pytest.raises(UserError, match="not encrypted"):
            bundle_keys.workstation_key(app)
    finally:
        app.close()


def test_trust_is_recorded_audited_and_checked(ctx, clinic, tmp_path, clock):
    other = open_app(str(tmp_path / "north"), clock=clock)
    try:
        theirs = bundle_keys.workstation_key(other)
    finally:
        other.close()
    trusted = bundle_keys.trust(ctx, "ws-north", theirs.public)
    assert trusted.fingerprint == theirs.fingerprint and trusted.kind == "trusted"
    assert bundle_keys.trust(ctx, "ws-north", theirs.public) == trusted  # again: no change
    with pytest.raises(UserError, match="ws-north is already trusted with another key"):
        bundle_keys.trust(ctx, "ws-north", bundle_keys.workstation_key(ctx).public)
    with pytest.raises(UserError, match="already trusted as ws-north"):
        bundle_keys.trust(ctx, "ws-other", theirs.public)
    for bad in ("ccm-ed25519:not-base64!", "ssh-ed25519 AAAA", "ccm-ed25519:" + "A" * 10,
                "ccm-x25519:" + base64.b64encode(b"x" * 32).decode()):
        with pytest.raises(UserError, match="is not a workstation public key"):
            bundle_keys.trust(ctx, "ws-bad", bad)
    with pytest.raises(UserError, match="workstation name"):
        bundle_keys.trust(ctx, "\x1b[31mws", theirs.public)
    kinds = {(k.kind, k.name) for k in bundle_keys.list_keys(ctx)}
    assert {("workstation", "ws-test-1"), ("trusted", "ws-north")} <= kinds
    bundle_keys.untrust(ctx, "ws-north")
    assert ("trusted", "ws-north") not in {(k.kind, k.name) for k in bundle_keys.list_keys(ctx)}
    with ctx.read() as session:
        actions = [e.action for e in audit.history(session, theirs.fingerprint)]
    assert actions == ["bundle_key.trust", "bundle_key.untrust"]


def test_the_clinic_key_is_made_once_and_imported_on_senders(ctx, tmp_path, clock):
    made = bundle_keys.init_clinic_key(ctx)
    assert made.public.startswith("ccm-x25519:") and made.private_here
    with pytest.raises(UserError, match="already has a clinic key"):
        bundle_keys.init_clinic_key(ctx)
    sender = open_app(str(tmp_path / "sender"), clock=clock)
    try:
        with pytest.raises(UserError, match="no clinic key"):
            bundle_keys.sealing_keys(sender)
        imported = bundle_keys.import_clinic_key(sender, made.public)
        assert imported.fingerprint == made.fingerprint and not imported.private_here
        assert bundle_keys.import_clinic_key(sender, made.public) == imported
        other = "ccm-x25519:" + base64.b64encode(bytes(range(32))).decode()
        with pytest.raises(UserError, match="--replace"):
            bundle_keys.import_clinic_key(sender, other)
        with pytest.raises(UserError, match="cannot open bundles"):
            bundle_keys.opening_key(sender)
    finally:
        sender.close()


def test_the_commands(cli, home, tmp_path):
    shown = cli("workstation", "key")
    assert shown.returncode == 0, shown.stderr
    key = json.loads(cli("workstation", "key", "--json").stdout)
    assert key["public"] in shown.stdout and key["fingerprint"] in shown.stdout
    made = cli("clinic", "key", "init")
    assert made.returncode == 0, made.stderr
    clinic_public = json.loads(cli("clinic", "key", "show", "--json").stdout)["public"]
    assert clinic_public in made.stdout and "clinic key import" in made.stdout
    _one_sentence(cli("clinic", "key", "init"), "already has a clinic key")
    other = tmp_path / "other"
    other.mkdir()
    theirs = cli("workstation", "key", "--json", "--data-dir", str(other))
    public = json.loads(theirs.stdout)["public"]
    done = cli("workstation", "trust", "ws-north", public)
    assert done.returncode == 0, done.stderr
    assert json.loads(theirs.stdout)["fingerprint"] in done.stdout
    listed = cli("workstation", "list")
    assert "ws-north" in listed.stdout and "this workstation" in listed.stdout
    _one_sentence(cli("workstation", "trust", "ws-x", "nonsense"),
                  "is not a workstation public key")
    done = cli("clinic", "key", "import", clinic_public, "--data-dir", str(other))
    assert done.returncode == 0, done.stderr
    assert cli("workstation", "untrust", "ws-north").returncode == 0
