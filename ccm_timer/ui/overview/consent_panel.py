"""Programs and consent, edited in the app: enroll a patient in a program, record (or clear)
the date and method of consent. Without consent the time is kept and the codes held."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ccm_timer.services.people.enrollments import EnrollmentView

METHODS = ("verbal", "written", "electronic")


def enrollment_text(e: EnrollmentView) -> str:
    program = e.program.value
    if e.consent_date is None:
        consent = "no consent on file (time is kept, codes are held)"
    else:
        how = f", {e.consent_method}" if e.consent_method else ""
        consent = f"consent {e.consent_date.isoformat()}{how}"
    span = ""
    if e.end_date:
        span = f"; ended {e.end_date.isoformat()}"
    return f"{program}: {consent}{span}"


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


class ConsentPanel(QGroupBox):
    saved = Signal(str, object, object)  # program, consent date or None, method or None

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Programs and consent", parent)
        self.enrolled: dict[str, EnrollmentView] = {}
        self.today = date.today()  # replaced by the clinic's date in show_enrollments
        self.listing = QLabel(wordWrap=True)
        self.program = QComboBox()
        self.program.setAccessibleName("Program")
        self.has_consent = QCheckBox("Consent &given on")
        self.day = QDateEdit(calendarPopup=True, displayFormat="yyyy-MM-dd")
        self.day.setAccessibleName("Consent date")
        self.method = QComboBox(editable=True)
        self.method.addItems(METHODS)
        self.method.setAccessibleName("Consent method")
        self.save = QPushButton("Save &enrollment and consent")
        consent_row = QHBoxLayout()
        consent_row.addWidget(self.has_consent)
        consent_row.addWidget(self.day, 1)
        form = QFormLayout()
        form.addRow("Pro&gram", self.program)
        form.addRow(consent_row)
        form.addRow("Met&hod", self.method)
        layout = QVBoxLayout(self)
        layout.addWidget(self.listing)
        layout.addLayout(form)
        layout.addWidget(self.save)
        self.program.currentIndexChanged.connect(lambda _i: self._fill())
        self.has_consent.toggled.connect(self._enable)
        self.save.clicked.connect(self._save)

    def set_programs(self, programs: tuple[str, ...]) -> None:
        keep = self.program.currentText()
        self.program.blockSignals(True)
        self.program.clear()
        self.program.addItems(list(programs))
        self.program.blockSignals(False)
        if keep:
            self.program.setCurrentText(keep)

    def show_enrollments(self, enrollments: tuple[EnrollmentView, ...], today: date) -> None:
        self.enrolled = {e.program.value: e for e in enrollments}
        lines = [enrollment_text(e) for e in enrollments] or ["Not enrolled in any program."]
        if any(e.consent_date is None for e in enrollments):
            lines.append("To release held codes, tick “Consent given on”, pick the date and "
                         "save.")
        self.listing.setText("\n".join(lines))
        self.today = today
        self.day.setMaximumDate(_qdate(today))
        if enrollments and self.program.currentText() not in self.enrolled:
            self.program.setCurrentText(enrollments[0].program.value)
        self._fill()

    def _fill(self) -> None:
        """Show what is on file for the chosen program (or a blank consent for a new one)."""
        current = self.enrolled.get(self.program.currentText())
        consent = current.consent_date if current else None
        self.has_consent.setChecked(consent is not None)
        self.day.setDate(_qdate(consent or self.today))
        self.method.setCurrentText((current.consent_method if current else None) or METHODS[0])
        self._enable(consent is not None)
        self.save.setText("Save &consent" if current else "&Enroll in this program")

    def _enable(self, on: bool) -> None:
        self.day.setEnabled(on)
        self.method.setEnabled(on)

    def _save(self) -> None:
        program = self.program.currentText()
        if not self.has_consent.isChecked():
            self.saved.emit(program, None, None)
            return
        d = self.day.date()
        method = self.method.currentText().strip() or None
        self.saved.emit(program, date(d.year(), d.month(), d.day()), method)
