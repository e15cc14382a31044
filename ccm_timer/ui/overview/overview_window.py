"""The month overview: one row per patient with minutes by role, the codes earned, the
month's approval and a bar to the next threshold; filters, sorting, month close (approve,
copy the summary), and a patient view a double-click away.

A billing-office window opened deliberately, so it shows full names; its title names only
the month, because a clinician sharing their screen broadcasts window titles.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ccm_timer.errors import UserError
from ccm_timer.services.context import AppContext
from ccm_timer.services.people.access import Signer
from ccm_timer.services.security.audit_reads import Read, record_read
from ccm_timer.ui import window_fit
from ccm_timer.ui.overview.month_close import MonthCloseBar
from ccm_timer.ui.overview.month_loader import MonthLoader, MonthRows
from ccm_timer.ui.overview.month_names import month_title, recent_months
from ccm_timer.ui.overview.overview_model import (
    COLUMNS,
    PROGRESS_COLUMN,
    ROW_ROLE,
    OverviewFilter,
    OverviewModel,
)
from ccm_timer.ui.overview.rows import month_counts
from ccm_timer.ui.overview.threshold_bar import BILLABLE, GROWING, HELD, ThresholdDelegate
from ccm_timer.ui.presenters.gui_words import error_text
from ccm_timer.ui.scope_line import ScopeLine
from ccm_timer.ui.style import ERROR_STYLE

# Together 1080 px, so "Needs attention" (the last, stretched) keeps 115 px or more on a
# 1280-pixel screen, and no column hides behind a horizontal scroll bar.
_WIDTHS = {"Patient": 145, "MRN": 60, "Programs": 70, "Staff min": 65,
           "Practitioner min": 110, "Total min": 65, "Codes earned": 125, "Approval": 155,
           "Next threshold": 285}
BAND_HEIGHT = 22
ROW_HEIGHT = 8 + BAND_HEIGHT
LEGEND = (f"<span style='color:{BILLABLE.name()}'>■</span> billable &nbsp; "
          f"<span style='color:{HELD.name()}'>■</span> held &nbsp; "
          f"<span style='color:{GROWING.name()}'>■</span> not earned yet &nbsp; "
          "| a billable threshold")
BUSY_AFTER_MS = 200  # a quick refresh shows no indicator, only the new rows


class MonthOverview(QWidget):
    reloaded = Signal()  # the month's new rows are shown

    def __init__(self, ctx: AppContext, parent: QWidget | None = None, month: str | None = None,
                 signer: Signer | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.ctx = ctx
        self.signer = signer  # who reads (audited) and attests: the tray's signed-in person
        self._audited: str | None = None  # the month whose opening was last recorded
        self.patient_windows: dict[tuple[str, str], QWidget] = {}
        self._presented = False
        self._tall: list[int] = []  # view rows made taller for patients with several programs
        self.loader = MonthLoader(ctx, self)
        self.loader.loaded.connect(self._arrived)
        self.loader.failed.connect(self._failed)
        self._shown_month: str | None = None  # whose rows the table holds
        self._busy_soon = QTimer(self, singleShot=True, interval=BUSY_AFTER_MS,
                                 timeout=self._show_busy)
        self._table_had_focus = False
        self.month_box = QComboBox()
        self.month_box.setAccessibleName("Month")
        for value in recent_months(ctx.now(), ctx.zone):
            self.month_box.addItem(month_title(value), value)
        if month and self.month_box.findData(month) < 0:
            self.month_box.addItem(month_title(month), month)
        earlier = QPushButton("◀", toolTip="Earlier month", maximumWidth=32)
        later = QPushButton("▶", toolTip="Later month", maximumWidth=32)
        earlier.clicked.connect(lambda: self._step(+1))
        later.clicked.connect(lambda: self._step(-1))
        self.search = QLineEdit(placeholderText="Find a patient by name or MRN",
                                clearButtonEnabled=True)
        self.search.setAccessibleName("Find a patient")
        self.near = QCheckBox("&Within 5 minutes of a threshold")
        self.consent = QCheckBox("&Missing consent")
        self.consent.setToolTip("Patients with time whose program has no consent or enrollment "
                                "on file: their codes are held.")
        refresh = QPushButton("&Refresh", toolTip="Read the latest time (F5)")
        refresh.clicked.connect(self.reload)
        QShortcut(QKeySequence.StandardKey.Refresh, self, activated=self.reload)
        self.open_button = QPushButton("&Open patient…")
        self.open_button.clicked.connect(self._open_current)
        self.close_bar = MonthCloseBar(ctx, lambda: self.month, self._current_patient,
                                       every_patient=True)
        self.close_bar.set_signer(signer)
        self.close_bar.layout().insertWidget(1, self.open_button)
        self.close_bar.changed.connect(self._approved)

        self.model = OverviewModel(self)
        self.proxy = OverviewFilter(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.setItemDelegateForColumn(PROGRESS_COLUMN, ThresholdDelegate(
            lambda index: index.data(ROW_ROLE).progress, self.table))
        header = self.table.horizontalHeader()
        for i, column in enumerate(COLUMNS):
            if column.title in _WIDTHS:
                header.resizeSection(i, _WIDTHS[column.title])
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.activated.connect(self._open_index)
        self.table.verticalHeader().setDefaultSectionSize(ROW_HEIGHT)
        # Taller rows only where a patient has several programs (one bar each); set after
        # every sort or filter, since row heights belong to view rows, not patients.
        for signal in (self.proxy.layoutChanged, self.proxy.modelReset,
                       self.proxy.rowsInserted, self.proxy.rowsRemoved):
            signal.connect(self._fit_rows)

        self.summary = QLabel()
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.context = QLabel()
        self.scope_line = ScopeLine()  # whose minutes: the clinic's as of a time, or ours
        self.busy = QWidget()  # in the summary's place while the month is computed
        self.busy_text = QLabel()
        spinner = QProgressBar(minimum=0, maximum=0, textVisible=False)  # no end known
        spinner.setFixedSize(80, 10)
        spinner.setAccessibleName("Computing")
        busy_row = QHBoxLayout(self.busy)
        busy_row.setContentsMargins(0, 0, 0, 0)
        busy_row.addWidget(spinner)
        busy_row.addWidget(self.busy_text, 1)
        self.busy.hide()
        self.error = QLabel(styleSheet=ERROR_STYLE, wordWrap=True)
        self.error.hide()
        # An empty month or filter shows a sentence where the table would be.
        self.empty = QLabel(alignment=Qt.AlignmentFlag.AlignCenter, wordWrap=True)
        self.empty.setStyleSheet("font-size: 15px; color: palette(placeholder-text);")
        self.pages = QStackedWidget()
        self.pages.addWidget(self.table)
        self.pages.addWidget(self.empty)
        hint = QLabel("Double-click a patient, or select one and press Enter, to see the "
                      "month's entries, correct them, and set consent and month flags.")
        hint.setWordWrap(True)
        legend = QLabel(LEGEND, textFormat=Qt.TextFormat.RichText)

        top = QHBoxLayout()
        top.addWidget(QLabel("Mont&h", buddy=self.month_box))
        top.addWidget(earlier)
        top.addWidget(self.month_box)
        top.addWidget(later)
        top.addSpacing(12)
        top.addWidget(self.search, 1)
        top.addSpacing(12)
        top.addWidget(self.near)
        top.addWidget(self.consent)
        top.addWidget(refresh)
        counts = QHBoxLayout()
        counts.addWidget(self.summary, 1)
        counts.addWidget(self.busy, 1)
        counts.addWidget(self.context)
        bottom = QHBoxLayout()
        bottom.addWidget(hint, 1)
        bottom.addWidget(legend)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.scope_line)
        layout.addLayout(counts)
        layout.addWidget(self.error)
        layout.addWidget(self.pages, 1)
        layout.addLayout(bottom)
        layout.addWidget(self.close_bar)

        self.search.textChanged.connect(lambda text: self._filter(query=text))
        self.near.toggled.connect(lambda on: self._filter(near_only=on))
        self.consent.toggled.connect(lambda on: self._filter(consent_only=on))
        if month:
            self.month_box.setCurrentIndex(self.month_box.findData(month))
        self.month_box.currentIndexChanged.connect(lambda _i: self.reload())
        self.reload()
        self.sizes = window_fit.prepare(self, ctx.paths.settings_dir, "month-overview",
                                        QSize(1320, 680))

    def closeEvent(self, event: QCloseEvent) -> None:
        self.sizes.save(self)
        super().closeEvent(event)

    # -- state ---------------------------------------------------------------------------

    @property
    def month(self) -> str:
        return self.month_box.currentData()

    def set_month(self, month: str) -> None:
        found = self.month_box.findData(month)
        if found < 0:
            self.month_box.addItem(month_title(month), month)
            found = self.month_box.count() - 1
        self.month_box.setCurrentIndex(found)  # reloads

    def set_signer(self, signer: Signer | None) -> None:
        if signer != self.signer:
            self._audited = None  # another person reads it from now on
        self.signer = signer
        self.close_bar.set_signer(signer)
        for window in self.patient_windows.values():
            window.set_signer(signer)
        if self.isVisible():
            self._audit_read()

    def _audit_read(self) -> None:
        """The month's report was opened (HIPAA 164.312(b)): once per month shown, per
        person."""
        if self.signer is not None and self._audited != self.month:
            self._audited = self.month
            record_read(self.ctx, self.signer.name, Read.REPORT, month=self.month,
                        detail="month overview")

    def _step(self, offset: int) -> None:
        target = self.month_box.currentIndex() + offset
        if 0 <= target < self.month_box.count():
            self.month_box.setCurrentIndex(target)

    @property
    def loading(self) -> bool:
        """The month asked for has not arrived yet."""
        return self.loader.busy

    def reload(self) -> None:
        """Recompute the month from the database, off the UI thread (month_loader.py). The
        rows shown stay until the new ones arrive; overlapping reloads are coalesced."""
        month = self.month
        self.setWindowTitle(f"Month overview — {month_title(month)}")
        if self.isVisible() or self._presented:
            self._audit_read()
        self.loader.request(month)
        if month != self._shown_month:
            self._show_busy()
            self._rows_usable(False)  # they are another month's: approve or open none
        elif self.busy.isHidden() and not self._busy_soon.isActive():
            self._busy_soon.start()  # the same month's rows, a little older: still usable

    def _show_busy(self) -> None:
        self._busy_soon.stop()
        self.busy_text.setText(f"Computing {month_title(self.month)}…")
        self.summary.hide()
        self.busy.show()

    def _rows_usable(self, usable: bool) -> None:
        if not usable:
            self._table_had_focus = self._table_had_focus or self.table.hasFocus()
        self.pages.setEnabled(usable)
        self.close_bar.setEnabled(usable)
        if usable and self._table_had_focus:
            self.table.setFocus()
            self._table_had_focus = False

    def _idle(self) -> None:
        self._busy_soon.stop()
        self.busy.hide()
        self.summary.show()
        self._rows_usable(True)

    def _arrived(self, result: MonthRows) -> None:
        self._idle()
        self._shown_month = result.month
        self._show_error(None)
        self.model.set_rows(result.rows)
        self.context.setText(result.context)
        self.scope_line.show_scope(result.scope)
        self._counts()
        self.reloaded.emit()

    def _failed(self, exc: BaseException) -> None:
        self._idle()
        self._shown_month = self.month
        self.model.set_rows([])
        self.context.clear()  # no zone or rules year to speak of
        self.scope_line.show_scope(None)
        known = isinstance(exc, UserError)
        self._show_error(error_text(exc) if known else (
            f"The month could not be computed ({type(exc).__name__}); try Refresh."))
        self._counts()
        if not known:
            raise exc  # a bug: logged in full by the app's error hook

    def _fit_rows(self, *_args) -> None:
        header = self.table.verticalHeader()
        for row in self._tall:  # heights stay with view rows: undo the last fit first
            if row < self.proxy.rowCount():
                header.resizeSection(row, ROW_HEIGHT)
        self._tall = []
        for source_row, row in enumerate(self.model.rows):
            if len(row.progress) > 1:
                shown = self.proxy.mapFromSource(self.model.index(source_row, 0)).row()
                if shown >= 0:
                    header.resizeSection(shown, 8 + BAND_HEIGHT * len(row.progress))
                    self._tall.append(shown)

    def _filter(self, **changes) -> None:
        self.proxy.set_filters(**changes)
        self._counts()

    def _counts(self) -> None:
        rows = self.model.rows
        counts = month_counts(rows)
        shown = self.proxy.rowCount()
        text = counts.text if shown == len(rows) else f"Showing {shown} of {counts.text}"
        self.summary.setText(text if rows or self.error.isHidden() else "")  # the error says
        empty = None
        if not rows and self.error.isHidden() and not self.loading:
            empty = (f"No patient has time or an enrollment in {month_title(self.month)}; "
                     "choose another month.")
        elif rows and not shown:
            empty = "No patient matches these filters; clear a filter to see more."
        self.empty.setText(empty or "")
        self.pages.setCurrentWidget(self.empty if empty else self.table)

    def _show_error(self, text: str | None) -> None:
        self.error.setText(text or "")
        self.error.setVisible(bool(text))

    # -- the patient view ------------------------------------------------------------------

    def visible_mrns(self) -> list[str]:
        return [self.proxy.row_at(i).mrn for i in range(self.proxy.rowCount())]

    def _current_patient(self) -> tuple[str, str] | None:
        index = self.table.currentIndex()
        if not index.isValid() or self.pages.currentWidget() is not self.table:
            return None
        row = index.data(ROW_ROLE)
        return row.mrn, row.name

    def _approved(self) -> None:
        self.reload()
        for window in self.patient_windows.values():
            window.reload()

    def _open_index(self, index: QModelIndex) -> None:
        self.open_patient(index.data(ROW_ROLE).mrn)

    def _open_current(self) -> None:
        index = self.table.currentIndex()
        if index.isValid():
            self._open_index(index)
        else:
            self._show_error("Select a patient in the table first, then open it.")

    def open_patient(self, mrn: str) -> QWidget:
        from ccm_timer.ui.overview.patient_window import PatientMonthView

        key = (mrn, self.month)
        window = self.patient_windows.get(key)
        if window is None:
            window = PatientMonthView(self.ctx, mrn, self.month, self, signer=self.signer)
            window.changed.connect(self.reload)
            self.patient_windows[key] = window
        else:
            window.reload()
        present(window)
        window.audit_read()
        return window

    def present(self) -> None:
        """Show the window; shown again later (from the tray), it reads the latest time."""
        if self._presented:
            self._audited = None  # opened again: a read again
            self.reload()
        self._presented = True
        present(self)
        self.table.horizontalScrollBar().setValue(0)  # reopened at the first column
        self._audit_read()


def present(window: QWidget) -> None:
    window.show()
    window.raise_()
    window.activateWindow()
