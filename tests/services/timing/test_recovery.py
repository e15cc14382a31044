import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from ccm_timer.errors import UserError
from ccm_timer.services.context import open_app
from ccm_timer.services.timing import entries, recovery, timers
from ccm_timer.store.models import AuditEvent

ROOT = Path(__file__).resolve().parents[3]


def _crash(home: Path) -> tuple[str, str]:
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.services.timing.crashing_app", str(home)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )
    entry_id, start = child.stdout.readline().split()
    time.sleep(0.5)  # a few heartbeats
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=10)
    return entry_id, start


@pytest.mark.parametrize("choice", ["keep", "stop", "discard"])
def test_kill_9_then_recover(clinic, home, choice):
    clinic.close()
    entry_id, start = _crash(home)

    ctx = open_app(str(home))  # a real clock: the heartbeat was seconds ago
    try:
        status = timers.status(ctx)
        assert status.entry.start == datetime.fromisoformat(start)  # to the microsecond
        assert str(status.entry.id) == entry_id
        assert "left running" in status.warning
        [orphan] = recovery.pending(ctx)
        assert orphan.reason == "the app stopped unexpectedly"
        assert orphan.last_seen >= orphan.entry.start

        result = recovery.resolve(ctx, entry_id, choice)
        if choice == "keep":
            assert result.state == "running"
        elif choice == "stop":
            assert result.state == "stopped" and result.end == orphan.last_seen
        else:
            assert result.voided and result.state == "stopped"
        assert recovery.pending(ctx) == []
        assert timers.status(ctx).warning is None
        with ctx.read() as s:
            actions = [e.action for e in s.exec(select(AuditEvent))]
        assert f"recovery.{choice}" in actions
        with pytest.raises(UserError, match="does not need recovery"):
            recovery.resolve(ctx, entry_id, "stop")
    finally:
        ctx.close()


def test_cli_started_timer_has_no_watcher(clinic, clock):
    timers.start(clinic, patient_mrn="T1001", category_slug="phone-call")
    clock.advance(timedelta(hours=2))
    assert recovery.pending(clinic) == []
    assert timers.status(clinic).warning is None


def test_stale_heartbeat_and_clean_quit(clinic, clock):
    recovery.beat(clinic)
    timers.start(clinic, patient_mrn="T1001", category_slug="phone-call")
    clock.advance(30)
    recovery.beat(clinic)
    assert recovery.pending(clinic) == []  # our own process is alive and beating
    clock.advance(timedelta(minutes=5))
    assert [o.reason for o in recovery.pending(clinic)] == ["the app stopped answering"]
    recovery.beat(clinic)
    recovery.release(clinic)  # quit, leaving the timer running
    assert [o.reason for o in recovery.pending(clinic)] == [
        "the app was closed while the timer ran"]


def test_stop_at_last_seen_never_before_start(clinic, clock):
    recovery.beat(clinic)
    clock.advance(10)
    entry = timers.start(clinic, patient_mrn="T1001", category_slug="phone-call")
    clock.advance(1)
    recovery.release(clinic)
    clock.advance(timedelta(hours=1))
    # The heartbeat (release) came after the start, so the entry is orphaned; stopping at
    # last seen gives 1 second, never a negative span.
    result = recovery.resolve(clinic, str(entry.id), "stop")
    assert result.seconds == 1
    assert entries.list_entries(clinic)[0].seconds == 1
