"""A quiet tray (issue 18): its own heartbeat is not read back as another program's commit
(no refresh every 30 s), while another program's commit still is; and the delivery worker
is neither loaded nor run until there is something to deliver."""

from __future__ import annotations

import sys

from ccm_timer.services.delivery import targets
from ccm_timer.services.timing import timers
from ccm_timer.ui.presenters.tray_state import TrayState
from tests.fixtures.tray import open_menu

WORKER = "ccm_timer.sync.worker"


def test_our_heartbeat_is_no_refresh_and_another_commit_is(clinic, make_tray) -> None:
    tray = make_tray(clinic)
    controller = tray.controller
    controller.start("T1001", "phone-call")
    states: list = []
    controller.state_changed.connect(states.append)
    for _ in range(2):
        clinic.clock.advance(30)  # a heartbeat writes the time it is seen alive
        controller.beat()
        controller._files_settled()  # what the file watch runs once the -wal file settles
    assert states == []
    clinic.clock.advance(30)
    controller.beat()
    timers.pause(clinic, controller._clinician_id)  # after our beat, before the watch looks
    controller._files_settled()
    assert [s.state for s in states] == [TrayState.PAUSED]


def test_no_delivery_worker_until_a_target(monkeypatch, clinic, make_tray, tmp_path,
                                           qtbot) -> None:
    monkeypatch.delitem(sys.modules, WORKER, raising=False)  # as in a fresh tray
    tray = make_tray(clinic)
    tray.sync_start.begin()  # the moment begin() leaves for it
    open_menu(tray)
    tray.sync_now()
    assert not tray.sync.running
    assert WORKER not in sys.modules
    # Another program adds a target: its commit is read, and the worker starts.
    targets.add(clinic, "shared", kind="folder", url=str(tmp_path / "out"))
    tray.controller._files_settled()
    assert tray.sync.running
    qtbot.waitUntil(lambda: WORKER in sys.modules, timeout=10_000)


def test_the_worker_waits_for_its_moment_even_with_a_target(clinic, make_tray,
                                                           tmp_path) -> None:
    targets.add(clinic, "shared", kind="folder", url=str(tmp_path / "out"))
    tray = make_tray(clinic)
    tray.controller.start("T1001", "phone-call")  # a new state before AFTER_MS
    assert not tray.sync.running  # the icon and the first state come first
    tray.sync_start.begin()
    assert tray.sync.running


def test_only_the_clock_runs_each_second(clinic, make_tray) -> None:
    """The QTimer inventory with a timer running: the tick is the only one at a second or
    less that repeats (the heartbeat is 30 s, the file watch's debounce fires once)."""
    from PySide6.QtCore import QTimer

    tray = make_tray(clinic)
    tray.controller.start("T1001", "phone-call")
    tray.rebuild_menu()
    frequent = [t for owner in (tray, tray.controller, tray.sync, tray.surface)
                for t in owner.findChildren(QTimer)
                if t.isActive() and not t.isSingleShot() and t.interval() <= 1000]
    assert frequent == [tray.controller._tick]
    assert tray.controller._heartbeat.isActive()  # the inventory sees running timers
