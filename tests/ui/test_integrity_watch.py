"""The tray opens with the command line's trust (open_app's `check_later`) and runs a due
full check on a worker thread once it is up (ui/integrity_watch.py): a failure switches
the session to read-only and says so; a timer started before the check ended stays on disk
as it was committed, and later writes are refused with the read-only sentence."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from ccm_timer.services.context import AppContext, open_app
from ccm_timer.services.security import integrity
from ccm_timer.services.timing import timers
from ccm_timer.store.engine import ReadOnlyError
from ccm_timer.ui import integrity_watch
from tests.fixtures.clinic import setup_clinic
from tests.fixtures.damage import flip_keeping_mtime


def _day_later(home: Path, clock) -> AppContext:
    """The tray's open a day after the last check, on files a checked session closed."""
    clock.advance(timedelta(days=1, minutes=5))
    assert integrity.unchanged_since_clean_close(home / "ccm-timer.db")
    return open_app(str(home), clock=clock, check_later=True)


def _watch(qtbot, ctx: AppContext, failed: list[str]) -> integrity_watch.IntegrityWatch:
    watch = integrity_watch.IntegrityWatch(ctx, failed.append)
    with qtbot.waitSignal(watch.done, timeout=60_000):
        assert watch.check_if_due()
    qtbot.waitUntil(lambda: not watch.running)
    return watch


def test_a_day_old_check_runs_after_the_tray_is_up_and_vouches_for_the_files(
        home, clock, qtbot):
    setup_clinic(home)
    open_app(str(home), clock=clock).close()
    ctx = _day_later(home, clock)
    try:
        assert ctx.read_only is None and ctx.checked_at is None  # not checked at open
        assert integrity.check_due(ctx)
        started = ctx.now()
        failed: list[str] = []
        watch = _watch(qtbot, ctx, failed)
        assert failed == [] and ctx.checked_at == started and not integrity.check_due(ctx)
        assert not watch.check_if_due()  # vouched for a day from now
    finally:
        ctx.close()
    # The session closed clean after its check passed: the next open trusts the files.
    assert integrity.trusted_check(home / "ccm-timer.db", clock.now()) == started


def test_files_changed_since_a_checked_close_are_checked_before_the_tray_opens(home, clock):
    setup_clinic(home)
    flip_keeping_mtime(home, "audit_event", clock)
    (home / "ccm-timer.checked").unlink()  # as after a crash: no clean close vouches
    ctx = open_app(str(home), clock=clock, check_later=True)
    try:
        assert ctx.read_only and "failed its integrity check" in ctx.read_only
    finally:
        ctx.close()


def test_a_failed_check_apart_makes_the_session_read_only_and_keeps_the_running_timer(
        home, clock, qtbot):
    setup_clinic(home)
    flip_keeping_mtime(home, "chain_head", clock)  # a table timers never read
    ctx = _day_later(home, clock)
    try:
        assert ctx.read_only is None  # opened as the command line would: writable
        # The heartbeat's own check leaves it to the watch, never on the Qt thread.
        ctx.checks_apart = True
        assert integrity.scheduled_check(ctx) == []
        started = timers.start(ctx, patient_mrn="T1001", category_slug="phone-call")
        failed: list[str] = []
        _watch(qtbot, ctx, failed)
        assert ctx.read_only and failed == [ctx.read_only]
        assert "nothing can be recorded" in failed[0]
        clock.advance(timedelta(minutes=10))
        with pytest.raises(ReadOnlyError, match="nothing can be recorded"):
            timers.stop(ctx)
    finally:
        ctx.close()
    assert not (home / "ccm-timer.checked").exists()  # never vouched for at close
    reopened = open_app(str(home), clock=clock)
    try:  # read-only again, and the timer is on disk as it was committed: still running
        assert reopened.read_only
        status = timers.status(reopened)
        assert status.state == "running" and status.entry and status.entry.id == started.id
    finally:
        reopened.close()


def test_the_started_tray_runs_the_due_check_beside_it(home, clock, make_tray, qtbot):
    from PySide6.QtWidgets import QApplication

    from ccm_timer.ui import launch

    setup_clinic(home)
    open_app(str(home), clock=clock).close()
    ctx = _day_later(home, clock)
    tray = make_tray(ctx, signed_in=None)
    try:
        launch._guard_patient_data(QApplication.instance(), ctx, tray)  # the start's last step
        watch = tray.integrity_watch
        assert ctx.checks_apart  # the heartbeat leaves the check to the watch
        qtbot.waitUntil(lambda: not watch.running, timeout=60_000)
        assert ctx.checked_at is not None and ctx.read_only is None
    finally:
        tray.integrity_watch.stop()
        tray.signin.lock.stop()
        tray.signin.lock.deleteLater()
        ctx.close()
