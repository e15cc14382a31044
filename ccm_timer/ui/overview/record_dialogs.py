"""The record's changes that need a reason: removing a condition, ending a care-plan item,
withdrawing a consent. Each keeps the original in the record (the services do the keeping);
the dialog stays open with the service's sentence when it refuses."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import QDateEdit, QWidget

from ccm_timer.ui.overview.entry_dialogs import ReasonDialog


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
