"""Add time by hand: for work done away from the computer, or a timer someone forgot."""

from __future__ import annotations

from datetime import date, datetime, time

from PySide6.QtCore import QDate, Qt, QTime, Signal
from PySide6.QtWidgets import (
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from ccm_timer.services.people.patient_search import PatientIndex
from ccm_timer.ui.pickers import ActivityList, PatientPicker
from ccm_timer.ui.style import ERROR_STYLE, TITLE_STYLE


class ManualDialog(QDialog):
    # patient MRN or None, category slug, day, start, end (wall times), note
    submitted = Signal(object, str, object, object, object, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add time by hand")
        self.setMinimumWidth(460)
        self.picker = PatientPicker()
        self.activities = ActivityList()
        self.day = QDateEdit(calendarPopup=True, displayFormat="yyyy-MM-dd")
        self.start = QTimeEdit(displayFormat="HH:mm")
        self.end = QTimeEdit(displayFormat="HH:mm")
        self.note = QLineEdit(placeholderText="Note (optional)")
        self.zone_hint = QLabel()
        self.error = QLabel(styleSheet=ERROR_STYLE, wordWrap=True)
        self.error.hide()
        form = QFormLayout()
        form.addRow("&Date", self.day)
        form.addRow("&From", self.start)
        form.addRow("&To", self.end)
        form.addRow("&Note", self.note)
        buttons = QDialogButtonBox()
        add = buttons.addButton("A&dd", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        for button in buttons.buttons():
            button.setAutoDefault(False)
        add.clicked.connect(self.submit)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("&Patient", buddy=self.picker.search, styleSheet=TITLE_STYLE))
        layout.addWidget(self.picker)
        layout.addWidget(QLabel("&Activity", buddy=self.activities, styleSheet=TITLE_STYLE))
        layout.addWidget(self.activities)
        layout.addLayout(form)
        layout.addWidget(self.zone_hint)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.picker.confirmed.connect(self.activities.setFocus)
        self.activities.confirmed.connect(self.day.setFocus)
        self.note.returnPressed.connect(self.submit)

    def prepare(self, index: PatientIndex, categories, now: datetime, zone) -> None:
        local = now.astimezone(zone)
        self.picker.set_index(index)
        self.activities.set_categories(categories)
        self.day.setDate(QDate(local.year, local.month, local.day))
        self.day.setMaximumDate(QDate(local.year, local.month, local.day))
        self.end.setTime(QTime(local.hour, local.minute))
        start = local.hour * 60 + local.minute - 15
        self.start.setTime(QTime(max(0, start) // 60, max(0, start) % 60))
        self.zone_hint.setText(f"Times are {zone.key} time.")
        self.note.clear()
        self.show_error(None)
        self.picker.search.setFocus()

    def show_error(self, text: str | None) -> None:
        self.error.setText(text or "")
        self.error.setVisible(bool(text))

    def submit(self) -> None:
        category = self.activities.chosen()
        patient = self.picker.chosen()
        if category is None:
            self.show_error("Choose an activity from the list.")
            return
        if category.program is not None and patient is None:
            self.show_error("Choose a patient first: type a name or MRN, then press Enter.")
            return
        d, s, e = self.day.date(), self.start.time(), self.end.time()
        self.submitted.emit(
            patient.mrn if category.program is not None else None, category.slug,
            date(d.year(), d.month(), d.day()), time(s.hour(), s.minute()),
            time(e.hour(), e.minute()), self.note.text().strip(),
        )

    def keyPressEvent(self, event) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            return  # fields handle Enter themselves; it must not close the dialog
        super().keyPressEvent(event)
