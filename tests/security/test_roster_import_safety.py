"""Roster import against unlucky and hostile files (issue 13, defect 10): the encoding is
chosen, never guessed; pipes, devices and huge files are refused before they are read; a
preview writes nothing; a 100,000-row import never keeps a timer waiting; a failure or a
kill part-way leaves no patient of the import behind."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from ccm_timer.errors import UserError
from ccm_timer.services.context import open_app
from ccm_timer.services.people import patients, roster, roster_batches
from ccm_timer.services.people.roster import RosterError
from ccm_timer.services.security import audit
from ccm_timer.services.timing import timers
from tests.fixtures.cli import db_digest, run_cli
from tests.fixtures.keyring import KEYRING_ENV

MIXED = 'mrn,name\nR1,"Testperson, Renée"\nR2,"Sample, Jos'.encode() + b'\xe9"\n'


def _write(tmp_path: Path, data: bytes, name: str = "roster.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _mrns(ctx) -> list[str]:
    return sorted(p.mrn for p in patients.list_patients(ctx))


def _rows(count: int, start: int = 0) -> bytes:
    body = "".join(f'R{i},"Test{i}, Pat",,CCM,2026-01-01\n' for i in range(start, start + count))
    return f"mrn,name,dob,program,consent\n{body}".encode()


def _command(home: Path, *args: str) -> tuple[list[str], dict[str, str]]:
    env = {k: v for k, v in os.environ.items() if k != "CCM_TIMER_PASSPHRASE"}
    env.update(KEYRING_ENV, CCM_TIMER_HOME=str(home))
    return [sys.executable, "-m", "ccm_timer", *args], env


def _limited(home: Path, *args: str, seconds: float = 60) -> subprocess.CompletedProcess:
    """`ccm-timer ARGS` with at most 3 GB of address space and `seconds` of time: today's
    bugs (reading /dev/zero, waiting on a FIFO) must fail the test, not the machine."""
    command, env = _command(home, *args)

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))

    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=seconds,
                          preexec_fn=cap)


# --- the encoding ---------------------------------------------------------------------------


def test_one_cp1252_byte_in_a_utf8_file_is_refused_with_its_line(clinic, tmp_path):
    before = _mrns(clinic)
    with pytest.raises(RosterError) as info:
        roster.import_file(clinic, _write(tmp_path, MIXED))
    message = str(info.value)
    assert message.startswith("Nothing was imported")
    assert "line 3" in message and "not UTF-8" in message
    assert "--encoding cp1252" in message and "Excel" in message
    assert _mrns(clinic) == before  # and no "RenÃ©e" anywhere


def test_a_cp1252_file_arrives_intact_when_its_encoding_is_given(clinic, tmp_path):
    data = 'mrn,name\nR1,"Testperson, Renée"\nR2,"Müller, Zoë"\n'.encode("cp1252")
    assert roster.import_file(clinic, _write(tmp_path, data), encoding="cp1252") == 2
    assert patients.get(clinic, "R1").given_name == "Renée"
    assert patients.get(clinic, "R2").family_name == "Müller"


def test_bytes_the_given_encoding_does_not_have_are_refused(clinic, tmp_path):
    with pytest.raises(RosterError, match="line 2: byte 0x81 is not cp1252"):
        roster.import_file(clinic, _write(tmp_path, b'mrn,name\nR1,"Ok, \x81"\n'),
                           encoding="cp1252")
    with pytest.raises(RosterError, match="no-such-codec is not an encoding"):
        roster.import_file(clinic, _write(tmp_path, b'mrn,name\nR1,"Ok, A"\n'),
                           encoding="no-such-codec")


# --- what may be read -----------------------------------------------------------------------


@pytest.mark.timeout(120)
def test_a_fifo_is_refused_at_once(cli_clinic, tmp_path):
    fifo = tmp_path / "roster.csv"
    os.mkfifo(fifo)
    before = db_digest(cli_clinic)
    started = time.monotonic()
    try:
        done = _limited(cli_clinic, "patient", "import", str(fifo), seconds=30)
    except subprocess.TimeoutExpired:
        pytest.fail("ccm-timer patient import waited on a FIFO for 30 s")
    assert time.monotonic() - started < 30
    assert done.returncode == 1, done.stderr
    assert "is not a regular file" in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert db_digest(cli_clinic) == before


@pytest.mark.timeout(120)
def test_dev_zero_is_refused_without_being_read(cli_clinic):
    try:
        done = _limited(cli_clinic, "patient", "import", "/dev/zero", seconds=30)
    except subprocess.TimeoutExpired:
        pytest.fail("ccm-timer patient import kept reading /dev/zero for 30 s")
    assert done.returncode == 1
    assert "/dev/zero is not a regular file" in done.stderr, done.stderr[-400:]
    assert "Traceback" not in done.stderr


def test_a_file_over_the_size_limit_is_refused_with_the_limit(clinic, tmp_path):
    path = tmp_path / "huge.csv"
    with open(path, "wb") as handle:
        handle.write(b"mrn,name\n")
        handle.truncate(roster.MAX_BYTES + 1)  # sparse: no 50 MB written to the disk
    with pytest.raises(UserError, match="larger than 50 MB"):
        roster.import_file(clinic, path)


@pytest.mark.timeout(120)
def test_a_file_over_the_row_limit_is_refused_with_the_limit(clinic, tmp_path):
    data = b"mrn,name\n" + b'R1,"A, B"\n' * (roster.MAX_ROWS + 1)
    before = _mrns(clinic)
    with pytest.raises(UserError, match="more than 200,000 rows"):
        roster.import_file(clinic, _write(tmp_path, data))
    assert _mrns(clinic) == before


# --- the preview ----------------------------------------------------------------------------


def test_preview_shows_columns_rows_and_every_bad_row_and_writes_nothing(cli_clinic, tmp_path):
    data = (b"Patient ID,Last Name,First Name,Date of Birth\n"
            b"R1,Testperson,Ana,1950-01-02\nR2,=HYPERLINK(1),Bo,\nR3,Ok,Cy,01/02/1950\n"
            b"T1001,Dup,Ann,\nR5,Fine,Di,\n")
    path = _write(tmp_path, data)
    before = db_digest(cli_clinic)
    done = run_cli(cli_clinic, "patient", "import", "--preview", str(path))
    assert done.returncode == 1, done.stdout + done.stderr
    out = done.stdout
    assert "Encoding: UTF-8" in out
    for column, header in (("mrn", "Patient ID"), ("family", "Last Name"),
                           ("given", "First Name"), ("dob", "Date of Birth")):
        assert f"{column}: {header}" in out, out
    assert "5 row(s)" in out and "2 good" in out
    assert "line 3: the family name starts with '='" in out
    assert "line 4: '01/02/1950' is not a date" in out
    assert "line 5: MRN T1001 is already in the database" in out
    assert "3 row(s) would be refused" in done.stderr and "Traceback" not in done.stderr
    assert db_digest(cli_clinic) == before
    good = _write(tmp_path, b"mrn,name\nR7,\"Ok, Ann\"\n", "good.csv")
    done = run_cli(cli_clinic, "patient", "import", "--preview", "--json", str(good))
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)
    assert shown["rows"] == 1 and shown["problems"] == [] and shown["encoding"] == "UTF-8"
    assert shown["columns"] == {"mrn": "mrn", "name": "name"}
    assert db_digest(cli_clinic) == before


# --- batches: never a long lock, still all or nothing ---------------------------------------


def _wait_for_batches(ctx, proc: subprocess.Popen, at_least: int, seconds: float) -> int:
    """Patients the running import has committed, once there are `at_least`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with ctx.read() as session:
            count = session.exec(text("SELECT count(*) FROM patient")).one()[0]
        if count >= at_least:
            return count
        if proc.poll() is not None:
            pytest.fail(f"the import ended before committing anything: {proc.stderr.read()}")
        time.sleep(0.05)
    pytest.fail(f"the import committed fewer than {at_least} patients in {seconds} s")


