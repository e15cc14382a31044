"""The database key: kept in the keyring, never on disk; every way of not having it fails
closed with one sentence that says what to do, and the database file stays as it was
(reliability T15, T16)."""

from __future__ import annotations

import json
import secrets
import threading
import traceback
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccm_timer import paths as app_paths
from ccm_timer.services import settings as settings_file
from ccm_timer.services.context import open_app
from ccm_timer.services.security import audit, keys
from tests.fixtures.cli import fingerprint
from tests.fixtures.clinic import setup_clinic
from tests.fixtures.keyring import (
    FAIL,
    FORGETFUL,
    LOCKED,
    NULL,
    PASSPHRASE,
    PLAINTEXT_GRADE,
    FolderKeyring,
)


def _record(home: Path) -> keys.KeyRecord:
    record = keys.load_record(app_paths.resolve(home))
    assert record is not None
    return record


def _stored_key(home: Path) -> str:
    value = FolderKeyring().get_password(keys.SERVICE, _record(home).keyring_user)
    assert value is not None
    return value


def _one_sentence(done, *words: str) -> None:
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    for word in words:
        assert word in done.stderr, done.stderr


def test_first_start_keeps_the_key_in_the_keyring_and_nowhere_on_disk(home, cli):
    setup_clinic(home)
    hex_key = _stored_key(home)
    assert len(bytes.fromhex(hex_key)) == 32
    record = json.loads((home / keys.RECORD_FILE).read_text())
    assert record["kept_in"] == "keyring"
    assert record["backend"] == "tests.fixtures.keyring.FolderKeyring"
    raw = bytes.fromhex(hex_key)
    recovery = keys.format_recovery_key(raw).replace("-", "").encode()
    for path in home.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for needle in (hex_key.encode(), hex_key.upper().encode(), raw, recovery):
                assert needle not in data, path
    assert not (home / "ccm-timer.db").read_bytes().startswith(b"SQLite format 3")


def test_a_wrong_key_changes_nothing_and_says_what_to_do(home, cli):
    setup_clinic(home)
    FolderKeyring().set_password(keys.SERVICE, _record(home).keyring_user,
                                 secrets.token_hex(32))
    before = fingerprint(home)
    for args in (("status",), ("entry", "list"), ("start", "--patient", "T1001", "--category",
                                                  "phone-call")):
        _one_sentence(cli(*args), "cannot be read with the key kept in",
                      "Nothing was changed", "unlock --recovery-key")
    assert fingerprint(home) == before


