"""No plaintext on disk, and a damaged database is opened read-only, never repaired
(reliability T14, R1.7, R3.5)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ccm_timer.services.context import open_app
from ccm_timer.services.people import clinicians, patients
from ccm_timer.services.timing import entries, timers
from ccm_timer.store.engine import ReadOnlyError
from tests.fixtures.cli import fingerprint
from tests.fixtures.clinic import setup_clinic

MARKER = "MARKER-7f3a"


def _scan(folder: Path, *needles: bytes) -> list[str]:
    found = []
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            found += [f"{path.name}: {n!r}" for n in needles if n in data]
        if any(n.decode() in path.name for n in needles):
            found.append(f"file name {path}")
    return found


def test_the_marker_is_nowhere_on_disk(home, clock, cli):
    ctx = open_app(str(home), clock=clock)
    held = ctx.engine.raw_connection()  # as the tray holds one: the -wal file stays
    clinicians.add(ctx, name="Avery Nurse", credential="RN", role="clinical_staff",
                   default=True)
    patients.add(ctx, mrn="T1001", name="Testpatient, Alma", program="CCM",
                 consent=datetime(2026, 1, 5).date())
    timers.start(ctx, patient_mrn="T1001", category_slug="phone-call", note=MARKER)
    clock.advance(timedelta(minutes=21))
    timers.stop(ctx)
    entries.add_manual(ctx, patient_mrn="T1001", category_slug="phone-call",
                       start=datetime(2026, 11, 2, 15, tzinfo=UTC),
                       end=datetime(2026, 11, 2, 15, 30, tzinfo=UTC), note=f"{MARKER} manual")
    # While the app is open the newest pages are in the -wal file: encrypted there too.
    assert (home / "ccm-timer.db-wal").stat().st_size > 4096
    assert _scan(home, MARKER.encode(), b"Testpatient") == []
    held.close()
    ctx.close()
    for args in (("start", "--patient", "T1001", "--category", "phone-call", "--note",
                  f"{MARKER} cli"), ("stop",), ("backup",),
                 ("export", "--month", "2026-11", "--format", "csv", "--draft"),
                 ("export", "--month", "2026-11", "--format", "ehr-text", "--patient",
                  "T1001", "--out", "-")):
        done = cli(*args)
        assert done.returncode == 0, (args, done.stderr)
    assert MARKER in done.stdout  # the export the user asked for does carry the note
    exports = [p for p in home.rglob("*") if p.is_file() and "export" in str(p.parent)]
    scanned = [p for p in home.rglob("*") if p.is_file() and p not in exports]
    assert {p.name for p in scanned} >= {"ccm-timer.db", "settings.toml"}
    assert len(list((home / "backups").glob("*.db"))) == 2  # today's daily one and `backup`
    for path in scanned:
        data = path.read_bytes()
        for needle in (MARKER.encode(), MARKER.encode("utf-16-le"), b"Testpatient",
                       b"T1001"):
            assert needle not in data, path
        if path.suffix == ".db":
            assert not data.startswith(b"SQLite format 3"), path
    for path in home.rglob("*"):  # an export's file name carries no patient identifier
        assert "T1001" not in path.name and "Testpatient" not in path.name


def test_sqlcipher_keeps_temporary_tables_in_memory(ctx):
    with ctx.engine.connect() as conn:
        options = {r[0] for r in conn.exec_driver_sql("PRAGMA compile_options")}
    assert options & {"TEMP_STORE=2", "TEMP_STORE=3"}, options


def _flip_a_byte_in(home: Path, table: str) -> None:
    ctx = open_app(str(home))
    with ctx.engine.connect() as conn:
        root = conn.exec_driver_sql(
            "SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).scalar()
    ctx.close()
    path = home / "ccm-timer.db"
    data = bytearray(path.read_bytes())
    data[(root - 1) * 4096 + 1000] ^= 0x55
    path.write_bytes(bytes(data))


def test_a_flipped_byte_opens_read_only_and_nothing_is_repaired(home, cli):
    setup_clinic(home, note=MARKER)
    _flip_a_byte_in(home, "time_entry")
    before = fingerprint(home)
    listed = cli("clinician", "list")  # intact tables can still be read
    assert listed.returncode == 0 and "Avery Nurse" in listed.stdout
    assert "read-only" in listed.stderr and "restore the latest backup" in listed.stderr
    started = cli("start", "--patient", "T1001", "--category", "phone-call")
    assert started.returncode == 1
    assert "nothing can be recorded" in started.stderr.splitlines()[-1]
    damaged = cli("entry", "list")
    assert damaged.returncode == 1 and "Traceback" not in damaged.stderr
    assert "damaged database cannot be read" in damaged.stderr
    doctor = json.loads(cli("doctor", "--json").stdout)
    assert doctor["integrity"]["read_only"]
    assert doctor["integrity"]["cipher_integrity_check"][0].startswith("HMAC verification")
    assert fingerprint(home) == before  # not one byte, not one new file


def test_read_only_refuses_writes_in_process(home):
    setup_clinic(home)
    _flip_a_byte_in(home, "time_entry")
    ctx = open_app(str(home))
    try:
        assert ctx.read_only
        with pytest.raises(ReadOnlyError, match="read-only"):
            clinicians.add(ctx, name="Blake Test", credential="MD", role="practitioner")
    finally:
        ctx.close()


@pytest.mark.parametrize("also_last_page", [False, True])
def test_damage_beyond_the_data_is_reported_as_damage_not_as_a_wrong_key(
        home, cli, also_last_page):
    setup_clinic(home)
    _flip_a_byte_in(home, "alembic_version")
    if also_last_page:  # the schema's own pages (the last ones written by migrations)
        path = home / "ccm-timer.db"
        data = bytearray(path.read_bytes())
        data[4096 * (len(data) // 4096 - 1) + 100] ^= 0x01
        path.write_bytes(bytes(data))
    before = fingerprint(home)
    done = cli("entry", "list")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "damaged" in done.stderr or "failed its integrity check" in done.stderr
    assert "restore the latest backup" in done.stderr
    assert "unlock --recovery-key" not in done.stderr
    assert fingerprint(home) == before
