"""`ccm-timer encrypt`: an older, unencrypted data folder is converted in place; the
original stays until the encrypted copy verifies, then no plaintext is left."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
import sqlcipher3.dbapi2 as sqlcipher

from ccm_timer import paths as app_paths
from ccm_timer.services import settings as settings_file
from ccm_timer.services.context import open_app
from ccm_timer.services.people import clinicians, patients
from ccm_timer.services.security import audit, backups, keys
from ccm_timer.services.timing import entries
from tests.fixtures.cli import fingerprint
from tests.fixtures.keyring import FAIL, PASSPHRASE

MARKER = "MARKER-7f3a"


def _legacy_folder(home: Path, clock) -> dict[str, int]:
    """A data folder as older versions left it: an unencrypted database, a plaintext backup
    and no key record. Returns the row count of a few tables."""
    (home / "settings.toml").write_text(
        'clinic_timezone = "America/New_York"\nworkstation = "ws-test-1"\nencryption = "off"\n',
        encoding="utf-8")
    ctx = open_app(str(home), clock=clock)
    try:
        assert not ctx.protection.encrypted
        clinicians.add(ctx, name="Avery Nurse", credential="RN", role="clinical_staff",
                       default=True)
        patients.add(ctx, mrn="T1001", name="Testpatient, Alma", program="CCM",
                     consent=date(2026, 1, 5))
        for day in (1, 2, 3):
            entries.add_manual(ctx, patient_mrn="T1001", category_slug="phone-call",
                               start=clock.now().replace(day=day, hour=14),
                               end=clock.now().replace(day=day, hour=14, minute=25),
                               note=f"{MARKER} {day}")
        backups.take(ctx)
        counts = {t: _count(ctx, t) for t in ("time_entry", "interval", "audit_event")}
    finally:
        ctx.close()
    prefs = settings_file.load(home / "settings.toml")
    settings_file.save(home / "settings.toml", replace(prefs, encryption="on"))
    assert (home / "ccm-timer.db").read_bytes().startswith(b"SQLite format 3")
    assert not (home / keys.RECORD_FILE).exists()
    return counts


def _count(ctx, table: str) -> int:
    with ctx.engine.connect() as conn:
        return conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar()


def _plaintext_left(home: Path) -> list[str]:
    found = []
    for path in home.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            if data.startswith(b"SQLite format 3") or MARKER.encode() in data:
                found.append(path.name)
    return found


def test_an_unencrypted_folder_is_encrypted_in_place(home, clock, cli):
    counts = _legacy_folder(home, clock)
    assert set(_plaintext_left(home)) >= {"ccm-timer.db"}
    done = cli("encrypt")
    assert done.returncode == 0, done.stderr
    assert "now encrypted" in done.stdout
    assert "Write it down now" in done.stderr
    recovery = [line.strip() for line in done.stderr.splitlines() if line.count("-") == 13]
    assert len(recovery) == 1
    assert _plaintext_left(home) == []
    assert not list(home.glob("*.plaintext")) and not list(home.glob("*.encrypting"))
    ctx = open_app(str(home), clock=clock)
    try:
        assert ctx.protection.kept_in == "keyring"
        assert keys.parse_recovery_key(recovery[0]) == ctx.protection.key
        assert {t: _count(ctx, t) for t in counts if t != "audit_event"} == {
            t: n for t, n in counts.items() if t != "audit_event"}
        assert _count(ctx, "audit_event") == counts["audit_event"] + 1
        with ctx.read() as session:
            assert audit.verify(session).ok
            last = audit.history(session, ctx.protection.record.database_id)
        assert [e.action for e in last] == ["database.encrypt"]
        key = ctx.protection.key
    finally:
        ctx.close()
    for backup in (home / "backups").glob("*.db"):  # the old backup too, same key
        conn = sqlcipher.connect(str(backup))
        conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
        assert conn.execute("SELECT count(*) FROM time_entry").fetchone()[0] == 3
        conn.close()
    again = cli("encrypt")
    assert again.returncode == 1 and "already encrypted" in again.stderr


HOLD = """
import sys, sqlcipher3.dbapi2 as sqlcipher
conn = sqlcipher.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN")
conn.execute("SELECT count(*) FROM time_entry").fetchone()
print("holding", flush=True)
sys.stdin.readline()
"""


@pytest.mark.parametrize("holder", ["tray", "reader"])
def test_encrypt_refuses_while_another_program_has_the_database_open(home, clock, cli, holder):
    _legacy_folder(home, clock)
    if holder == "tray":  # a live tray's lock file (Qt's QLockFile: pid on the first line)
        (home / "ccm-timer.lock").write_text(f"{os.getpid()}\nccm-timer\nhost\n")
        other = None
    else:  # another process in the middle of a read transaction
        other = subprocess.Popen([sys.executable, "-c", HOLD, str(home / "ccm-timer.db")],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert other.stdout.readline().strip() == "holding"
    keyring_dir = Path(os.environ["CCM_TEST_KEYRING_DIR"])
    entries_before = set(keyring_dir.iterdir())
    before = fingerprint(home)
    try:
        done = cli("encrypt")
    finally:
        if other is not None:
            other.communicate("\n", timeout=30)
    assert done.returncode == 1
    assert "close the CCM Timer tray app" in done.stderr and "Traceback" not in done.stderr
    assert "Write it down" not in done.stderr  # no recovery key for a key never used

    def files(found: dict[str, str]) -> dict[str, str]:  # the holder's own -wal and -shm go
        return {k: v for k, v in found.items() if not k.endswith(("-wal", "-shm"))}

    assert files(fingerprint(home)) == files(before)
    assert set(keyring_dir.iterdir()) == entries_before  # the unused key was taken back


def test_encrypt_without_a_keyring_needs_a_passphrase(home, clock, cli):
    _legacy_folder(home, clock)
    before = fingerprint(home)
    refused = cli("encrypt", backend=FAIL)
    assert refused.returncode == 1 and "CCM_TIMER_PASSPHRASE" in refused.stderr
    assert fingerprint(home) == before
    done = cli("encrypt", backend=FAIL, CCM_TIMER_PASSPHRASE=PASSPHRASE)
    assert done.returncode == 0, done.stderr
    assert _plaintext_left(home) == []
    record = keys.load_record(app_paths.resolve(home))
    assert record is not None and record.kept_in == "passphrase"
    listed = cli("entry", "list", "--json", backend=FAIL, CCM_TIMER_PASSPHRASE=PASSPHRASE)
    assert len(json.loads(listed.stdout)) == 3


def test_wipe_overwrites_before_removing(tmp_path):
    from ccm_timer.services.security.encryption import wipe

    path = tmp_path / "old.db"
    path.write_bytes(b"SQLite format 3\0" + MARKER.encode() * 1000)
    link = tmp_path / "still-open-elsewhere"
    os.link(path, link)  # another name for the same blocks, as an open handle would see
    wipe(path)
    assert not path.exists()
    assert link.read_bytes() == b"\0" * (16 + len(MARKER) * 1000)
