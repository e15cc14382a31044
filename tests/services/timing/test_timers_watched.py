"""Timers the tray watches: the heartbeat is written with the start, switch or resume, so
a crash before the first periodic heartbeat still leaves a timer recovery asks about."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from ccm_timer.errors import UserError
from ccm_timer.services.context import open_app
from ccm_timer.services.timing import liveness, recovery, timers
from ccm_timer.store.models import Heartbeat

ROOT = Path(__file__).resolve().parents[3]


def _heartbeat(ctx) -> Heartbeat | None:
    with ctx.read() as session:
        return session.exec(select(Heartbeat)).first()


def test_start_switch_and_resume_write_the_heartbeat_in_the_same_transaction(clinic, clock):
    assert _heartbeat(clinic) is None
    started = timers.start(clinic, patient_mrn="T1001", category_slug="phone-call",
                           watched_by_app=True)
    beat = _heartbeat(clinic)
    assert (beat.workstation, beat.last_seen_utc, beat.pid) == (
        "ws-test-1", started.start, os.getpid())
    assert beat.boot_id == liveness.boot_id()
    clock.advance(60)
    _, switched = timers.switch(clinic, patient_mrn="T1002", category_slug="med-rec",
                                watched_by_app=True)
    assert _heartbeat(clinic).last_seen_utc == switched.start
    clock.advance(60)
    timers.pause(clinic)
    clock.advance(60)
    timers.resume(clinic, watched_by_app=True)
    assert _heartbeat(clinic).last_seen_utc == clock.now()


def test_without_the_flag_no_heartbeat_is_written(clinic, clock):
    timers.start(clinic, patient_mrn="T1001", category_slug="phone-call")
    clock.advance(60)
    timers.pause(clinic)
    timers.resume(clinic)
    assert _heartbeat(clinic) is None  # the command line vouches for nothing


def test_a_refused_start_writes_no_heartbeat(clinic):
    timers.start(clinic, patient_mrn="T1001", category_slug="phone-call")
    with pytest.raises(UserError, match="already running"):
        timers.start(clinic, patient_mrn="T1002", category_slug="med-rec", watched_by_app=True)
    assert _heartbeat(clinic) is None


def test_a_watched_timer_whose_app_stops_answering_is_an_orphan(clinic, clock):
    timers.start(clinic, patient_mrn="T1001", category_slug="phone-call", watched_by_app=True)
    assert recovery.pending(clinic) == []  # this process is alive
    clock.advance(timedelta(minutes=5))
    assert [o.reason for o in recovery.pending(clinic)] == ["the app stopped answering"]


def test_kill_9_before_the_first_periodic_heartbeat_is_recovered(clinic, home):
    clinic.close()
    child = subprocess.Popen([sys.executable, "-m", "tests.services.timing.crashing_app", str(home),
                              "--no-beats"], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    entry_id, _start = child.stdout.readline().split()
    os.kill(child.pid, signal.SIGKILL)  # at once: no heartbeat but the start's own
    child.wait(timeout=10)
    ctx = open_app(str(home))
    try:
        (orphan,) = recovery.pending(ctx)
        assert str(orphan.entry.id) == entry_id
        assert orphan.reason == "the app stopped unexpectedly"
        stopped = recovery.resolve(ctx, entry_id, "stop")
        assert stopped.state == "stopped" and stopped.end == orphan.last_seen
    finally:
        ctx.close()
