"""The threshold progress bar: a program's minutes against its billable thresholds.

One painting routine serves the overview's table cells (compact: no tick labels) and the
patient view (labelled ticks). Green: billable; amber: earned but held; blue: not earned yet.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QSizePolicy,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from ccm_timer.ui.overview.progress_figures import ProgramProgress

TRACK = QColor("#e5e7eb")
BILLABLE = QColor("#16a34a")
HELD = QColor("#d97706")
GROWING = QColor("#3b82f6")
NEAR_TEXT = QColor("#b45309")
TICK = QColor("#374151")
LABEL_WIDTH = 40
DISABLED_OPACITY = 0.35
CAPTION_WIDTH = 170


def fill_colour(p: ProgramProgress) -> QColor:
    if p.held:
        return HELD
    return BILLABLE if p.earned else GROWING


def paint_band(painter: QPainter, rect: QRectF, p: ProgramProgress, palette: QPalette,
               labelled: bool = False) -> None:
    """One program in `rect`: its name, the bar with ticks, and what the next threshold is."""
    painter.save()
    text = palette.color(QPalette.ColorRole.Text)
    font = QFont(painter.font())
    font.setBold(True)
    painter.setFont(font)
    painter.setPen(text)
    label_h = 12.0 if labelled else 0.0
    body = QRectF(rect.left(), rect.top(), rect.width(), rect.height() - label_h)
    painter.drawText(QRectF(body.left(), body.top(), LABEL_WIDTH, body.height()),
                     Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, p.program[:5])
    caption = QRectF(body.right() - CAPTION_WIDTH, body.top(), CAPTION_WIDTH, body.height())
    font.setBold(p.near)
    painter.setFont(font)
    painter.setPen(NEAR_TEXT if p.near else text)
    painter.drawText(caption.adjusted(8, 0, 0, 0),
                     Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, p.caption)
    bar_h = min(10.0, body.height() - 4)
    bar = QRectF(body.left() + LABEL_WIDTH, body.center().y() - bar_h / 2,
                 max(10.0, body.width() - LABEL_WIDTH - CAPTION_WIDTH), bar_h)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(TRACK)
    painter.drawRoundedRect(bar, 3, 3)
    share = min(1.0, p.seconds / p.scale)
    if share > 0:
        painter.setBrush(fill_colour(p))
        painter.drawRoundedRect(QRectF(bar.left(), bar.top(), bar.width() * share, bar_h), 3, 3)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
    small = QFont(painter.font())
    small.setBold(False)
    small.setPointSizeF(max(6.0, small.pointSizeF() * 0.8))
    painter.setFont(small)
    metrics = QFontMetricsF(small)
    free_from = bar.left() - LABEL_WIDTH  # labels may not overlap: the first one wins
    for tick in p.ticks:
        if tick.seconds > p.scale:
            continue
        x = min(bar.left() + bar.width() * tick.seconds / p.scale, bar.right() - 1)
        painter.setPen(TICK)
        painter.drawLine(int(x), int(bar.top() - 2), int(x), int(bar.bottom() + 2))
        if not labelled:
            continue
        for label in (f"{tick.seconds // 60}′ {tick.codes}", f"{tick.seconds // 60}′"):
            width = metrics.horizontalAdvance(label) + 6
            if x - width / 2 >= free_from:
                painter.setPen(text)
                painter.drawText(QRectF(x - width / 2, bar.bottom() + 2, width, label_h + 2),
                                 Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop,
                                 label)
                free_from = x + width / 2
                break
    painter.restore()


def paint_bands(painter: QPainter, rect: QRectF, bands: Sequence[ProgramProgress],
                palette: QPalette, labelled: bool = False) -> None:
    if not bands:
        painter.save()
        painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
        painter.drawText(rect.adjusted(4, 0, 0, 0), Qt.AlignmentFlag.AlignVCenter,
                         "no program time")
        painter.restore()
        return
    height = rect.height() / len(bands)
    for i, band in enumerate(bands):
        paint_band(painter, QRectF(rect.left(), rect.top() + i * height, rect.width(), height),
                   band, palette, labelled)


class ThresholdBar(QWidget):
    """A standalone bar (the patient view): one labelled band per program."""

    BAND_HEIGHT = 36

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bands: tuple[ProgramProgress, ...] = ()
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setAccessibleName("Progress to the next billing threshold")

    def set_bands(self, bands: Sequence[ProgramProgress]) -> None:
        self.bands = tuple(bands)
        self.setToolTip("\n".join(f"{b.program}: {b.seconds // 60} min; {b.caption}"
                                  for b in self.bands))
        self.setFixedHeight(self.sizeHint().height())
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(420, max(1, len(self.bands)) * self.BAND_HEIGHT)

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        paint_bands(painter, QRectF(self.rect()).adjusted(2, 2, -2, -2), self.bands,
                    self.palette(), labelled=True)
        painter.end()


class ThresholdDelegate(QStyledItemDelegate):
    """Paints a table cell's bands; the cell's text stays in the model for search and tests."""

    def __init__(self, bands_of, parent=None) -> None:
        super().__init__(parent)
        self._bands_of = bands_of  # QModelIndex -> Sequence[ProgramProgress]

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index) -> None:
        style = option.widget.style() if option.widget else QApplication.style()
        blank = QStyleOptionViewItem(option)
        self.initStyleOption(blank, index)
        blank.text = ""
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, blank, painter, option.widget)
        palette = QPalette(option.palette)
        if option.state & QStyle.StateFlag.State_Selected:
            palette.setColor(QPalette.ColorRole.Text,
                             option.palette.color(QPalette.ColorRole.HighlightedText))
        painter.save()
        if not option.state & QStyle.StateFlag.State_Enabled:
            painter.setOpacity(DISABLED_OPACITY)  # faded with the greyed text of its row
        paint_bands(painter, QRectF(option.rect).adjusted(6, 3, -4, -3),
                    self._bands_of(index), palette)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index) -> QSize:
        return QSize(LABEL_WIDTH + CAPTION_WIDTH + 160, 24 * max(1, len(self._bands_of(index))))
