"""The line above a window's month figures saying whose minutes they count and as of when
(presenters/hub_words.py): amber when the clinic has a hub but the figures are this
workstation's only, so nobody bills from partial totals without seeing it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from ccm_timer.ui.presenters import hub_words

if TYPE_CHECKING:
    from ccm_timer.services.delivery.hub_scope import Scope


class ScopeLine(QLabel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, wordWrap=True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setAccessibleName("Whose minutes these are")
        self.hide()  # until the first figures arrive

    def show_scope(self, scope: Scope | None) -> None:
        if scope is None:  # the figures could not be read: nothing to qualify
            self.hide()
            return
        self.setText(hub_words.line(scope))
        self.setStyleSheet(hub_words.line_style(scope))
        self.setToolTip(hub_words.line_tip(scope))
        self.show()
