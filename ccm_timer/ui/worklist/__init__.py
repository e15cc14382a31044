"""The worklist: who needs time this month (ui/office_flow.py opens it from the tray menu),
and its month-end reminder (reminder.py). Nothing here is imported at the tray's start."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from ccm_timer.ui.office_flow import OfficeFlow


def open_worklist(flow: OfficeFlow) -> QWidget:
    """The worklist window for the person signed in at the tray (built once by the flow)."""
    from ccm_timer.ui.worklist.window import WorklistWindow

    return WorklistWindow(flow)
