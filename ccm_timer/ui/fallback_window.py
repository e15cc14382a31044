"""Where there is no system tray (some GNOME and Wayland desktops): a small always-on-top
window with the running time and the same actions, instead of failing silently.

Its lines wrap, and a top-level window does not grow for a wrapped label by itself: each
change of text fits the window to its lines (`_fit`), so no line is ever cut off. With
nobody set up, its button opens the setup (the menu's own default action)."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMenu, QPushButton, QVBoxLayout, QWidget

from ccm_timer.ui import window_fit
from ccm_timer.ui.icons import state_icon
from ccm_timer.ui.presenters import tray_text
from ccm_timer.ui.presenters.tray_state import TrayState
from ccm_timer.ui.presenters.tray_status import TrayStatus
from ccm_timer.ui.style import BIG_STYLE

NOTICE_MS = 8000  # as long as a tray message stays
WIDTH = 380  # room for a two-line sentence; never wider than the screen
SETUP_TEXT = "Nobody is set up yet. Choose Set up to name the clinic and add its people."


class FallbackWindow(QWidget):
    primary = Signal()  # Start when idle, Stop while a timer runs
    pause = Signal()

    def __init__(self, menu: QMenu) -> None:
        super().__init__(None, Qt.WindowType.Window | Qt.WindowType.WindowStaysOnTopHint)
        self.setWindowTitle(tray_text.APP_NAME)
        self.setWindowIcon(state_icon(TrayState.IDLE))
        self.menu = menu
        self.headline = QLabel("Starting…", styleSheet=BIG_STYLE)
        self.subject = QLabel(wordWrap=True)
        # What a tray message would say ("Note copied"), shown here for a while instead.
        self.notice = QLabel(wordWrap=True, styleSheet="font-weight: bold;")
        self.notice.hide()
        self._notice_timer = QTimer(self, singleShot=True, interval=NOTICE_MS,
                                    timeout=self._notice_done)
        self.primary_button = QPushButton("&Start timer…")
        self.pause_button = QPushButton("&Pause")
        self.more_button = QPushButton("&More")
        self.more_button.setMenu(menu)
        self.primary_button.clicked.connect(self._primary_clicked)
        self.pause_button.clicked.connect(self.pause)
        row = QHBoxLayout()
        for button in (self.primary_button, self.pause_button, self.more_button):
            row.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.headline)
        layout.addWidget(self.subject)
        layout.addWidget(self.notice)
        layout.addLayout(row)
        self._status: TrayStatus | None = None
        self.setMinimumWidth(320)
        self.resize(WIDTH, self.height())

    def set_status(self, status: TrayStatus, elapsed: int) -> None:
        self._status = status
        self.setWindowIcon(state_icon(status.state))
        setup = status.state is TrayState.SETUP
        self.primary_button.setText(
            "&Decide…" if status.pending_recovery else "S&top…" if status.live
            else "&Set up…" if setup else "&Start timer…")
        self.pause_button.setVisible(status.live and not status.pending_recovery)
        self.pause_button.setText("&Resume" if status.state is TrayState.PAUSED else "&Pause")
        what = tray_text.subject(status) or status.problem or (
            SETUP_TEXT if setup else tray_text.signed_in(status))
        self.subject.setText(what)
        self.set_elapsed(elapsed)
        self._fit()

    def _primary_clicked(self) -> None:
        if self._status is not None and self._status.state is TrayState.SETUP:
            self.menu.aboutToShow.emit()  # built as it would be opened: Set up is its default
            action = self.menu.defaultAction()
            if action is not None:
                action.trigger()
            return
        self.primary.emit()

    def _fit(self) -> None:
        """As tall as its lines need at its width, within the screen."""
        layout = self.layout()
        layout.activate()
        width = min(max(self.width(), self.minimumWidth()), window_fit.room(self).width())
        height = max(layout.totalHeightForWidth(width), layout.totalMinimumSize().height())
        if height > 0:
            self.resize(width, height)

    def set_elapsed(self, elapsed: int) -> None:
        if self._status is not None:
            self.headline.setText(tray_text.headline(self._status, elapsed))
            self.setWindowTitle(f"{tray_text.headline(self._status, elapsed)} — CCM Timer")

    def notify(self, title: str, text: str) -> None:
        self.notice.setText(f"{title}: {text}")
        self.notice.show()
        self._fit()
        self._notice_timer.start()
        self.showNormal()
        self.raise_()

    def _notice_done(self) -> None:
        self.notice.hide()
        self._fit()

    def closeEvent(self, event: QCloseEvent) -> None:
        # This window is the app's only face here: closing would leave it running unseen.
        event.ignore()
        self.showMinimized()
