"""Billing exports from the app (the tray's "Export billing files…"): month, patients and
format, a check of what the file carries, a file or a delivery target, progress, and the
export history. Loaded on first open (ui/office_flow.py), never at the tray's start."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from ccm_timer.ui.office_flow import OfficeFlow


def open_export(flow: OfficeFlow) -> QWidget:
    """The export window, acting as the person signed in at the tray (`set_signer` follows
    them)."""
    from ccm_timer.ui.export.export_window import ExportWindow

    return ExportWindow(flow.ctx, flow.signer)
