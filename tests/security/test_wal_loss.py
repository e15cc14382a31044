"""The newest commits live in the -wal file while the tray holds the database open: a logout
(SIGTERM, SIGHUP) must checkpoint them into the database and close, and a -wal file that
vanished or was cut short after an unclean end must be noticed, loudly, until a backup is
restored (issue 13, defect 16). The tray is the real app in its own process (offscreen)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.fixtures.cli import run_cli
from tests.fixtures.clinic import setup_clinic
from tests.fixtures.keyring import KEYRING_ENV

HOLDER = """
import sys, time
from datetime import UTC, datetime
from ccm_timer.services.context import open_app
from ccm_timer.services.timing import entries
ctx = open_app(sys.argv[1])
held = ctx.engine.raw_connection()  # as the tray holds one: commits stay in the -wal file
entries.add_manual(ctx, patient_mrn="T1001", category_slug="phone-call",
                   start=datetime(2026, 11, 4, 15, tzinfo=UTC),
                   end=datetime(2026, 11, 4, 15, 40, tzinfo=UTC), note="the lost one")
print("committed", flush=True)
time.sleep(600)
"""
LOST = "Committed work may be missing"


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "CCM_TIMER_PASSPHRASE"}
    env.update(KEYRING_ENV, CCM_TIMER_HOME=str(home), QT_QPA_PLATFORM="offscreen",
               CCM_TIMER_TRAY_WAIT_MS="0")
    return env


def _wait_for(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def _stop(proc: subprocess.Popen) -> None:
    """A process that outlived its test is killed (never left behind)."""
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def _wal(home: Path) -> Path:
    return home / "ccm-timer.db-wal"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_a_logout_signal_checkpoints_the_tray_and_closes_it(home, sig):
    setup_clinic(home)
    assert run_cli(home, "unlock", "--show-recovery-key").returncode == 0  # no first dialog
    log = home / "logs" / "tray.log"
    tray = subprocess.Popen([sys.executable, "-m", "ccm_timer"], env=_env(home),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for(lambda: log.exists() and "ready after" in log.read_text(), 60, "the tray")
        started = run_cli(home, "start", "--patient", "T1001", "--category", "phone-call")
        assert started.returncode == 0, started.stderr
        assert _wal(home).stat().st_size > 0  # the tray's connection keeps it there
        tray.send_signal(sig)
        assert tray.wait(30) == 0  # a clean quit, not death by signal
    finally:
        _stop(tray)
    assert not _wal(home).exists() or _wal(home).stat().st_size == 0
    assert f"ended by signal {int(sig)}" in log.read_text()
    for leftover in (_wal(home), home / "ccm-timer.db-shm"):
        leftover.unlink(missing_ok=True)  # a cleanup tool after the logout: nothing is lost
    status = json.loads(run_cli(home, "status", "--json").stdout)
    assert status["state"] == "running"


@pytest.mark.parametrize("how", ["deleted", "cut short"])
def test_a_wal_lost_after_an_unclean_end_is_said_until_a_backup_is_restored(home, how):
    setup_clinic(home)
    backup = json.loads(run_cli(home, "backup", "--json").stdout)["path"]
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(home)], env=_env(home),
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "committed"
        holder.kill()  # the session ends without a checkpoint
        holder.wait()
    finally:
        _stop(holder)
    wal = _wal(home)
    assert wal.stat().st_size > 0
    if how == "deleted":
        wal.unlink()
    else:
        os.truncate(wal, wal.stat().st_size // 2)
    for _ in range(2):  # said at every command, not once
        listed = run_cli(home, "entry", "list")
        assert listed.returncode == 0 and "the lost one" not in listed.stdout
        assert LOST in listed.stderr and "ccm-timer restore" in listed.stderr
        assert "Traceback" not in listed.stderr
    doctor = run_cli(home, "doctor")
    assert doctor.returncode == 1
    assert "Committed work:   FAILED" in doctor.stdout and LOST in doctor.stdout
    restored = run_cli(home, "restore", backup)
    assert restored.returncode == 0, restored.stderr
    after = run_cli(home, "entry", "list")
    assert after.returncode == 0 and LOST not in after.stderr
    assert run_cli(home, "doctor").returncode == 0
