"""The privacy lock: after a while without use open windows hide patient data; only the
signed-in person's password on the cover brings it back (a click or a key does not, and is
not passed to the hidden window), or a switch to another person; the timer keeps running."""

from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QVBoxLayout, QWidget

from ccm_timer.services.security.privacy import IdleLock
from ccm_timer.services.timing import timers
from ccm_timer.ui.privacy_lock import HIDDEN_TITLE, PrivacyCover, PrivacyLock


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _patient_window(qtbot, title: str = "Testpatient, Alma (T1001)") -> tuple[QWidget, QLineEdit]:
    window = QWidget()
    window.setWindowTitle(title)
    layout = QVBoxLayout(window)
    layout.addWidget(QLabel("Testpatient, Alma  MRN T1001"))
    field = QLineEdit()
    layout.addWidget(field)
    qtbot.addWidget(window)
    window.resize(400, 300)
    window.show()
    qtbot.waitExposed(window)
    return window, field


@pytest.fixture
def monotonic() -> FakeMonotonic:
    return FakeMonotonic()


SECRET = "Synthetic-pass-16"


@pytest.fixture
def lock(qapp, monotonic):
    made = PrivacyLock(qapp, 10, monotonic=monotonic, check_ms=50, who=lambda: "Avery Nurse",
                       verify=lambda s: None if s == SECRET else "That is not Avery Nurse's "
                       "password; nothing was changed.")
    yield made
    made.stop()


def _cover(window: QWidget) -> PrivacyCover:
    return window.findChild(PrivacyCover)


def _hidden(window: QWidget) -> bool:
    cover = _cover(window)
    centre = window.rect().center()
    return (cover is not None and cover.isVisible() and cover.geometry() == window.rect()
            and (window.childAt(centre) is cover or cover.isAncestorOf(window.childAt(centre)))
            and window.windowTitle() == HIDDEN_TITLE)


def test_idle_time_covers_every_open_window_and_only_the_password_uncovers(
        qtbot, lock, monotonic):
    window, field = _patient_window(qtbot)
    other, _ = _patient_window(qtbot, "Overview")
    monotonic.now += 9 * 60 + 59
    lock.check()
    assert not lock.is_locked and not _hidden(window)
    with qtbot.waitSignal(lock.locked, timeout=2000):
        monotonic.now += 1
    assert _hidden(window) and _hidden(other)
    qtbot.keyClick(field, "x")
    assert field.text() == "" and lock.is_locked  # swallowed, and it reveals nothing
    cover = _cover(window)
    assert cover.who.text() == "Signed in: Avery Nurse. Type your password to come back."
    qtbot.keyClicks(cover.password, "guess")
    qtbot.keyClick(cover.password, Qt.Key.Key_Return)
    assert lock.is_locked and _hidden(window) and _hidden(other)
    assert cover.error.text() == "That is not Avery Nurse's password; nothing was changed."
    assert cover.password.text() == ""
    with qtbot.waitSignal(lock.unlocked, timeout=1000):
        qtbot.keyClicks(cover.password, SECRET)
        qtbot.keyClick(cover.password, Qt.Key.Key_Return)
    assert not lock.is_locked
    assert not _cover(window).isVisible()
    assert window.windowTitle() == "Testpatient, Alma (T1001)"


def test_neither_moving_the_mouse_nor_a_click_uncovers(qtbot, lock, monotonic):
    window, field = _patient_window(qtbot)
    lock.lock_now()
    qtbot.mouseMove(window, QPoint(10, 10))
    qtbot.mouseMove(window, QPoint(200, 150))
    assert lock.is_locked and _hidden(window)
    qtbot.mouseClick(window, Qt.MouseButton.LeftButton, pos=QPoint(200, 150))
    qtbot.mouseClick(field, Qt.MouseButton.LeftButton)
    assert lock.is_locked and _hidden(window)


def test_switch_person_on_the_cover_asks_the_tray(qtbot, lock):
    window, _ = _patient_window(qtbot)
    lock.lock_now()
    with qtbot.waitSignal(lock.switch_requested, timeout=1000):
        _cover(window).switch_button.click()
    assert lock.is_locked  # the tray unlocks once someone signs in


def test_with_nobody_signed_in_the_cover_offers_only_sign_in(qtbot, qapp, monotonic):
    lock = PrivacyLock(qapp, 10, monotonic=monotonic, check_ms=50)
    try:
        window, _ = _patient_window(qtbot)
        lock.lock_now()
        cover = _cover(window)
        assert not cover.password.isVisibleTo(cover)
        assert cover.switch_button.text() == "&Sign in…"
    finally:
        lock.unlock()
        lock.stop()


def test_use_keeps_the_lock_away(qtbot, lock, monotonic):
    window, field = _patient_window(qtbot)
    for _ in range(5):
        monotonic.now += 8 * 60
        qtbot.keyClick(field, "a")
        lock.check()
    assert not lock.is_locked and field.text() == "aaaaa"


def test_a_window_opened_while_locked_is_covered_and_resizes_keep_it_covered(qtbot, lock):
    lock.lock_now()
    window, _ = _patient_window(qtbot, "Reminder: Testpatient")
    assert _hidden(window)
    window.resize(640, 480)
    qtbot.waitUntil(lambda: _cover(window).geometry() == window.rect(), timeout=1000)


def test_the_timer_keeps_running_while_locked(qtbot, lock, monotonic, clinic, clock):
    window, _ = _patient_window(qtbot)
    timers.start(clinic, patient_mrn="T1001", category_slug="phone-call")
    lock.lock_now()
    clock.advance(timedelta(minutes=25))
    monotonic.now += 25 * 60
    lock.check()
    status = timers.status(clinic)
    assert status.state == "running" and status.entry.seconds == 25 * 60
    qtbot.mouseClick(window, Qt.MouseButton.LeftButton)
    assert timers.status(clinic).state == "running" and lock.is_locked


def test_zero_minutes_never_locks(qtbot, qapp, monotonic):
    lock = PrivacyLock(qapp, 0, monotonic=monotonic, check_ms=50)
    try:
        monotonic.now += 10**6
        lock.check()
        assert not lock.is_locked
    finally:
        lock.stop()


def test_real_time_lock_fires_by_itself(qtbot, qapp):
    window, _ = _patient_window(qtbot)
    lock = PrivacyLock(qapp, 0.5 / 60, check_ms=50)  # half a second, real clock
    try:
        qtbot.waitUntil(lambda: lock.is_locked, timeout=5000)
        assert _hidden(window)
    finally:
        lock.unlock()
        lock.stop()


def test_idle_lock_rules_without_qt():
    state = IdleLock(10, last_input=0)
    assert state.seconds_left(300) == 300 and not state.due(599)
    assert state.due(600)
    state.lock()
    assert not state.input(601, reveals=False) and state.locked
    assert state.input(602, reveals=True) and not state.locked
    assert state.seconds_left(602) == 600
    assert not IdleLock(0, last_input=0).due(10**9)


def test_menus_and_tooltips_are_left_to_the_tray(qapp, lock):
    from PySide6.QtWidgets import QMenu

    from ccm_timer.ui.privacy_lock import _coverable

    assert not _coverable(QMenu())
    assert _coverable(QWidget())
    assert QApplication.instance() is qapp
