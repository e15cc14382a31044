"""The system-tray surface: icon by state, tooltip, and the menu on either click."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QCursor
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from ccm_timer.ui.icons import state_icon
from ccm_timer.ui.presenters import tray_text

if TYPE_CHECKING:  # shown before the services are imported: keep start-up lean
    from ccm_timer.ui.presenters.tray_status import TrayStatus


class TrayIconView:
    def __init__(self, menu: QMenu) -> None:
        self.menu = menu
        self.icon = QSystemTrayIcon(state_icon("idle"))
        self.icon.setToolTip(f"{tray_text.APP_NAME}: starting…")
        self.icon.setContextMenu(menu)
        self.icon.activated.connect(self._activated)
        self._status: TrayStatus | None = None

    def show(self) -> None:
        self.icon.show()

    def hide(self) -> None:
        self.icon.hide()

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        # A left click opens the same menu: on many desktops that is what people try first.
        if reason == QSystemTrayIcon.ActivationReason.Trigger:
            self.menu.popup(QCursor.pos())

    def set_status(self, status: TrayStatus, elapsed: int) -> None:
        if self._status is None or self._status.state != status.state:
            self.icon.setIcon(state_icon(status.state))
        self._status = status
        self.set_elapsed(elapsed)

    def set_elapsed(self, elapsed: int) -> None:
        if self._status is not None:
            self.icon.setToolTip(tray_text.tooltip(self._status, elapsed))

    def notify(self, title: str, text: str) -> None:
        """A passing notification; callers never put patient identifiers in it."""
        self.icon.showMessage(title, text, state_icon("running"), 8000)
