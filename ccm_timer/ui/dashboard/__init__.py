"""The month dashboard: billable patients and minutes per program over the last twelve
months, this month's figures beside them, and one patient's minutes per day. Loaded by
office_flow.py when first opened, never at the tray's start.

`DailyMinutes` (daily_chart.py) is the per-day chart alone, for embedding elsewhere.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from ccm_timer.ui.office_flow import OfficeFlow


def open_dashboard(flow: OfficeFlow) -> QWidget:
    from ccm_timer.ui.dashboard.dashboard_window import MonthDashboard

    return MonthDashboard(flow.ctx, flow.signer)
