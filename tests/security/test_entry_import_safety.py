"""Entry import against kills and waiting timers (issue 18, point 3): a kill part-way
leaves nothing that counts once taken back at the next start, and a timer never waits
behind the import's batches."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import col, select

from ccm_timer.services.context import open_app
from ccm_timer.services.security import audit
from ccm_timer.services.timing import entries, entry_import, entry_import_batches, timers
from ccm_timer.store import month_rollup
from ccm_timer.store.models import AuditEvent
from tests.fixtures.clinic import NURSE
from tests.fixtures.keyring import KEYRING_ENV


def _file(tmp_path: Path, rows: int) -> Path:
    start = datetime(2024, 1, 5, 14, 0, tzinfo=UTC)
    path = tmp_path / "entries.csv"
    path.write_text("mrn,category,clinician,start,end\n" + "".join(
        f"T1001,phone-call,{NURSE},{(start + timedelta(minutes=20 * i)).isoformat()},"
        f"{(start + timedelta(minutes=20 * i + 10)).isoformat()}\n" for i in range(rows)),
        encoding="utf-8")
    return path


def _imported(ctx) -> int:
    with ctx.read() as session:
        return session.exec(text("SELECT count(*) FROM time_entry WHERE source = 'IMPORT' "
                                 "AND superseded_at IS NULL AND voided = 0")).one()[0]


@pytest.mark.timeout(300)
def test_an_import_killed_part_way_is_taken_back_at_the_next_start(clinic, home, tmp_path):
    path = _file(tmp_path, 20_000)
    env = {k: v for k, v in os.environ.items() if k != "CCM_TIMER_PASSPHRASE"}
    env.update(KEYRING_ENV, CCM_TIMER_HOME=str(home))
    proc = subprocess.Popen([sys.executable, "-m", "ccm_timer", "entry", "import", str(path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        deadline, committed = time.monotonic() + 120, 0
        while not committed and time.monotonic() < deadline and proc.poll() is None:
            committed = _imported(clinic)
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert 0 < committed < 20_000, proc.stderr
    clinic.close()
    again = open_app(str(home))  # the next start takes the killed import back
    try:
        assert _imported(again) == 0 and entries.list_entries(again) == []
        with again.read() as session:
            assert audit.verify(session).ok
            actions = [e.action for e in session.exec(
                select(AuditEvent).order_by(col(AuditEvent.seq))) if e.action.startswith(
                "entry.import")]
        assert actions[0] == "entry.import.begin" and actions[-1] == "entry.import.rollback"
        assert entry_import_batches.take_back_interrupted(again) == []
        with again.read() as session:  # set aside by the 20,000-row import, built at open
            conn = session.connection()
            assert month_rollup.zone_of(conn) == "America/New_York"
            assert month_rollup.differences(conn, again.zone) == 0
        # And the same file afterwards imports whole (the voided entries do not overlap).
        assert entry_import.import_file(again, _file(tmp_path, 50)).imported == 50
    finally:
        again.close()


@pytest.mark.solo  # a latency bound: the import's longest write lock, measured alone
@pytest.mark.timeout(300)
def test_a_timer_starts_and_stops_at_once_during_a_20k_row_import(clinic, tmp_path):
    path = _file(tmp_path, 20_000)
    waits: list[float] = []
    first = threading.Event()
    done = threading.Event()

    def timing() -> None:
        first.wait(120)
        while not done.is_set() and len(waits) < 10:
            t0 = time.monotonic()
            timers.start(clinic, patient_mrn="T1002", category_slug="phone-call")
            waits.append(time.monotonic() - t0)
            t0 = time.monotonic()
            timers.stop(clinic)
            waits.append(time.monotonic() - t0)

    worker = threading.Thread(target=timing)
    worker.start()
    try:
        result = entry_import.import_file(clinic, path, on_batch=lambda n, total: first.set())
    finally:
        done.set()
        first.set()
        worker.join(120)
    assert result.imported == 20_000 and result.writes >= 4
    assert result.longest_write < 1.0, result.write_seconds
    assert waits and max(waits) < 2.5, waits
