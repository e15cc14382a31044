"""A light tray (issue 18): once a second only the tooltip's clock, never a menu rebuild;
the privacy lock's app-wide input filter only stamps the time; the start loads no window
it does not show, and PySide keeps no copy of every module's source."""

from __future__ import annotations

import subprocess
import sys

from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QWidget

from ccm_timer.ui.presenters import tray_text
from ccm_timer.ui.privacy_lock import PrivacyLock
from tests.fixtures.clinic import NURSE


class Monotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _move(widget: QWidget) -> None:
    QApplication.sendEvent(widget, QMouseEvent(
        QEvent.Type.MouseMove, QPointF(5, 5), QPointF(5, 5), Qt.MouseButton.NoButton,
        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier))


def test_input_is_only_stamped_and_the_slow_check_counts_it(qapp, qtbot) -> None:
    clock = Monotonic()
    lock = PrivacyLock(qapp, 10, monotonic=clock, check_ms=60_000)
    widget = QWidget()
    qtbot.addWidget(widget)
    try:
        clock.now = 1300.0
        _move(widget)
        assert lock.last_input == 1300.0
        assert lock.state.last_input == 1000.0  # nothing else done for the event
        clock.now = 1400.0
        QApplication.sendEvent(widget, QEvent(QEvent.Type.UpdateRequest))  # not input
        QApplication.sendEvent(widget, QEvent(QEvent.Type.Enter))  # the pointer came by
        assert lock.last_input == 1300.0
        clock.now = 1300.0 + 10 * 60 - 1
        lock.check()
        assert not lock.is_locked  # the moved mouse put the lock off
        clock.now += 1
        lock.check()
        assert lock.is_locked
        _move(widget)  # while locked a move reveals nothing, and is not stamped
        assert lock.is_locked and lock.last_input == 1300.0
    finally:
        lock.stop()


def test_a_running_timer_ticks_the_tooltip_and_never_rebuilds_the_menu(
        clinic, make_tray) -> None:
    tray = make_tray(clinic, use_tray=True)
    tray.controller.start("T1001", "phone-call")
    tray.rebuild_menu()
    items = tray.menu.actions()
    tips = []
    for _ in range(3):
        clinic.clock.advance(1)
        tray.controller.tick()
        tips.append(tray.surface.icon.toolTip())
    assert tray.menu.actions() == items  # the same items, not built again
    assert tips == [tray_text.tooltip(tray.status, s) for s in (1, 2, 3)]
    assert tips[-1].startswith("CCM Timer: Running 0:00:03\n")
    tray.controller.sign_out()  # a new state: the lines after the clock follow it
    assert tray.surface.icon.toolTip() == tray_text.tooltip(tray.status, 3)
    assert "Nobody is signed in" in tray.surface.icon.toolTip()
    assert NURSE not in tray.surface.icon.toolTip()


START = """
import linecache, sys
from PySide6.QtWidgets import QApplication
app = QApplication([])
import ccm_timer.ui.tray_icon  # the early icon, as launch() shows it
import ccm_timer.ui.unlock_dialog, ccm_timer.ui.app, ccm_timer.ui.controller
import ccm_timer.ui.privacy_lock, ccm_timer.ui.session_end, ccm_timer.ui.signin_dialog
print(sum(len(e[2]) for n, e in linecache.cache.items() if not n.startswith("<")))
print("\\n".join(sorted(sys.modules)))
"""
NOT_AT_START = ("ccm_timer.ui.overview", "ccm_timer.ui.dashboard", "ccm_timer.ui.worklist",
                "ccm_timer.ui.export", "ccm_timer.ui.setup", "ccm_timer.ui.records",
                "ccm_timer.exports.pdf", "ccm_timer.sync", "ccm_timer.services.month",
                "ccm_timer.ui.audit_window", "ccm_timer.ui.settings_dialog", "httpx", "truststore",
                "ccm_timer.platform", "plistlib")  # the login item: at a settings save


def test_the_tray_start_loads_no_window_it_does_not_show() -> None:
    """What a fresh process imports for the tray's start (the thing tested is a fresh
    interpreter's module table, hence the subprocess)."""
    done = subprocess.run([sys.executable, "-c", START], capture_output=True, text=True,
                          timeout=120, env={"QT_QPA_PLATFORM": "offscreen",
                                            "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    cached, *modules = done.stdout.split()
    loaded = [m for m in modules if m.startswith(NOT_AT_START)]
    assert loaded == []
    assert "sqlalchemy" in modules  # the check sees what the start does load
    # PySide6 read and kept every imported module's source, 250,000 lines (26 MB) in the
    # tray; SQLAlchemy's generated wrappers (named "<...>") are all that is left.
    assert int(cached) == 0
