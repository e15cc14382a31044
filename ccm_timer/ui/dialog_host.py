"""The tray's top-level dialogs: each made on first use and kept for the next time, shown
without blocking, and the warning boxes held until they are closed.

TrayApp owns one and hands it to each flow, so a flow shows its dialogs and errors without
holding the app.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar, cast

from PySide6.QtWidgets import QDialog, QMessageBox

from ccm_timer.ui.presenters import tray_text

D = TypeVar("D", bound=QDialog)


class DialogHost:
    def __init__(self) -> None:
        self.dialogs: dict[str, QDialog] = {}
        self.messages: list[QMessageBox] = []

    def dialog(self, name: str, make: Callable[[], D]) -> D:
        if name not in self.dialogs:
            self.dialogs[name] = make()
        return cast(D, self.dialogs[name])

    @staticmethod
    def present(dialog: QDialog) -> None:
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()

    def error(self, text: str) -> QMessageBox:
        box = QMessageBox(QMessageBox.Icon.Warning, tray_text.APP_NAME, text,
                          QMessageBox.StandardButton.Ok)
        # Held until closed: a parentless box Python no longer references is destroyed.
        self.messages.append(box)
        box.finished.connect(lambda _=0: self.messages.remove(box))
        self.present(box)
        return box