@pytest.mark.solo  # a latency bound: the import's longest write lock, measured alone
@pytest.mark.timeout(600)
def test_timers_start_and_stop_at_once_during_a_100k_row_import(clinic, home, tmp_path):
    path = _write(tmp_path, _rows(100_000))
    command, env = _command(home, "patient", "import", "--json", str(path))
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)
    try:
        _wait_for_batches(clinic, proc, 3 + 1, seconds=120)
        waits = []
        for _ in range(3):
            started = time.monotonic()
            timers.start(clinic, patient_mrn="T1001", category_slug="phone-call")
            waits.append(time.monotonic() - started)
            started = time.monotonic()
            timers.stop(clinic)
            waits.append(time.monotonic() - started)
        still_importing = proc.poll() is None
        out, err = proc.communicate(timeout=540)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    report = json.loads(out)
    assert report["imported"] == 100_000
    assert still_importing, "the timers had to wait for the whole import"
    # The import's own measure of each write transaction (BEGIN IMMEDIATE to COMMIT); the
    # timer calls here, measured from outside, are bounded generously for a loaded machine.
    assert report["writes"] >= 20 and report["longest_write_seconds"] < 1.0, report
    assert max(waits) < 2.5, waits
    assert len(_mrns(clinic)) == 3 + 100_000