def test_a_lost_keyring_entry_comes_back_with_the_recovery_key(home, cli):
    setup_clinic(home, note="visit 7f3a")
    shown = cli("unlock", "--show-recovery-key", "--json")
    assert shown.returncode == 0, shown.stderr
    recovery = json.loads(shown.stdout)["recovery_key"]
    assert len(recovery.split("-")) == 14
    FolderKeyring().delete_password(keys.SERVICE, _record(home).keyring_user)
    before = fingerprint(home)
    _one_sentence(cli("entry", "list"), "missing from the system keyring",
                  "unlock --recovery-key")
    typo = recovery[:-1] + ("A" if recovery[-1] != "A" else "B")
    _one_sentence(cli("unlock", "--recovery-key", input=typo + "\n"), "typo")
    other = keys.format_recovery_key(secrets.token_bytes(32))
    _one_sentence(cli("unlock", "--recovery-key", input=other + "\n"), "does not open")
    assert fingerprint(home) == before
    done = cli("unlock", "--recovery-key", input=recovery.lower().replace("-", " ") + "\n")
    assert done.returncode == 0, done.stderr
    listed = cli("entry", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [e["note"] for e in json.loads(listed.stdout)] == ["visit 7f3a"]
    ctx = open_app(str(home))
    try:
        with ctx.read() as session:
            assert audit.verify(session).ok
            restored = [e for e in audit.history(session, _record(home).database_id)]
        assert [e.action for e in restored] == ["key.restore"]
    finally:
        ctx.close()


@pytest.mark.parametrize("backend, words", [
    (FAIL, "no system keyring is available"),
    (NULL, "switched off"),
    (LOCKED, "is locked"),
    (PLAINTEXT_GRADE, "not a recommended, secure keyring"),
    (FORGETFUL, "did not keep the key"),
    ("no.such.Backend", "cannot be loaded"),
])
def test_a_new_folder_without_a_usable_keyring_is_refused(home, cli, backend, words):
    _one_sentence(cli("clinician", "list", backend=backend), words, "CCM_TIMER_PASSPHRASE")
    assert not (home / "ccm-timer.db").exists()
    assert not (home / keys.RECORD_FILE).exists()
    assert not any(home.rglob("*.db"))


@pytest.mark.parametrize("backend, words", [
    (FAIL, "no system keyring is available"),
    (NULL, "switched off"),
    (LOCKED, "is locked"),
    (PLAINTEXT_GRADE, "not a recommended, secure keyring"),
])
def test_an_existing_database_without_its_keyring_is_left_alone(home, cli, backend, words):
    setup_clinic(home)
    before = fingerprint(home)
    _one_sentence(cli("entry", "list", backend=backend), words, "Nothing was changed")
    _one_sentence(cli("status", backend=backend), words)
    assert fingerprint(home) == before


def test_passphrase_instead_of_a_keyring(home, cli):
    done = cli("clinician", "add", "--name", "Avery Nurse", "--credential", "RN", "--role",
              "clinical_staff", "--default", backend=FAIL, CCM_TIMER_PASSPHRASE=PASSPHRASE)
    assert done.returncode == 0, done.stderr
    record = _record(home)
    assert record.kept_in == "passphrase" and record.n >= 2**17 and len(record.salt) == 32
    assert not (home / "ccm-timer.db").read_bytes().startswith(b"SQLite format 3")
    assert PASSPHRASE.encode() not in b"".join(p.read_bytes() for p in home.rglob("*")
                                               if p.is_file())
    before = fingerprint(home)
    _one_sentence(cli("clinician", "list", backend=FAIL, CCM_TIMER_PASSPHRASE="wrong one here"),
                  "passphrase does not open this database")
    _one_sentence(cli("clinician", "list", backend=FAIL), "protected by a passphrase",
                  "CCM_TIMER_PASSPHRASE")
    assert fingerprint(home) == before
    # A working keyring does not change where this database's key comes from.
    listed = cli("clinician", "list", CCM_TIMER_PASSPHRASE=PASSPHRASE)
    assert listed.returncode == 0 and "Avery Nurse" in listed.stdout


def test_a_short_new_passphrase_is_refused(home, cli):
    _one_sentence(cli("clinician", "list", backend=FAIL, CCM_TIMER_PASSPHRASE="short"),
                  "at least 10 characters")
    assert not (home / "ccm-timer.db").exists()


def test_unencrypted_only_by_an_explicit_choice(home, cli):
    off = cli("encrypt", "--off", backend=FAIL)
    assert off.returncode == 0, off.stderr
    assert "anyone who can read" in off.stdout
    assert settings_file.load(home / "settings.toml").encryption == "off"
    done = cli("clinician", "add", "--name", "Avery Nurse", "--credential", "RN", "--role",
              "clinical_staff", backend=FAIL)
    assert done.returncode == 0, done.stderr
    assert (home / "ccm-timer.db").read_bytes().startswith(b"SQLite format 3")
    doctor = cli("doctor", "--json", backend=FAIL)
    info = json.loads(doctor.stdout)
    assert info["encryption"]["encrypted"] is False
    assert any('encryption = "off"' in w for w in info["warnings"])


def test_an_encrypted_folder_cannot_be_switched_off(home, cli):
    setup_clinic(home)
    before = fingerprint(home)
    _one_sentence(cli("encrypt", "--off"), "already encrypted")
    assert fingerprint(home) == before


def test_the_key_is_never_in_logs_urls_reprs_or_tracebacks(home, clock, caplog):
    caplog.set_level("DEBUG")
    ctx = open_app(str(home), clock=clock)
    key = ctx.engine.ccm_key
    secrets_seen = (key.hex(), key.hex().upper(), keys.format_recovery_key(key))
    try:
        ctx.engine.echo = True  # SQL echo on: the key is set below SQLAlchemy, never echoed
        from ccm_timer.services.people import clinicians

        clinicians.add(ctx, name="Avery Nurse", credential="RN", role="clinical_staff")
        shown = " ".join((repr(ctx.engine.url), repr(ctx.engine), repr(ctx),
                          repr(ctx.protection), caplog.text))
    finally:
        ctx.close()
    wrong = secrets.token_bytes(32)
    with pytest.raises(keys.KeyUnavailable) as info:
        open_app(str(home), clock=clock, key=wrong)
    told = "".join(traceback.format_exception(info.value))
    for text in (shown, told):
        for secret in (*secrets_seen, wrong.hex()):
            assert secret not in text


def test_two_first_starts_at_once_make_one_key(home):
    where = app_paths.resolve(home)
    prefs = settings_file.load(where.settings_file)
    barrier = threading.Barrier(4)
    found: list[bytes] = []

    def first_start() -> None:
        barrier.wait()
        found.append(keys.unlock(where, prefs).key)

    threads = [threading.Thread(target=first_start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(found) == 4 and len(set(found)) == 1
    assert bytes.fromhex(_stored_key(home)) == found[0]


@given(st.binary(min_size=32, max_size=32))
def test_recovery_key_round_trip_and_forgiving_input(key):
    text = keys.format_recovery_key(key)
    groups = text.split("-")
    assert len(groups) == 14 and all(len(g) == 4 for g in groups)
    assert keys.parse_recovery_key(text) == key
    assert keys.parse_recovery_key(" ".join(groups).lower()) == key
    assert keys.parse_recovery_key(text.replace("O", "0").replace("I", "1")) == key


@given(st.binary(min_size=32, max_size=32), st.integers(0, 55), st.integers(1, 31))
def test_recovery_key_typos_are_caught(key, position, shift):
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    clean = keys.format_recovery_key(key).replace("-", "")
    wrong = alphabet[(alphabet.index(clean[position]) + shift) % 32]
    with pytest.raises(ValueError, match="typo"):
        keys.parse_recovery_key(clean[:position] + wrong + clean[position + 1:])


@pytest.mark.parametrize("text, words", [("", "56 letters"), ("ABCD-" * 13 + "ABC", "56"),
                                         ("9" * 56, "only the letters")])
def test_not_a_recovery_key(text, words):
    with pytest.raises(ValueError, match=words):
        keys.parse_recovery_key(text)


def test_a_damaged_key_record_is_reported_not_replaced(home, cli):
    setup_clinic(home)
    (home / keys.RECORD_FILE).write_text("{not json", encoding="utf-8")
    before = fingerprint(home)
    _one_sentence(cli("entry", "list"), "is damaged", "Nothing was changed")
    assert fingerprint(home) == before
