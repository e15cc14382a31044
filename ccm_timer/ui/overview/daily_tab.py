"""The patient window's "Minutes per day" tab: the dashboard's per-day chart for this
patient and month, read when the tab is first looked at and again after each change while it
shows (a hidden tab costs nothing; its data is one more month report for one patient).

The chart's package is imported on first draw, so opening the overview does not load it.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ccm_timer.errors import UserError
from ccm_timer.services.context import AppContext
from ccm_timer.ui.presenters.gui_words import error_text
from ccm_timer.ui.style import TITLE_STYLE


class DailyTab(QWidget):
    def __init__(self, ctx: AppContext, mrn: str, month: Callable[[], str],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.mrn, self._month = ctx, mrn, month
        self.chart = None  # the dashboard's DailyMinutes, made on first draw
        self.caption = QLabel(wordWrap=True)
        self.title = QLabel("Minutes per day this month", styleSheet=TITLE_STYLE)
        self._stale = True
        self._layout = QVBoxLayout(self)
        self._layout.addWidget(self.title)
        self._layout.addWidget(self.caption)

    def refresh(self) -> None:
        """Read again now if the tab shows, else when it is next shown."""
        self._stale = True
        if self.isVisible():
            self._draw()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self._draw()

    def _draw(self) -> None:
        from ccm_timer.services.month import trends
        from ccm_timer.ui.dashboard.daily_chart import DailyMinutes
        from ccm_timer.ui.presenters.trends import daily_caption

        self._stale = False
        try:
            days = trends.patient_days(self.ctx, self.mrn, self._month())
        except UserError as exc:
            self.caption.setText(error_text(exc))
            return
        if self.chart is None:
            self.chart = DailyMinutes(days, parent=self)
            self._layout.insertWidget(1, self.chart, 1)
        else:
            self.chart.set_days(days)
        self.caption.setText(daily_caption(days, self.chart.shown))
