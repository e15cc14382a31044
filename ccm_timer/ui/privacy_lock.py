"""Hide patient data in open windows after a while without use; the timer keeps running.

One event filter on the QApplication sees every key press, click, wheel turn and mouse move.
It runs for every event of the app, so while unlocked it only notes the time of the last
input (a class test, and a float for input); a slow timer compares that with the limit. When
`Settings.privacy_lock_minutes` pass without any, every visible window (and every window
registered with `register`) gets a cover: an opaque child widget over the whole window that
says how to come back, and the window title is blanked (titles may name a patient). A
window that opens while locked is covered as it appears. Coming back needs the signed-in
person's password, typed on the cover (HIPAA 164.312(a)(2)(iii) and (d)), or a switch to
another person's sign-in ("Switch person…", which the tray answers). A click or key aimed
at the hidden window is swallowed and reveals nothing; only the cover's own field and
buttons take input. Moving the mouse does not reveal anything.

The tray wires it once (TrayApp.attach_lock) and masks its own tooltip and menu while
`locked` is in force.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QInputEvent
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ccm_timer.services.security.privacy import IdleLock

COVER_TEXT = "Patient data is hidden while CCM Timer is not in use. The timer keeps running."
NOBODY_TEXT = "Nobody is signed in. Sign in to show patient data again."
HIDDEN_TITLE = "CCM Timer"
_REVEAL = {QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress,
           QEvent.Type.MouseButtonDblClick, QEvent.Type.TouchBegin}
_ACTIVITY = _REVEAL | {QEvent.Type.MouseMove, QEvent.Type.Wheel, QEvent.Type.KeyRelease,
                       QEvent.Type.MouseButtonRelease, QEvent.Type.TouchUpdate,
                       QEvent.Type.ShortcutOverride}


class PrivacyCover(QWidget):
    """The opaque sheet laid over one window's contents: the signed-in person's password
    field, Unlock and Switch person."""

    def __init__(self, window: QWidget, lock: PrivacyLock) -> None:
        super().__init__(window)
        self.setObjectName("privacyCover")
        self.setAutoFillBackground(True)
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        label = QLabel(COVER_TEXT, self)
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setWordWrap(True)
        self.who = QLabel(self, alignment=Qt.AlignmentFlag.AlignCenter, wordWrap=True)
        self.password = QLineEdit(self)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName("Password")
        self.password.setPlaceholderText("Your password")
        self.password.setMaximumWidth(260)
        self.unlock_button = QPushButton("&Unlock", self)
        self.switch_button = QPushButton("S&witch person…", self)
        self.error = QLabel(self, alignment=Qt.AlignmentFlag.AlignCenter, wordWrap=True)
        self.error.setStyleSheet("color: #b91c1c; font-weight: bold;")
        self.password.returnPressed.connect(lambda: lock.try_unlock(self.password))
        self.unlock_button.clicked.connect(lambda: lock.try_unlock(self.password))
        self.switch_button.clicked.connect(lock.switch_requested)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.password)
        row.addWidget(self.unlock_button)
        row.addWidget(self.switch_button)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(label)
        layout.addWidget(self.who)
        layout.addLayout(row)
        layout.addWidget(self.error)
        layout.addStretch(1)
        self.label = label
        self.hide()

    def prepare(self, name: str | None, problem: str = "") -> None:
        self.who.setText(f"Signed in: {name}. Type your password to come back."
                         if name else NOBODY_TEXT)
        self.password.setVisible(bool(name))
        self.unlock_button.setVisible(bool(name))
        self.switch_button.setText("S&witch person…" if name else "&Sign in…")
        self.error.setText(problem)
        self.error.setVisible(bool(problem))
        # A click on the sheet itself puts the cursor in the field: keys then type there.
        self.setFocusProxy(self.password if name else self.switch_button)

    def spread(self) -> None:
        self.setGeometry(self.parentWidget().rect())
        self.raise_()

    def take_focus(self) -> None:
        (self.password if self.password.isVisible() else self.switch_button).setFocus(
            Qt.FocusReason.OtherFocusReason)


class PrivacyLock(QObject):
    """Usage from the tray, once after the QApplication exists:

        lock = PrivacyLock(app, ctx.settings.privacy_lock_minutes,
                           who=lambda: name_signed_in, verify=check_password)
        lock.locked.connect(...)   # mask the tooltip and menu
        lock.unlocked.connect(...)
        lock.switch_requested.connect(...)  # the sign-in dialog; then lock.unlock()
        lock.register(window)      # optional: covered even while hidden, then shown
        lock.lock_now()            # on OS screen lock or session switch, if detected

    `who()` is the signed-in person's name (None: nobody); `verify(secret)` returns why
    the password does not unlock (a sentence), or None when it does.
    """

    locked = Signal()
    unlocked = Signal()
    switch_requested = Signal()  # "Switch person…" (or "Sign in…") on a cover

    def __init__(self, app: QApplication, minutes: float, *,
                 who: Callable[[], str | None] = lambda: None,
                 verify: Callable[[str], str | None] = lambda _s: "Nobody is signed in.",
                 monotonic: Callable[[], float] = time.monotonic, check_ms: int = 1000,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._app = app
        self._who, self._verify = who, verify
        self._now = monotonic
        self.state = IdleLock(minutes, monotonic())
        self.last_input = self.state.last_input  # set by eventFilter, read by check()
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
        """Called by the slow timer; locks when the idle time is up."""
        if not self.state.locked:
            self.state.input(self.last_input, reveals=False)
        if self.state.due(self._now()):
            self.lock_now()

    def lock_now(self) -> None:
        if self.state.locked:
            return
        self.state.lock()
        for window in self._windows():
            self._cover(window)
        self.locked.emit()

    def try_unlock(self, field: QLineEdit) -> bool:
        """The password typed on a cover: the signed-in person's unlocks every window."""
        secret = field.text()
        field.clear()
        problem = self._verify(secret) if secret else "Type your password, then press Enter."
        if problem:
            for cover in self._covers.values():
                if _alive(cover):
                    cover.prepare(self._who(), problem)
            field.setFocus()
            return False
        self.unlock()
        return True

    def unlock(self) -> None:
        """End the lock (the password given on a cover, or at the tray's sign-in)."""
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
            cover = PrivacyCover(window, self)
            self._covers[key] = cover
            window.destroyed.connect(lambda *_: self._forget(key))
        if key not in self._titles:
            self._titles[key] = window.windowTitle()
            window.setWindowTitle(HIDDEN_TITLE)
        cover.prepare(self._who())
        cover.spread()
        cover.show()
        if window.isActiveWindow():
            cover.take_focus()

    def _forget(self, key: int) -> None:
        self._covers.pop(key, None)
        self._titles.pop(key, None)

    def _covered(self, obj: QObject) -> bool:
        """Whether `obj` is hidden under a cover (the cover's own field and buttons are not)."""
        if not isinstance(obj, QWidget):
            return False
        window = obj.window()
        cover = self._covers.get(id(window))
        if cover is None or not cover.isVisible():
            return False
        return not (obj is cover or cover.isAncestorOf(obj))

    # ---- watching input -----------------------------------------------------------------

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if not self.state.locked:
            # Every event of the app passes here (timers, paints, the tooltip's): a class
            # test sends those back at once; input gets a time stamp, no more.
            if isinstance(event, QInputEvent) and event.type() in _ACTIVITY:
                self.last_input = self._now()
            return False
        kind = event.type()
        if kind in _ACTIVITY:
            # Only the password reveals: what was aimed at a hidden window is swallowed.
            return self._covered(obj)
        if isinstance(obj, QWidget):
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
