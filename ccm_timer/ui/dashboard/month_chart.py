"""The last twelve months at a glance: billable patients per program (held patients hatched
on top) and minutes per program, a group of bars per month. A month still in progress is
drawn lighter and marked "so far"; a held month "held"; a month whose billing cannot be
decided "not known", the same words as the table beside it.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QFontMetrics, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from ccm_timer.services.month.trends import MonthState, MonthTrend
from ccm_timer.ui.dashboard.chart_tips import column_tip
from ccm_timer.ui.presenters import trends as words

LEFT, RIGHT, TOP, GAP, BOTTOM = 56, 12, 26, 34, 36  # axis, legend, between panels, months
HELD_COLOUR = QColor(words.HELD_COLOUR)


class MonthChart(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.months: list[str] = []  # the months shown, oldest first
        self.trends: dict[str, MonthTrend] = {}  # those computed so far
        self.setMinimumSize(420, 300)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAccessibleName("Billable patients and minutes per program, by month")
        self.setAccessibleDescription("The same numbers are in the Table tab.")

    def sizeHint(self) -> QSize:
        return QSize(820, 380)

    def set_months(self, months: list[str]) -> None:
        self.months = list(months)
        self.trends = {m: t for m, t in self.trends.items() if m in self.months}
        self.update()

    def add(self, trend: MonthTrend) -> None:
        self.trends[trend.month] = trend
        self.update()

    @property
    def programs(self) -> list[str]:
        return words.programs_in(list(self.trends.values()))

    # -- geometry ------------------------------------------------------------------------

    def _panels(self) -> tuple[QRectF, QRectF]:
        width = max(10, self.width() - LEFT - RIGHT)
        height = max(20, (self.height() - TOP - GAP - BOTTOM) / 2)
        upper = QRectF(LEFT, TOP + 14, width, height - 14)
        lower = QRectF(LEFT, TOP + height + GAP, width, height - 14)
        return upper, lower

    def month_at(self, x: float) -> str | None:
        upper, _ = self._panels()
        if not self.months or not upper.left() <= x < upper.right():
            return None
        slot = upper.width() / len(self.months)
        return self.months[int((x - upper.left()) // slot)]

    # -- painting ------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), self.palette().base())
        text = self.palette().text().color()
        upper, lower = self._panels()
        programs = self.programs
        self._legend(painter, programs, text)
        self._panel(painter, upper, "Billable patients", programs, text,
                    lambda t, p: (p.billable_patients, p.held_patients))
        self._panel(painter, lower, "Minutes counted", programs, text,
                    lambda t, p: (words.minutes(p.seconds), 0))
        self._month_labels(painter, lower, text)
        painter.end()

    def _panel(self, painter: QPainter, area: QRectF, title: str, programs: list[str],
               text: QColor, value: Callable) -> None:
        painter.setPen(text)
        bold = painter.font()
        bold.setBold(True)
        painter.save()
        painter.setFont(bold)
        painter.drawText(QPointF(area.left(), area.top() - 4), title)
        painter.restore()
        highest = 1
        for trend in self.trends.values():
            for item in trend.programs:
                shown, held = value(trend, item)
                highest = max(highest, shown + held)
        top, step = words.axis_top(highest)
        grid = QColor(text)
        grid.setAlpha(40)
        for tick in range(0, top + 1, step):
            y = area.bottom() - area.height() * tick / top
            painter.setPen(QPen(grid, 1))
            painter.drawLine(QPointF(area.left(), y), QPointF(area.right(), y))
            painter.setPen(text)
            painter.drawText(QRectF(0, y - 9, LEFT - 6, 18),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                             f"{tick:,}")
        if not self.months:
            return
        slot = area.width() / len(self.months)
        group = slot * 0.8
        width = group / max(1, len(programs))
        for i, month in enumerate(self.months):
            left = area.left() + i * slot + (slot - group) / 2
            trend = self.trends.get(month)
            if trend is None or trend.state is MonthState.NO_RULES:
                painter.setPen(text)
                painter.drawText(QRectF(left, area.top(), group, area.height()),
                                 Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                                 "…" if trend is None else "not known")
                continue
            lighter = trend.state is MonthState.IN_PROGRESS
            for j, program in enumerate(programs):
                item = trend.program(program)
                if item is None:
                    continue
                shown, held = value(trend, item)
                x = left + j * width
                fill = QColor(words.colour(program))
                if lighter:
                    fill.setAlpha(150)
                y = area.bottom() - area.height() * shown / top
                painter.fillRect(QRectF(x, y, width * 0.9, area.bottom() - y), fill)
                if lighter:
                    painter.setPen(QPen(QColor(words.colour(program)), 1, Qt.PenStyle.DashLine))
                    painter.setBrush(Qt.BrushStyle.NoBrush)
                    painter.drawRect(QRectF(x, y, width * 0.9, area.bottom() - y))
                if held:
                    held_top = area.bottom() - area.height() * (shown + held) / top
                    painter.setPen(QPen(HELD_COLOUR, 1))
                    painter.setBrush(QBrush(HELD_COLOUR, Qt.BrushStyle.BDiagPattern))
                    painter.drawRect(QRectF(x, held_top, width * 0.9, y - held_top))

    def _month_labels(self, painter: QPainter, area: QRectF, text: QColor) -> None:
        if not self.months:
            return
        slot = area.width() / len(self.months)
        for i, month in enumerate(self.months):
            x = area.left() + i * slot
            painter.setPen(text)
            painter.drawText(QRectF(x, area.bottom() + 2, slot, 16),
                             Qt.AlignmentFlag.AlignCenter, words.short_month(month))
            trend = self.trends.get(month)
            note = words.axis_label(trend) if trend is not None else ""
            if note:
                painter.setPen(HELD_COLOUR if trend is not None and
                               trend.state is MonthState.HELD else text)
                painter.drawText(QRectF(x, area.bottom() + 17, slot, 16),
                                 Qt.AlignmentFlag.AlignCenter, note)

    def _legend(self, painter: QPainter, programs: list[str], text: QColor) -> None:
        metrics = QFontMetrics(self.font())
        x, y = float(LEFT), 4.0
        for program in programs:
            label = words.program_name(program)
            painter.fillRect(QRectF(x, y + 3, 12, 10), QColor(words.colour(program)))
            painter.setPen(text)
            painter.drawText(QPointF(x + 16, y + 12), label)
            x += 16 + metrics.horizontalAdvance(label) + 14
        painter.setPen(QPen(HELD_COLOUR, 1))
        painter.setBrush(QBrush(HELD_COLOUR, Qt.BrushStyle.BDiagPattern))
        painter.drawRect(QRectF(x, y + 3, 12, 10))
        painter.setPen(text)
        painter.drawText(QPointF(x + 16, y + 12), "held patients")

    # -- tooltips ------------------------------------------------------------------------

    def event(self, event: QEvent) -> bool:
        return (column_tip(self, event, lambda x: self.month_tip(self.month_at(x)))
                or super().event(event))

    def month_tip(self, month: str | None) -> str:
        if month is None:
            return ""
        trend = self.trends.get(month)
        if trend is None:
            return f"{words.month_title(month)}: computing…"
        lines = [words.month_title(month)]
        status = words.state_words(trend)
        if status:
            lines.append(status)
        for item in trend.programs:
            lines.append(f"{words.program_name(item.program)}: "
                         f"{words.plural(item.billable_patients, 'billable patient')}, "
                         f"{item.held_patients:,} held, {words.minutes(item.seconds):,} min")
        return "\n".join(lines)
