"""The month dashboard window: the twelve-month chart (and a table of the same numbers),
this month's figures beside it, and a chosen patient's minutes per day below.

The months are computed off the UI thread, newest first (each is a month report: a few
seconds on a large clinic), and drawn as each arrives; the figures already shown stay
until their month is read again. Opening it, and each refresh, is an audited read of the
month report; choosing a patient is an audited read of that patient.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QCompleter,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ccm_timer.core.month import parse_month
from ccm_timer.errors import UserError
from ccm_timer.services.context import AppContext
from ccm_timer.services.month import trends
from ccm_timer.services.people import patients
from ccm_timer.services.people.access import Signer
from ccm_timer.services.security.audit_reads import Read, record_read
from ccm_timer.ui import window_fit
from ccm_timer.ui.dashboard.daily_chart import DailyMinutes
from ccm_timer.ui.dashboard.month_chart import MonthChart
from ccm_timer.ui.latest_loader import LatestLoader
from ccm_timer.ui.presenters import trends as words
from ccm_timer.ui.presenters.gui_words import error_text
from ccm_timer.ui.style import ERROR_STYLE, TITLE_STYLE

WANTED = QSize(1240, 760)
_NUMERIC = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


class TrendLoader(LatestLoader):
    """request: the months to read. Each MonthTrend comes as `progress` when computed (newest
    month first); `loaded` when all have. One run at a time: Refresh pressed while the
    months are read waits, and only the newest of the presses runs."""

    worker = "ccm-timer-trends"

    def compute(self, ctx: AppContext, request: list) -> list[trends.MonthTrend]:
        return trends.month_trends(ctx, request, each=self.report_part)


class MonthDashboard(QWidget):
    loaded = Signal()  # every month asked for has arrived

    def __init__(self, ctx: AppContext, signer: Signer | None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.ctx, self.signer = ctx, signer
        self.setWindowTitle("Month dashboard")  # no patient in a title: screens are shared
        self.months = [str(m) for m in trends.last_months(ctx.now(), ctx.zone)]
        self.loader = TrendLoader(ctx, self)
        self.loader.progress.connect(self._arrived)
        self.loader.loaded.connect(lambda _all: self._finished())
        self.loader.failed.connect(self._failed)
        self.chart = MonthChart()
        self.chart.set_months(self.months)
        self.table = QTableWidget(0, len(words.TABLE_HEADERS))
        self.table.setAccessibleName("Billable patients and minutes per program, by month")
        self.table.setHorizontalHeaderLabels(list(words.TABLE_HEADERS))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.chart, "&Chart")
        self.tabs.addTab(self.table, "&Table")
        self.current = QFormLayout()
        current_box = QGroupBox("This month")
        current_box.setLayout(self.current)
        current_box.setMinimumWidth(260)
        self.status = QLabel()
        self.error = QLabel(styleSheet=ERROR_STYLE, wordWrap=True)
        self.error.hide()
        refresh = QPushButton("&Refresh", toolTip="Read every month again (F5)")
        refresh.clicked.connect(lambda: self.reload())
        QShortcut(QKeySequence.StandardKey.Refresh, self, activated=self.reload)

        self.patient = QComboBox(editable=True)
        self.patient.setAccessibleName("Patient")
        self.patient.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.patient.lineEdit().setPlaceholderText("Patient name or MRN")
        self.patient.completer().setFilterMode(Qt.MatchFlag.MatchContains)
        self.patient.completer().setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.patient.activated.connect(lambda _i: self._patient_chosen())
        self.program = QComboBox()
        self.program.setAccessibleName("Program")
        self.program.setMinimumContentsLength(34)  # "care plan oversight (home health)"
        self.program.activated.connect(lambda _i: self._program_chosen())
        self.daily = DailyMinutes()
        self.caption = QLabel(wordWrap=True)
        self.caption.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.patient_error = QLabel(styleSheet=ERROR_STYLE, wordWrap=True)
        self.patient_error.hide()
        self.days: trends.PatientDays | None = None
        self._layout(current_box, refresh)
        self._show_current(None)
        self.memory = window_fit.prepare(self, ctx.paths.settings_dir, "dashboard", WANTED)
        self._opened = False
        self._earlier_read: datetime | None = None  # when the earlier months were read

    def _layout(self, current_box: QGroupBox, refresh: QPushButton) -> None:
        top = QHBoxLayout()
        top.addWidget(QLabel("Billable patients and minutes, last 12 months",
                             styleSheet=TITLE_STYLE))
        top.addStretch(1)
        top.addWidget(self.status)
        top.addWidget(refresh)
        middle = QHBoxLayout()
        middle.addWidget(self.tabs, 1)
        middle.addWidget(current_box)
        pick = QHBoxLayout()
        pick.addWidget(QLabel("&Patient", buddy=self.patient))
        pick.addWidget(self.patient, 2)
        pick.addWidget(QLabel("Pro&gram", buddy=self.program))
        pick.addWidget(self.program)
        pick.addStretch(1)
        daily_box = QGroupBox("A patient's minutes per day, this month")
        daily = QVBoxLayout(daily_box)
        daily.addLayout(pick)
        daily.addWidget(self.patient_error)
        daily.addWidget(self.daily, 1)
        daily.addWidget(self.caption)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.error)
        layout.addLayout(middle, 3)
        layout.addWidget(daily_box, 2)

    # -- the months ----------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self.loader.busy:
            # Opened again from the tray: this month read again, earlier months as they were
            # read (each is a month report: Refresh reads them all again).
            self.reload(every_month=not self._opened)
            self._opened = True

    def set_signer(self, signer: Signer | None) -> None:
        changed = signer != self.signer
        self.signer = signer
        if changed and self.isVisible():
            self.reload(every_month=False)

    def reload(self, *, every_month: bool = True) -> None:
        if self.signer is None:
            self._show_error("Sign in to see the dashboard: it shows patients' figures.")
            return
        self._show_error(None)
        record_read(self.ctx, self.signer.name, Read.REPORT, month=self.months[-1],
                    detail="month dashboard, last 12 months")
        now = self.ctx.now()
        months = [str(m) for m in trends.last_months(now, self.ctx.zone)]
        if months != self.months:  # a new month began while the window stayed open
            self.months = months
            self.chart.set_months(months)
            every_month = True
        if every_month or self._earlier_read is None:
            self._earlier_read = now
        wanted = [m for m in months if every_month or m == months[-1]
                  or m not in self.chart.trends]
        self.status.setText("Reading the months…")
        self._fill_patients()
        self.loader.request([parse_month(m) for m in wanted])
        if self.days is not None:
            self._show_days(self.days.mrn, self.program.currentData())

    def _arrived(self, trend: trends.MonthTrend) -> None:
        self.chart.add(trend)
        self._fill_table()
        if trend.month == self.months[-1]:
            self._show_current(trend)

    def _finished(self) -> None:
        zone = self.ctx.zone
        when = self.ctx.now().astimezone(zone).strftime("%H:%M")
        earlier = (self._earlier_read or self.ctx.now()).astimezone(zone).strftime("%H:%M")
        said = (f"Read at {when}" if earlier == when else
                f"This month read at {when}, earlier months at {earlier} (Refresh reads "
                "them again)")
        self.status.setText(f"{said} · times in {zone.key}")
        self.loaded.emit()

    def _failed(self, exc: BaseException) -> None:
        self.status.clear()
        known = isinstance(exc, UserError)
        self._show_error(error_text(exc) if known else
                         f"The months could not be computed ({type(exc).__name__}); "
                         "try Refresh.")
        if not known:
            raise exc  # a bug: logged in full by the app's error hook

    def _fill_table(self) -> None:
        rows = words.table_rows(list(self.chart.trends.values()))
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                item = QTableWidgetItem(value)
                if 2 <= c <= 5:
                    item.setTextAlignment(_NUMERIC)
                self.table.setItem(r, c, item)

    def _show_current(self, trend: trends.MonthTrend | None) -> None:
        while self.current.rowCount():
            self.current.removeRow(0)
        for label, value in words.current_lines(trend):
            shown = QLabel(value, wordWrap=True)
            shown.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.current.addRow(f"{label}:", shown)

    def _show_error(self, text: str | None) -> None:
        self.error.setText(text or "")
        self.error.setVisible(bool(text))

    # -- one patient's days --------------------------------------------------------------

    def _fill_patients(self) -> None:
        """The roster as it is now, keeping the patient chosen."""
        kept = self.days.mrn if self.days is not None else None
        self.patient.clear()
        for person in patients.list_patients(self.ctx):
            self.patient.addItem(f"{person.display_name} · {person.mrn}", person.mrn)
        self.patient.setCurrentIndex(self.patient.findData(kept) if kept else -1)

    def choose_patient(self, mrn: str) -> bool:
        """Show `mrn`'s days (as picking them in the list does)."""
        found = self.patient.findData(mrn)
        if found < 0:
            return False
        self.patient.setCurrentIndex(found)
        self._patient_chosen()
        return True

    def _patient_chosen(self) -> None:
        mrn = self.patient.currentData()
        if mrn is None or self.patient.currentText() != self.patient.itemText(
                self.patient.currentIndex()):
            self._show_patient_error("Choose a patient from the list: type part of a name "
                                     "or an MRN, then pick one.")
            return
        self._show_days(mrn, None)

    def _program_chosen(self) -> None:
        if self.days is not None:
            self.daily.set_days(self.days, self.program.currentData())
            self.caption.setText(words.daily_caption(self.days, self.daily.shown))

    def _show_days(self, mrn: str, program: str | None) -> None:
        if self.signer is None:
            return
        try:
            days = trends.patient_days(self.ctx, mrn, self.months[-1])
        except UserError as exc:
            self._show_patient_error(error_text(exc))
            return
        self._show_patient_error(None)
        if self.days is None or self.days.mrn != days.mrn:
            record_read(self.ctx, self.signer.name, Read.PATIENT, patient_id=days.patient_id,
                        month=days.month, detail="minutes per day")
        self.days = days
        self.program.clear()
        for item in days.programs:
            self.program.addItem(words.program_name(item.program), item.program)
        chosen = days.program(program) or days.main
        if chosen is not None:
            self.program.setCurrentIndex(self.program.findData(chosen.program))
        self.daily.set_days(days, chosen.program if chosen else None)
        self.caption.setText(words.daily_caption(days, self.daily.shown))

    def _show_patient_error(self, text: str | None) -> None:
        self.patient_error.setText(text or "")
        self.patient_error.setVisible(bool(text))

    def closeEvent(self, event: QCloseEvent) -> None:
        self.memory.save(self)
        super().closeEvent(event)
