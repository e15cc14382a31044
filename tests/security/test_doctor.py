"""`ccm-timer doctor` says, in plain words, where the data lives and how it is kept."""

from __future__ import annotations

import json

from tests.fixtures.clinic import setup_clinic


def test_doctor_reports_how_the_data_is_kept(home, cli):
    setup_clinic(home)
    backup = cli("backup")
    assert backup.returncode == 0, backup.stderr
    info = json.loads(cli("doctor", "--json").stdout)
    assert info["data_folder"] == str(home)
    assert info["sqlite_version"].startswith("3.") and info["sqlcipher_version"]
    assert info["pragmas"] == {"journal_mode": "wal", "synchronous": 2, "foreign_keys": 1,
                               "busy_timeout": 10000}
    enc = info["encryption"]
    assert enc["encrypted"] is True and enc["key_kept_in"] == "keyring"
    assert "tests.fixtures.keyring.FolderKeyring" in enc["key_where"]
    assert enc["cipher"]["cipher_use_hmac"] == "1"
    assert enc["recovery_key_shown"] is False
    assert info["integrity"] == {"read_only": None, "quick_check": "ok",
                                 "cipher_integrity_check": "ok"}
    assert info["last_backup"]["path"].startswith(str(home / "backups"))
    assert info["audit_chain"]["ok"] and info["audit_chain"]["events"] >= 5
    assert info["warnings"] == [
        "The recovery key has not been written down yet; run `ccm-timer unlock "
        "--show-recovery-key` and keep it somewhere safe."]
    shown = cli("unlock", "--show-recovery-key")
    assert shown.returncode == 0 and shown.stdout.count("-") >= 13
    text = cli("doctor").stdout
    for words in ("Encryption:       on", "Key kept in:      the system keyring",
                  "Recovery key:     shown once", "Integrity:        ok, page MACs ok",
                  "Last backup:      " + str(home / "backups"), "Audit chain:      intact"):
        assert words in text, text
    assert "Warning" not in text


def test_an_old_unencrypted_database_is_flagged(home, cli):
    (home / "settings.toml").write_text(
        'clinic_timezone = "America/New_York"\nworkstation = "w"\nencryption = "off"\n')
    assert cli("clinician", "list").returncode == 0  # made unencrypted, by choice
    (home / "settings.toml").write_text('clinic_timezone = "America/New_York"\n'
                                        'workstation = "w"\n')
    info = json.loads(cli("doctor", "--json").stdout)
    assert info["encryption"]["encrypted"] is False
    assert info["warnings"] == [
        "The database is not encrypted; run `ccm-timer encrypt` to protect the patient "
        "data in it."]
    assert "Encryption:       OFF" in cli("doctor").stdout
