"""One patient's minutes per day in a month: a bar per day (the counted minutes that day,
and any time before the consent day hatched on top, not counted), the month's running
total as a line, the chosen track's thresholds as dashed lines, and today outlined.

Plain data in (services/month/trends.PatientDays), nothing read here, so the widget can be
embedded anywhere: `DailyMinutes(trends.patient_days(ctx, mrn, month))`. Its accessible
description and each day's tooltip say the same numbers in words.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QFontMetrics, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from ccm_timer.services.month.trends import PatientDays, ProgramDays
from ccm_timer.ui.dashboard.chart_tips import column_tip
from ccm_timer.ui.presenters import trends as words

RUNNING_COLOUR = QColor("#333333")
THRESHOLD_COLOUR = QColor("#D55E00")  # Okabe-Ito vermillion: apart from every bar colour
TODAY_COLOUR = QColor("#000000")
BEFORE_COLOUR = QColor("#777777")
LEFT, RIGHT, TOP, BOTTOM = 44, 96, 26, 36  # room for the axis, threshold labels, legend, days


class DailyMinutes(QWidget):
    """`days`: the patient-month (None: an empty chart saying so); `program`: which of
    the patient's programs (None: the one with the most time)."""

    def __init__(self, days: PatientDays | None = None, program: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.days: PatientDays | None = None
        self.shown: ProgramDays | None = None
        self.setMinimumSize(360, 170)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAccessibleName("Minutes per day")
        self.set_days(days, program)

    def sizeHint(self) -> QSize:
        return QSize(720, 240)

    def set_days(self, days: PatientDays | None, program: str | None = None) -> None:
        self.days = days
        self.shown = days.program(program) if days is not None else None
        summary = ("No patient chosen." if days is None
                   else words.daily_summary(days, self.shown))
        self.setAccessibleDescription(summary)
        self.update()

    # -- geometry ------------------------------------------------------------------------

    def _plot(self) -> QRectF:
        return QRectF(LEFT, TOP, max(10, self.width() - LEFT - RIGHT),
                      max(10, self.height() - TOP - BOTTOM))

    def _scale(self) -> tuple[int, int]:
        """(top, step) in minutes: the running total, every threshold up to the next one
        ahead, and at least ten minutes."""
        shown = self.shown
        if shown is None:
            return 10, 5
        bars = words.day_bars(shown)
        highest = max([b.running for b in bars] + [b.seconds + b.before_consent for b in bars]
                      + [t.seconds for t in shown.thresholds] + [600])
        return words.axis_top(highest / 60)

    def _slot(self, plot: QRectF) -> float:
        return plot.width() / max(1, self.days.days if self.days else 30)

    def day_at(self, x: float) -> int | None:
        """The day of the month under the x coordinate (1-based), or None."""
        if self.days is None:
            return None
        plot = self._plot()
        if not plot.left() <= x < plot.right():
            return None
        return int((x - plot.left()) // self._slot(plot)) + 1

    # -- painting ------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), self.palette().base())
        plot = self._plot()
        text = self.palette().text().color()
        if self.days is None or self.shown is None:
            painter.setPen(text)
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter,
                             "Choose a patient to see their minutes per day."
                             if self.days is None else "No program and no time this month.")
            painter.end()
            return
        top, step = self._scale()
        y_of = self._y_mapper(plot, top)
        self._grid(painter, plot, top, step, y_of, text)
        self._bars(painter, plot, y_of)
        self._running(painter, plot, y_of)
        self._thresholds(painter, plot, top, y_of)
        self._day_labels(painter, plot, text)
        self._legend(painter, text)
        painter.end()

    @staticmethod
    def _y_mapper(plot: QRectF, top: int):
        return lambda minutes: plot.bottom() - plot.height() * min(minutes, top) / top

    def _grid(self, painter: QPainter, plot: QRectF, top: int, step: int, y_of,
              text: QColor) -> None:
        grid = QColor(text)
        grid.setAlpha(40)
        for value in range(0, top + 1, step):
            y = y_of(value)
            painter.setPen(QPen(grid, 1))
            painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            painter.setPen(text)
            painter.drawText(QRectF(0, y - 9, LEFT - 6, 18),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                             f"{value}")
        painter.save()
        painter.translate(10, plot.center().y())
        painter.rotate(-90)
        painter.drawText(QRectF(-40, -10, 80, 14), Qt.AlignmentFlag.AlignCenter, "min")
        painter.restore()

    def _bars(self, painter: QPainter, plot: QRectF, y_of) -> None:
        assert self.days is not None and self.shown is not None
        slot = self._slot(plot)
        width = max(2.0, slot * 0.7)
        fill = QColor(words.colour(self.shown.program))
        for bar in words.day_bars(self.shown):
            x = plot.left() + (bar.day - 1) * slot + (slot - width) / 2
            counted_top = y_of(bar.seconds / 60)
            if bar.seconds:
                painter.fillRect(QRectF(x, counted_top, width, plot.bottom() - counted_top),
                                 fill)
            if bar.before_consent:
                early_top = y_of((bar.seconds + bar.before_consent) / 60)
                painter.setPen(QPen(BEFORE_COLOUR, 1))
                painter.setBrush(QBrush(BEFORE_COLOUR, Qt.BrushStyle.BDiagPattern))
                painter.drawRect(QRectF(x, early_top, width, counted_top - early_top))
        if self.days.today is not None:
            x = plot.left() + (self.days.today - 1) * slot
            painter.setPen(QPen(TODAY_COLOUR, 1.5, Qt.PenStyle.DotLine))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(QRectF(x, plot.top(), slot, plot.height()))
            painter.setPen(TODAY_COLOUR)
            painter.drawText(QRectF(x - 30, plot.top() - 14, slot + 60, 13),
                             Qt.AlignmentFlag.AlignCenter, "today")

    def _running(self, painter: QPainter, plot: QRectF, y_of) -> None:
        assert self.days is not None and self.shown is not None
        slot = self._slot(plot)
        last = self.days.today or self.days.days  # the line stops today: the rest is ahead
        points = [QPointF(plot.left(), plot.bottom())]
        for bar in words.day_bars(self.shown)[:last]:
            y = y_of(bar.running / 60)
            points.append(QPointF(points[-1].x(), y))
            points.append(QPointF(plot.left() + bar.day * slot, y))
        painter.setPen(QPen(RUNNING_COLOUR, 2))
        painter.drawPolyline(points)

    def _thresholds(self, painter: QPainter, plot: QRectF, top: int, y_of) -> None:
        assert self.shown is not None
        for threshold in self.shown.thresholds:
            value = threshold.seconds / 60
            if value > top:
                continue
            y = y_of(value)
            reached = self.shown.counted_seconds >= threshold.seconds
            painter.setPen(QPen(THRESHOLD_COLOUR, 1.5,
                                Qt.PenStyle.SolidLine if reached else Qt.PenStyle.DashLine))
            painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            painter.drawText(QRectF(plot.right() + 4, y - 9, RIGHT - 4, 18),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                             f"{int(value)} min {threshold.code}")

    def _day_labels(self, painter: QPainter, plot: QRectF, text: QColor) -> None:
        assert self.days is not None
        slot = self._slot(plot)
        wide = QFontMetrics(self.font()).horizontalAdvance("30") + 4
        every = 1 if slot >= wide else 2 if slot * 2 >= wide else 5
        painter.setPen(text)
        for day in range(1, self.days.days + 1):
            if day == 1 or day % every == 0:
                x = plot.left() + (day - 1) * slot
                painter.drawText(QRectF(x - 10, plot.bottom() + 2, slot + 20, 16),
                                 Qt.AlignmentFlag.AlignCenter, str(day))
        painter.drawText(QRectF(plot.left(), plot.bottom() + 18, plot.width(), 16),
                         Qt.AlignmentFlag.AlignCenter,
                         f"Day of {words.month_title(self.days.month)}")

    def _legend(self, painter: QPainter, text: QColor) -> None:
        assert self.shown is not None
        metrics = QFontMetrics(self.font())
        x, y = float(LEFT), 4.0
        items = [(QColor(words.colour(self.shown.program)), "minutes that day", "box"),
                 (RUNNING_COLOUR, "running total", "line"),
                 (THRESHOLD_COLOUR, "threshold (solid once reached)", "dash")]
        if any(self.shown.before_consent_by_day):
            items.append((BEFORE_COLOUR, "before consent, not counted", "hatch"))
        for colour, label, kind in items:
            if kind == "box":
                painter.fillRect(QRectF(x, y + 3, 12, 10), colour)
            elif kind == "hatch":
                painter.setPen(QPen(colour, 1))
                painter.setBrush(QBrush(colour, Qt.BrushStyle.BDiagPattern))
                painter.drawRect(QRectF(x, y + 3, 12, 10))
            else:
                style = Qt.PenStyle.DashLine if kind == "dash" else Qt.PenStyle.SolidLine
                painter.setPen(QPen(colour, 2, style))
                painter.drawLine(QPointF(x, y + 8), QPointF(x + 14, y + 8))
            painter.setPen(text)
            painter.drawText(QPointF(x + 18, y + 12), label)
            x += 18 + metrics.horizontalAdvance(label) + 16

    # -- tooltips ------------------------------------------------------------------------

    def event(self, event: QEvent) -> bool:
        return (column_tip(self, event, lambda x: self.day_tip(self.day_at(x)))
                or super().event(event))

    def day_tip(self, day: int | None) -> str:
        if day is None or self.shown is None or self.days is None:
            return ""
        bar = words.day_bars(self.shown)[day - 1]
        # A practitioner-only track counts only part of the bar: "counted" would overstate it.
        worked = "in all" if self.shown.own_time_only else "counted"
        said = (f"{words.short_month(self.days.month).split()[0]} {day}: "
                f"{words.minutes(bar.seconds)} min {worked}; "
                f"{words.minutes(bar.running)} min so far this month")
        if bar.before_consent:
            said += f"; {words.minutes(bar.before_consent)} min before consent, not counted"
        return said
