"""Hide patient data in open windows after a while without use; the timer keeps running.

One event filter on the QApplication sees every key press, click, wheel turn and mouse move.
When `Settings.privacy_lock_minutes` pass without any, every visible window (and every window
registered with `register`) gets a cover: an opaque child widget over the whole window that
says how to come back, and the window title is blanked (titles may name a patient). A
window that opens while locked is covered as it appears. A click or key press inside a
covered window removes every cover and is swallowed, so it never types into a field or
presses a button the user could not see. Moving the mouse does not reveal anything.

The tray wires it once (see the report in docs or the class docstring) and masks its own
tooltip and menu while `locked` is in force.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication, QLabel, QMenu, QVBoxLayout, QWidget

from ccm_timer.services.security.privacy import IdleLock

COVER_TEXT = "Patient data is hidden while CCM Timer is not in use.\n" \
             "Click or press a key to show patient data again.\n\nThe timer keeps running."
HIDDEN_TITLE = "CCM Timer"
_REVEAL = {QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress,
           QEvent.Type.MouseButtonDblClick, QEvent.Type.TouchBegin}
_ACTIVITY = _REVEAL | {QEvent.Type.MouseMove, QEvent.Type.Wheel, QEvent.Type.KeyRelease,
                       QEvent.Type.MouseButtonRelease, QEvent.Type.TouchUpdate,
                       QEvent.Type.ShortcutOverride}


class PrivacyCover(QWidget):
    """The opaque sheet laid over one window's contents."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.setObjectName("privacyCover")
        self.setAutoFillBackground(True)
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        label = QLabel(COVER_TEXT, self)
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        self.label = label
        self.hide()

    def spread(self) -> None:
        self.setGeometry(self.parentWidget().rect())
        self.raise_()


class PrivacyLock(QObject):
    """Usage from the tray, once after the QApplication exists:

        lock = PrivacyLock(app, ctx.settings.privacy_lock_minutes)
        lock.locked.connect(...)   # mask the tooltip and menu
        lock.unlocked.connect(...)
        lock.register(window)      # optional: covered even while hidden, then shown
        lock.lock_now()            # on OS screen lock or session switch, if detected
    """

    locked = Signal()
    unlocked = Signal()

    def __init__(self, app: QApplication, minutes: float, *,
                 monotonic: Callable[[], float] = time.monotonic, check_ms: int = 1000,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._app = app
        self._now = monotonic
        self.state = IdleLock(minutes, monotonic())
        self._registered: list[QWidget] = []
        self._covers: dict[int, PrivacyCover] = {}
        self._titles: dict[int, str] = {}
        self._timer = QTimer(self)
        self._timer.setInterval(check_ms)
        self._timer.timeout.connect(self.check)
        self._timer.start()
        app.installEventFilter(self)

    # ---- the tray's controls ----------------------------------------------------------

    @property
    def is_locked(self) -> bool:
        return self.state.locked

    def set_minutes(self, minutes: float) -> None:
        self.state.minutes = minutes

    def register(self, window: QWidget) -> None:
        if window not in self._registered:
            self._registered.append(window)

    def check(self) -> None:
        """Called every second by the timer; locks when the idle time is up."""
        if self.state.due(self._now()):
            self.lock_now()

    def lock_now(self) -> None:
        if self.state.locked:
            return
        self.state.lock()
        for window in self._windows():
            self._cover(window)
        self.locked.emit()

    def unlock(self) -> None:
        if self.state.locked:
            self.state.input(self._now(), reveals=True)
        for key, cover in list(self._covers.items()):
            cover.hide()
            window = cover.parentWidget()
            if key in self._titles:
                window.setWindowTitle(self._titles.pop(key))
        self.unlocked.emit()

    def stop(self) -> None:
        self._timer.stop()
        self._app.removeEventFilter(self)

    # ---- covering -----------------------------------------------------------------------

    def _windows(self) -> list[QWidget]:
        found = [w for w in self._registered if _alive(w)]
        for widget in self._app.topLevelWidgets():
            if widget.isVisible() and _coverable(widget) and widget not in found:
                found.append(widget)
        return found

    def _cover(self, window: QWidget) -> None:
        key = id(window)
        cover = self._covers.get(key)
        if cover is None or not _alive(cover):
            cover = PrivacyCover(window)
            self._covers[key] = cover
            window.destroyed.connect(lambda *_: self._forget(key))
        if key not in self._titles:
            self._titles[key] = window.windowTitle()
            window.setWindowTitle(HIDDEN_TITLE)
        cover.spread()
        cover.show()
        if window.isActiveWindow():
            cover.setFocus(Qt.FocusReason.OtherFocusReason)

    def _forget(self, key: int) -> None:
        self._covers.pop(key, None)
        self._titles.pop(key, None)

    def _covered(self, obj: QObject) -> bool:
        if not isinstance(obj, QWidget):
            return False
        window = obj.window()
        cover = self._covers.get(id(window))
        return cover is not None and cover.isVisible()

    # ---- watching input -----------------------------------------------------------------

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        kind = event.type()
        if kind in _ACTIVITY:
            if not self.state.locked:
                self.state.input(self._now(), reveals=False)
                return False
            if kind in _REVEAL:
                inside = self._covered(obj)
                self.unlock()
                return inside  # swallow what was aimed at a hidden window
            return self._covered(obj)
        if self.state.locked and isinstance(obj, QWidget):
            if kind == QEvent.Type.Show and obj.isWindow() and _coverable(obj):
                self._cover(obj)
            elif kind == QEvent.Type.Resize and id(obj) in self._covers:
                self._covers[id(obj)].spread()
        return False


def _coverable(widget: QWidget) -> bool:
    if isinstance(widget, (QMenu, PrivacyCover)):
        return False
    kind = widget.windowType()
    return kind not in (Qt.WindowType.ToolTip, Qt.WindowType.Popup, Qt.WindowType.SplashScreen)


def _alive(widget: QWidget) -> bool:
    try:
        widget.objectName()
        return True
    except RuntimeError:  # the C++ object is gone
        return False