def test_a_failure_part_way_takes_back_every_batch_written(clinic, tmp_path):
    path = _write(tmp_path, _rows(6_000))
    seen: list[int] = []

    def meanwhile(written: int) -> None:
        seen.append(written)
        if len(seen) == 2:  # someone adds, at the front desk, a patient the roster has too
            patients.add(clinic, mrn="R5999", name="Frontdesk, Added")

    before = _mrns(clinic)
    with pytest.raises(RosterError) as info:
        roster.import_file(clinic, path, on_batch=meanwhile, batch_rows=500)
    assert len(seen) >= 2
    message = str(info.value)
    assert message.startswith("Nothing was imported")
    assert "MRN R5999 was added by someone else while the roster was imported" in message
    assert _mrns(clinic) == sorted([*before, "R5999"])
    with clinic.read() as session:
        assert session.exec(text("SELECT count(*) FROM enrollment e JOIN patient p "
                                 "ON p.id = e.patient_id WHERE p.mrn LIKE 'R%'")).one()[0] == 0
        actions = [e.action for e in audit.history(session, roster_batches.last_import_id(session))]
        assert audit.verify(session).ok
    assert actions[0] == "patient.import.begin" and actions[-1] == "patient.import.rollback"


@pytest.mark.timeout(600)
def test_an_import_killed_part_way_is_taken_back_at_the_next_start(clinic, home, tmp_path):
    path = _write(tmp_path, _rows(100_000))
    command, env = _command(home, "patient", "import", str(path))
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)
    try:
        committed = _wait_for_batches(clinic, proc, 3 + 1, seconds=120)
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert committed > 3
    clinic.close()
    again = open_app(str(home))  # the next start takes the half import back
    try:
        assert _mrns(again) == ["T1001", "T1002", "T1003"]
        with again.read() as session:
            last = roster_batches.last_import_id(session)
            events = [e.action for e in audit.history(session, last)]
            assert audit.verify(session).ok
        assert events[-1] == "patient.import.rollback"
        # And a full import afterwards is whole.
        small = _write(tmp_path, _rows(10), "small.csv")
        assert roster.import_file(again, small) == 10
    finally:
        again.close()


def test_the_batches_of_an_import_are_short_and_counted(clinic, tmp_path):
    result = roster.import_roster(clinic, _write(tmp_path, _rows(3_000)), batch_rows=400)
    assert result.imported == 3_000
    assert result.writes == len(result.write_seconds) >= 3_000 // 400
    assert max(result.write_seconds) < 1.0
    assert patients.get(clinic, "R2999").enrollments[0].program.value == "CCM"


def test_a_timer_in_another_thread_gets_in_between_batches(clinic, tmp_path):
    """The pause between batches is longer than SQLite's longest busy wait: a waiting
    writer is never starved by the next batch."""
    path = _write(tmp_path, _rows(8_000))
    waits: list[float] = []
    started = threading.Event()

    def worker() -> None:
        started.wait(60)
        t0 = time.monotonic()
        timers.start(clinic, patient_mrn="T1001", category_slug="phone-call")
        waits.append(time.monotonic() - t0)

    thread = threading.Thread(target=worker)
    thread.start()
    result = roster.import_roster(clinic, path, batch_rows=500,
                                  on_batch=lambda n: started.set())
    thread.join(60)
    assert result.imported == 8_000 and waits and waits[0] < 2.5
