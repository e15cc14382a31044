"""The system-tray surface: icon by state, tooltip, and the menu on either click."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QCursor
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from ccm_timer.ui import import_scan
from ccm_timer.ui.icons import state_icon
from ccm_timer.ui.presenters import tray_text

if TYPE_CHECKING:  # shown before the services are imported: keep start-up lean
    from ccm_timer.ui.presenters.tray_status import TrayStatus

# Imported at start before the database and the services: from here on, PySide no longer
# reads (and keeps) the source of every module imported (import_scan.py says why).
import_scan.skip_source_scan()


class TrayIconView:
    def __init__(self, menu: QMenu) -> None:
        self.menu = menu
        self.icon = QSystemTrayIcon(state_icon("idle"))
        self.icon.setToolTip(f"{tray_text.APP_NAME}: starting…")
        self.icon.setContextMenu(menu)
        self.icon.activated.connect(self._activated)
        self._status: TrayStatus | None = None
        self._rest = ""  # the tooltip's lines after the first, for self._status
        self._tooltip = ""

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
        self._rest = tray_text.tooltip_rest(status)
        self.set_elapsed(elapsed)

    def set_elapsed(self, elapsed: int) -> None:
        """Once a second while a timer runs: only the first line is formatted again, and Qt
        is told only of a text that changed (a status bar host is sent each one)."""
        if self._status is None:
            return
        text = tray_text.tooltip_line(self._status, elapsed) + self._rest
        if text != self._tooltip:
            self._tooltip = text
            self.icon.setToolTip(text)

    def notify(self, title: str, text: str) -> None:
        """A passing notification; callers never put patient identifiers in it."""
        self.icon.showMessage(title, text, state_icon("running"), 8000)
