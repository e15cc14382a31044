"""Month close from the overview and the patient view: approve a patient's month (or every
patient's), and copy a patient's month summary for the chart.

The approver is the clinician the tray is set to (or the default one): an approval attests
who approved, so it is never made in someone else's name. The approvals service refuses
clinical staff with a sentence, shown here as it is.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMessageBox, QPushButton, QWidget

from ccm_timer.errors import UserError
from ccm_timer.services.context import AppContext
from ccm_timer.services.month import approvals
from ccm_timer.services.month.approvals import ApprovalState
from ccm_timer.services.people import clinicians
from ccm_timer.services.people.clinicians import ClinicianView
from ccm_timer.ui.overview.month_names import month_title
from ccm_timer.ui.style import ERROR_STYLE

DONE_STYLE = "color: #15803d; font-weight: bold;"
# The service's refusal names the command-line way; this is the way in the app.
STAFF_HINT = ("In the app: choose the practitioner under Clinician in the tray menu, then "
              "approve again.")


class MonthCloseBar(QWidget):
    changed = Signal()  # an approval was recorded

    def __init__(self, ctx: AppContext, month: Callable[[], str],
                 patient: Callable[[], tuple[str, str] | None],
                 *, every_patient: bool, parent: QWidget | None = None) -> None:
        """`patient()` is the (MRN, name) acted on, or None when none is selected."""
        super().__init__(parent)
        self.ctx, self._month, self._patient = ctx, month, patient
        self.clinician: str | None = None  # name or id; None: the default clinician
        self.confirm: QMessageBox | None = None
        self.message = QLabel(wordWrap=True)  # always there: it keeps the buttons compact
        self.copy_button = QPushButton("Copy month &summary")
        self.copy_button.setToolTip("Put the patient's month summary on the clipboard, to "
                                    "paste into the chart.")
        self.approve_button = QPushButton("&Approve month…")
        self.approve_button.setToolTip("Record that this patient's month is ready to bill. "
                                       "Only a practitioner approves.")
        self.copy_button.clicked.connect(self.copy_summary)
        self.approve_button.clicked.connect(lambda: self.ask_approve(every=False))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.message, 1)
        layout.addWidget(self.copy_button)
        layout.addWidget(self.approve_button)
        self.approve_all_button: QPushButton | None = None
        if every_patient:
            self.approve_all_button = QPushButton("Approve a&ll patients…")
            self.approve_all_button.setToolTip("Approve the month of every patient with time.")
            self.approve_all_button.clicked.connect(lambda: self.ask_approve(every=True))
            layout.addWidget(self.approve_all_button)

    def say(self, text: str | None, *, problem: bool = False) -> None:
        self.message.setStyleSheet(ERROR_STYLE if problem else DONE_STYLE)
        self.message.setText(text or "")

    def _chosen(self) -> tuple[str, str] | None:
        found = self._patient()
        if found is None:
            self.say("Select a patient in the table first.", problem=True)
        return found

    # -- copying ----------------------------------------------------------------------

    def copy_summary(self) -> bool:
        from ccm_timer.services import exports  # the note templates: loaded on first use

        if (found := self._chosen()) is None:
            return False
        try:
            text = exports.month_summary(self.ctx, self._month(), found[0])
        except UserError as exc:
            self.say(str(exc), problem=True)
            return False
        QGuiApplication.clipboard().setText(text)
        self.say(f"Month summary of {found[1]} copied. Paste it into the chart.")
        return True

    # -- approving --------------------------------------------------------------------

    def approver(self) -> ClinicianView | None:
        chosen = self.clinician or self.ctx.settings.default_clinician
        return next((p for p in clinicians.list_clinicians(self.ctx)
                     if chosen in (str(p.id), p.name)), None)

    def ask_approve(self, *, every: bool) -> QMessageBox | None:
        """Ask first; clinical staff are not asked, the service's refusal says why."""
        found = None if every else self._chosen()
        if not every and found is None:
            return None
        mrn = None if every else found[0]
        try:
            who = self.approver()
        except UserError as exc:
            self.say(str(exc), problem=True)
            return None
        if who is None or who.role != "practitioner":
            self.approve(mrn, hint=STAFF_HINT)
            return None
        whom = "every patient with time" if every else found[1]
        box = QMessageBox(
            QMessageBox.Icon.Question, "Approve month",
            f"Approve {month_title(self._month())} for {whom}?\n\nYou approve as {who.name} "
            f"({who.credential}). This records that the time and codes are ready to bill; "
            "any later change to the time reopens it.", parent=self)
        approve = box.addButton("&Approve", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(approve)
        box.buttonClicked.connect(lambda b: self.approve(mrn) if b is approve else None)
        self.confirm = box
        box.show()
        return box

    def approve(self, mrn: str | None, hint: str = "") -> list[ApprovalState]:
        month = self._month()
        try:
            done = approvals.approve(self.ctx, month, mrn, approver=self.clinician)
        except UserError as exc:
            self.say(f"{exc} {hint}".strip(), problem=True)
            return []
        count = len(done)
        whom = done[0].name if mrn and done else f"{count} patient{'s' if count != 1 else ''}"
        by = done[0].approved_by if done else ""
        self.say(f"Approved {month_title(month)} for {whom}, by {by}.")
        self.changed.emit()
        return done
