"""Both charts' tooltips: the text for the column under the pointer, or none."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent
from PySide6.QtGui import QHelpEvent
from PySide6.QtWidgets import QToolTip, QWidget


def column_tip(widget: QWidget, event: QEvent, tip_at: Callable[[float], str]) -> bool:
    """Show `tip_at(x)` for a tooltip event (hide it when empty); True when handled."""
    if event.type() != QEvent.Type.ToolTip or not isinstance(event, QHelpEvent):
        return False
    tip = tip_at(event.position().x())
    if tip:
        QToolTip.showText(event.globalPos(), tip, widget)
    else:
        QToolTip.hideText()
    return True
