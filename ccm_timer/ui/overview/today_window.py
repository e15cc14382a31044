"""Today, for the clinician at this workstation: the day's entries (clinic time zone) with
their minutes and the total, to check at the end of a shift that nothing is missing."""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCore import QDate, QSize, Qt
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ccm_timer.errors import UserError
from ccm_timer.services.context import AppContext
from ccm_timer.services.timing.today import DaySummary, day_summary
from ccm_timer.ui import window_fit
from ccm_timer.ui.overview.entry_tables import RowTable, plain_table
from ccm_timer.ui.overview.month_names import local_clock
from ccm_timer.ui.overview.rows import hours, minutes
from ccm_timer.ui.presenters.gui_words import error_text
from ccm_timer.ui.style import BIG_STYLE, ERROR_STYLE


class DayModel(RowTable):
    numeric = frozenset({2})

    def __init__(self, zone, parent=None) -> None:
        super().__init__(zone, parent)
        self.columns = (
            ("From", lambda d: local_clock(d.entry.start, self.zone)),
            ("To", lambda d: "running" if d.live else local_clock(d.entry.end, self.zone)),
            ("Min", lambda d: minutes(d.seconds)),
            ("Patient", lambda d: d.entry.patient_name or "(program-level, no patient)"),
            ("MRN", lambda d: d.entry.patient_mrn or ""),
            ("Activity", lambda d: d.entry.category_label),
            ("Program", lambda d: d.entry.program or "—"),
            ("Note", lambda d: d.entry.note),
        )


def total_text(summary: DaySummary) -> str:
    count = len(summary.entries)
    if not count:
        return "No time recorded on this day."
    text = (f"Total: {hours(summary.total_seconds)} in {count} "
            f"entr{'y' if count == 1 else 'ies'}")
    oversight = summary.total_seconds - summary.patient_seconds
    if oversight:
        text += (f" ({hours(summary.patient_seconds)} for patients, {hours(oversight)} "
                 "program-level)")
    return text + "."


class TodayView(QWidget):
    def __init__(self, ctx: AppContext, clinician: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.ctx, self.clinician = ctx, clinician
        self.signer = None  # the tray's signed-in person: the patient view reads as them
        self.summary: DaySummary | None = None
        self.patient_window: QWidget | None = None
        self._presented = False
        self.setWindowTitle("Today's time — CCM Timer")
        self.heading = QLabel(styleSheet=BIG_STYLE)
        self.day = QDateEdit(calendarPopup=True, displayFormat="ddd d MMM yyyy")
        self.day.setAccessibleName("Day")
        earlier = QPushButton("◀", toolTip="The day before", maximumWidth=32)
        later = QPushButton("▶", toolTip="The day after", maximumWidth=32)
        today = QPushButton("&Today")
        refresh = QPushButton("&Refresh", toolTip="Read the latest time (F5)")
        earlier.clicked.connect(lambda: self.day.setDate(self.day.date().addDays(-1)))
        later.clicked.connect(lambda: self.day.setDate(self.day.date().addDays(1)))
        today.clicked.connect(lambda: self.show_day(self._today()))
        refresh.clicked.connect(self.reload)
        QShortcut(QKeySequence.StandardKey.Refresh, self, activated=self.reload)
        self.model = DayModel(ctx.zone, self)
        self.table = plain_table(self.model)
        self.table.activated.connect(lambda index: self.open_patient(index.row()))
        self.total = QLabel(styleSheet="font-size: 15px; font-weight: bold;")
        self.note = QLabel(wordWrap=True)
        self.error = QLabel(styleSheet=ERROR_STYLE, wordWrap=True)
        self.error.hide()
        bar = QHBoxLayout()
        bar.addWidget(self.heading, 1)
        bar.addWidget(earlier)
        bar.addWidget(self.day)
        bar.addWidget(later)
        bar.addWidget(today)
        bar.addWidget(refresh)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.error)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.total)
        layout.addWidget(self.note)
        self.day.setMaximumDate(self._qdate(self._today()))
        self.day.setDate(self._qdate(self._today()))
        self.day.dateChanged.connect(lambda _d: self.reload())
        self.reload()
        self.sizes = window_fit.prepare(self, ctx.paths.settings_dir, "today", QSize(1000, 520))

    def closeEvent(self, event: QCloseEvent) -> None:
        self.sizes.save(self)
        super().closeEvent(event)

    @staticmethod
    def _qdate(day: date) -> QDate:
        return QDate(day.year, day.month, day.day)

    def _today(self) -> date:
        return self.ctx.now().astimezone(self.ctx.zone).date()

    def shown_day(self) -> date:
        d = self.day.date()
        return date(d.year(), d.month(), d.day())

    def show_day(self, day: date) -> None:
        self.day.setDate(self._qdate(day))  # reloads when the date changes
        if self.shown_day() == day:
            self.reload()

    def reload(self) -> None:
        day = self.shown_day()
        try:
            summary = day_summary(self.ctx, self.clinician, day)
        except UserError as exc:
            self.error.setText(error_text(exc))
            self.error.show()
            return
        self.error.hide()
        self.summary = summary
        when = "Today" if day == self._today() else (
            "Yesterday" if day == self._today() - timedelta(days=1) else day.strftime("%A"))
        self.heading.setText(f"{when}: {summary.clinician}")
        self.model.set_rows(list(summary.entries))
        self.table.resizeColumnsToContents()
        activity = 5  # long labels would push the notes out of sight
        self.table.setColumnWidth(activity, min(self.table.columnWidth(activity), 260))
        self.total.setText(total_text(summary))
        notes = [f"Times are {summary.zone} time."]
        if any(e.live for e in summary.entries):
            notes.append("A timer is still running; its minutes count up to now.")
        if summary.entries:
            notes.append("Double-click an entry to correct it. Missing a call or a task? Add "
                         "it from the tray: Add time by hand.")
        self.note.setText(" ".join(notes))

    def open_patient(self, row: int) -> QWidget | None:
        """The patient-month of an entry, to correct it there (program-level time has none)."""
        from ccm_timer.ui.overview.patient_window import PatientMonthView

        found = self.model.rows[row].entry
        if found.patient_mrn is None or found.start is None:
            self.error.setText("Program-level time belongs to no patient, so it has no "
                               "patient month to open; ask an administrator to correct it.")
            self.error.show()
            return None
        month = f"{found.start.astimezone(self.ctx.zone):%Y-%m}"
        if self.patient_window is not None:  # one at a time: the last one opened
            self.patient_window.close()
            self.patient_window.deleteLater()
        window = PatientMonthView(self.ctx, found.patient_mrn, month, self, signer=self.signer)
        window.changed.connect(self.reload)
        window.select_entry(found.origin_id)
        self.patient_window = window
        window.show()
        window.raise_()
        window.activateWindow()
        window.audit_read()
        return window

    def present(self) -> None:
        """Show the window; shown again later (from the tray), it reads the latest time."""
        if self._presented:
            self.reload()
        self._presented = True
        self.show()
        self.raise_()
        self.activateWindow()
