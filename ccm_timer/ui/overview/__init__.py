"""Billing-office and end-of-shift windows: the month overview (with the patient view it
opens) and the Today view. The tray opens them with these two functions; each call builds a
new window, shown and raised. Keep the returned widget (a parentless window without a
reference is garbage collected) and call its `present()` to bring it back."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QWidget

if TYPE_CHECKING:  # the windows (and the database) load on first open
    from ccm_timer.services.context import AppContext
    from ccm_timer.services.people.access import Signer


def open_overview(ctx: AppContext, parent: QWidget | None = None, month: str | None = None,
                  signer: Signer | None = None) -> QWidget:
    """The month overview for `month` (YYYY-MM; default: this clinic month). `signer` (the
    person signed in at the tray) is who reads it (audited) and whose password approves;
    change it later with the window's `set_signer`."""
    from ccm_timer.ui.overview.overview_window import MonthOverview

    window = MonthOverview(ctx, parent, month, signer)
    window.present()
    return window


def open_today(ctx: AppContext, clinician: str | None, parent: QWidget | None = None) -> QWidget:
    """Today's entries of `clinician` (a name or id; None: the default clinician)."""
    from ccm_timer.ui.overview.today_window import TodayView

    window = TodayView(ctx, clinician, parent)
    window.present()
    return window
