"""Add time by hand: for work done away from the computer, or a timer someone forgot.

It opens on a free slot of the person's day (services/timing/free_slots.py), so Add straight
away records; the patient's programs' activities come first, and one of a program they are
not enrolled in is asked about before it is added (as in the start dialog).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta

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

from ccm_timer.errors import UserError
from ccm_timer.services.people.patient_search import PatientIndex
from ccm_timer.ui.pickers import WARNING_STYLE, ActivityList, FitCheck, PatientPicker, grow
from ccm_timer.ui.style import ERROR_STYLE, TITLE_STYLE

# The patient's programs today, by MRN (record_status(...).programs); None: not known.
Programs = Callable[[str], tuple[str, ...]]


_QUARTER = timedelta(minutes=15)


class ManualDialog(QDialog):
    # patient MRN or None, category slug, day, start, end (wall times), note
    submitted = Signal(object, str, object, object, object, str)

    def __init__(self, parent: QWidget | None = None, programs: Programs | None = None) -> None:
        super().__init__(parent)
        self._programs_of = programs
        self._programs: dict[str, tuple[str, ...] | None] = {}  # read once per use
        self.fit = FitCheck()
        self.setWindowTitle("Add time by hand")
        self.setMinimumWidth(540)  # the longest activity without a scroll bar
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
        form.addRow("Dat&e", self.day)  # Alt+D is Add
        form.addRow("&From", self.start)
        form.addRow("&To", self.end)
        form.addRow("&Note", self.note)
        buttons = QDialogButtonBox()
        add = self.add = buttons.addButton("A&dd", QDialogButtonBox.ButtonRole.AcceptRole)
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
        self.picker.highlighted.connect(self._patient_changed)
        self.activities.currentItemChanged.connect(self._changed)

    def prepare(self, index: PatientIndex, categories, now: datetime, zone,
                slot: tuple[datetime, datetime] | None = None) -> None:
        """`slot`: the free [start, end) to offer (free_slots.free_slot); else the 15
        minutes before now."""
        local = now.astimezone(zone)
        self._programs.clear()  # enrolments may have changed since the last use
        self.activities.set_categories(categories)
        self.picker.set_index(index)
        self.day.setMaximumDate(QDate(local.year, local.month, local.day))
        if slot is not None:
            first, last = (t.astimezone(zone) for t in slot)
        else:
            last = local
            first = max(local.replace(hour=0, minute=0), local.replace(second=0) - _QUARTER)
        self.day.setDate(QDate(last.year, last.month, last.day))
        self.start.setTime(QTime(first.hour, first.minute))
        self.end.setTime(QTime(last.hour, last.minute))
        self.zone_hint.setText(f"Times are {zone.key} time.")
        self.note.clear()
        self._changed()
        self.picker.search.setFocus()

    def _patient_changed(self, patient) -> None:
        self.activities.follow(self._programs_for(patient.mrn) if patient is not None
                               else None)
        self._changed()

    def _programs_for(self, mrn: str) -> tuple[str, ...] | None:
        if self._programs_of is None:
            return None
        if mrn not in self._programs:
            try:
                self._programs[mrn] = self._programs_of(mrn)
            except UserError:  # the add itself will say what is wrong
                self._programs[mrn] = None
        return self._programs[mrn]

    def _changed(self, *_args) -> None:
        self.fit.reset()
        self.add.setText("A&dd")
        self.show_error(None)

    def show_error(self, text: str | None, *, warning: bool = False) -> None:
        self.error.setStyleSheet(WARNING_STYLE if warning else ERROR_STYLE)
        self.error.setText(text or "")
        self.error.setVisible(bool(text))
        if text:
            grow(self)

    def submit(self) -> None:
        category = self.activities.chosen()
        patient = self.picker.chosen()
        if category is None:
            self.show_error("Choose an activity from the list.")
            return
        if category.program is not None and patient is None:
            self.show_error("Choose a patient first: type a name or MRN, then press Enter.")
            return
        mrn = patient.mrn if category.program is not None else None
        warning = self.fit.question(mrn, category, self.activities.programs)
        if warning:
            self.show_error(f"{warning} Choose one of their activities (listed first), or "
                            "press Add anyway.", warning=True)
            self.add.setText("A&dd anyway")
            return
        d, s, e = self.day.date(), self.start.time(), self.end.time()
        self.submitted.emit(
            mrn, category.slug,
            date(d.year(), d.month(), d.day()), time(s.hour(), s.minute()),
            time(e.hour(), e.minute()), self.note.text().strip(),
        )

    def keyPressEvent(self, event) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            return  # fields handle Enter themselves; it must not close the dialog
        super().keyPressEvent(event)
