"""The setup of a new clinic (issue 17), opened by the tray when it starts with nobody set
up, and the roster import with a preview that the patients window reuses."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from ccm_timer.ui.setup.roster_dialog import RosterImportDialog


def open_setup(flow) -> QWidget:
    from ccm_timer.ui.setup.setup_window import SetupWindow

    return SetupWindow(flow)


__all__ = ["RosterImportDialog", "open_setup"]
