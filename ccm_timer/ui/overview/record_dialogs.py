"""The record's changes that need a reason: removing a condition, ending a care-plan item,
withdrawing a consent (each keeps the original in the record; the services do the keeping);
and the patient's details (name, birth date, QMB). A dialog stays open with the service's
sentence when it refuses."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from ccm_timer.services.people.patients import PatientView
from ccm_timer.ui.overview.entry_dialogs import ReasonDialog
from ccm_timer.ui.style import ERROR_STYLE


def qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def pydate(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


class RemoveConditionDialog(ReasonDialog):
    submitted = Signal(str)  # reason

    def __init__(self, code: str, description: str, parent: QWidget | None = None) -> None:
        super().__init__("Remove a condition", "&Remove condition", parent)
        self.code = code
        self.what.setText(f"Remove {code} {description} from the problem list?")
        self.form.addRow("&Reason", self.reason)
        self.kept.setText("The condition stays in the history with who removed it, when and "
                          "why; it stops counting toward eligibility.")
        self.reason.setFocus()

    def submit(self) -> None:
        if (reason := self.checked_reason()) is not None:
            self.submitted.emit(reason)


class EndItemDialog(ReasonDialog):
    submitted = Signal(str)  # reason

    def __init__(self, item_id: str, kind: str, text: str,
                 parent: QWidget | None = None) -> None:
        super().__init__("End a care-plan item", "&End item", parent)
        self.item_id = item_id
        self.what.setText(f"End the {kind} “{text}”?")
        self.form.addRow("&Reason", self.reason)
        self.reason.setPlaceholderText("Required: e.g. goal met, problem resolved")
        self.kept.setText("The item stays in the record as ended, with who ended it and why.")
        self.reason.setFocus()

    def submit(self) -> None:
        if (reason := self.checked_reason()) is not None:
            self.submitted.emit(reason)


class WithdrawConsentDialog(ReasonDialog):
    submitted = Signal(object, str)  # the date, reason

    def __init__(self, program: str, today: date, parent: QWidget | None = None) -> None:
        super().__init__(f"Withdraw {program} consent", "&Withdraw consent", parent)
        self.program = program
        self.what.setText(f"The patient withdrew consent to {program}.")
        self.day = QDateEdit(qdate(today), calendarPopup=True, displayFormat="yyyy-MM-dd")
        self.day.setMaximumDate(qdate(today))
        self.day.setAccessibleName("Withdrawn on")
        self.form.addRow("Withdrawn &on", self.day)
        self.form.addRow("&Reason", self.reason)
        self.kept.setText(f"The {program} enrolment ends on that date: time before it is still "
                          "billed, later time is kept but not billed.")
        self.reason.setFocus()

    def submit(self) -> None:
        if (reason := self.checked_reason()) is not None:
            self.submitted.emit(pydate(self.day.date()), reason)


QMB_CHOICES = (("not recorded", None), ("yes: a Qualified Medicare Beneficiary", True),
               ("no", False))


class PatientDetailsDialog(QDialog):
    """Name, birth date and QMB status (a QMB patient owes no cost sharing, which the
    consent's cost-sharing disclosure and the billing office need to know)."""

    submitted = Signal(object, object, object)  # name, birth date, qmb: None = unchanged

    def __init__(self, person: PatientView, today: date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Patient details")
        self.setMinimumWidth(420)
        self.person = person
        self.name = QLineEdit(person.display_name, placeholderText="Family, Given")
        self.name.setAccessibleName("Name")
        self.has_born = QCheckBox("&Born on", checked=person.birth_date is not None)
        self.born = QDateEdit(qdate(person.birth_date or date(1950, 1, 1)), calendarPopup=True,
                              displayFormat="yyyy-MM-dd", enabled=self.has_born.isChecked())
        self.born.setMaximumDate(qdate(today))
        self.born.setAccessibleName("Born")
        self.has_born.toggled.connect(self.born.setEnabled)
        self.qmb = QComboBox()
        self.qmb.setAccessibleName("QMB")
        for text, value in QMB_CHOICES:
            self.qmb.addItem(text, value)
        self.qmb.setCurrentIndex(self.qmb.findData(person.qmb))
        self.error = QLabel(styleSheet=ERROR_STYLE, wordWrap=True)
        self.error.hide()
        buttons = QDialogButtonBox()
        self.ok = buttons.addButton("&Save", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.ok.clicked.connect(self.submit)
        buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("&Name", self.name)
        form.addRow(self.has_born, self.born)
        form.addRow("&QMB", self.qmb)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def show_error(self, text: str | None) -> None:
        self.error.setText(text or "")
        self.error.setVisible(bool(text))

    def submit(self) -> None:
        name = self.name.text().strip()
        born = pydate(self.born.date()) if self.has_born.isChecked() else None
        qmb = self.qmb.currentData()
        changes = (name if name != self.person.display_name else None,
                   born if born != self.person.birth_date else None,
                   qmb if qmb is not None and qmb != self.person.qmb else None)
        if changes == (None, None, None):
            self.show_error("Nothing was changed; change a field or cancel.")
            return
        self.submitted.emit(*changes)
