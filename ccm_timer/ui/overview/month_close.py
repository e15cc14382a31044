"""Month close from the overview and the patient view: approve a patient's month (or every
patient's), and copy a patient's month summary for the chart.

The approver is the person signed in at the tray, proven again by their password at that
moment (attest_dialog.py): an approval is the billing practitioner's attestation, so it is
never made in someone else's name. A signed-in person who may not approve (clinical staff,
the billing office) finds the buttons disabled, with the reason beside them. When the clinic
has a hub but the totals here are this workstation's only, the password prompt warns first
(it does not forbid: the hub may be down on the last day). Copying the summary is a read in
the audit trail.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from ccm_timer.core.access import Action
from ccm_timer.errors import UserError
from ccm_timer.services.context import AppContext
from ccm_timer.services.delivery import hub_scope
from ccm_timer.services.month import approvals
from ccm_timer.services.month.approvals import ApprovalState
from ccm_timer.services.people.access import Signer
from ccm_timer.services.security.audit_reads import Read, record_read
from ccm_timer.ui import attest_dialog
from ccm_timer.ui.overview.month_names import month_title
from ccm_timer.ui.presenters import hub_words
from ccm_timer.ui.presenters.gui_words import error_text
from ccm_timer.ui.style import ERROR_STYLE

DONE_STYLE = "color: #15803d; font-weight: bold;"
# The service's refusal names the command-line way; this is the way in the app.
STAFF_HINT = "In the app: the practitioner signs in at the tray (Switch person), then approves."
NOTE_STYLE = "color: palette(placeholder-text);"  # not an error: simply not theirs to do


class MonthCloseBar(QWidget):
    changed = Signal()  # an approval was recorded

    def __init__(self, ctx: AppContext, month: Callable[[], str],
                 patient: Callable[[], tuple[str, str] | None],
                 *, every_patient: bool, parent: QWidget | None = None) -> None:
        """`patient()` is the (MRN, name) acted on, or None when none is selected."""
        super().__init__(parent)
        self.ctx, self._month, self._patient = ctx, month, patient
        self.signer: Signer | None = None  # the tray's signed-in person
        self.attest: attest_dialog.AttestDialog | None = None
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

    def set_signer(self, signer: Signer | None) -> None:
        """Approving is the signed-in practitioner's; anyone else sees why not."""
        self.signer = signer
        why = self.refusal()
        for button in (self.approve_button, self.approve_all_button):
            if button is not None:
                button.setEnabled(why is None and button.property("has_time") is not False)
                button.setToolTip(why or "Record that the month is ready to bill; your "
                                  "password confirms it.")
        self.message.setStyleSheet(NOTE_STYLE)
        self.message.setText(why or "")

    def refusal(self) -> str | None:
        """Why the signed-in person may not approve, in a sentence; None when they may."""
        if self.signer is None:
            return attest_dialog.NOBODY
        if self.signer.may(Action.APPROVE):
            return None
        return (f"{self.signer.name} cannot approve: only the billing practitioner approves a "
                f"month. {STAFF_HINT}")

    def set_has_time(self, has_time: bool) -> None:
        self.approve_button.setProperty("has_time", has_time)
        self.approve_button.setEnabled(has_time and self.refusal() is None)

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
            self.say(error_text(exc), problem=True)
            return False
        QGuiApplication.clipboard().setText(text)
        if self.signer is not None:
            record_read(self.ctx, self.signer.name, Read.NOTE_COPY, month=self._month(),
                        detail=f"month summary of {found[0]}")
        self.say(f"Month summary of {found[1]} copied. Paste it into the chart.")
        return True

    # -- approving --------------------------------------------------------------------

    def ask_approve(self, *, every: bool) -> attest_dialog.AttestDialog | None:
        """The signed-in practitioner's password, then the approval; anyone else is told
        why not, and nothing is asked."""
        found = None if every else self._chosen()
        if not every and found is None:
            return None
        why = self.refusal()
        if why is not None:
            self.say(why, problem=True)
            return None
        mrn = None if every else found[0]
        whom = "every patient with time you bill for" if every else found[1]
        what = (f"Approve {month_title(self._month())} for {whom}: this records that the "
                "time and codes are ready to bill; any later change to the time reopens it.")
        self.attest = attest_dialog.ask(self.ctx, self.signer, Action.APPROVE, what,
                                        lambda signer: self.approve(mrn, signer), self,
                                        refused=lambda text: self.say(text, problem=True))
        if self.attest is not None:
            self._warn_partial(self.attest)  # and fits it to its lines
        return self.attest

    def _warn_partial(self, dialog: attest_dialog.AttestDialog) -> None:
        """The warning is read at the click (a pull may have come since the figures were
        shown)."""
        warning = hub_words.approval_warning(hub_scope.scope(self.ctx))
        if warning is not None:
            label = QLabel(warning, wordWrap=True, styleSheet=hub_words.PARTIAL_STYLE)
            label.setObjectName("partial")
            dialog.layout().insertWidget(1, label)
            label.show()  # a child added to a shown window stays hidden until shown
        # Tall enough for its wrapped lines (a window's height does not follow their width).
        layout, width = dialog.layout(), dialog.width()
        layout.activate()
        dialog.resize(width, max(dialog.height(), layout.totalHeightForWidth(width)))

    def approve(self, mrn: str | None, signer: Signer) -> list[ApprovalState]:
        month = self._month()
        try:
            done = approvals.approve(self.ctx, month, mrn, by=signer)
        except UserError as exc:
            self.say(f"{exc} {STAFF_HINT if not signer.may(Action.APPROVE) else ''}".strip(),
                     problem=True)
            return []
        count = len(done)
        whom = done[0].name if mrn and done else f"{count} patient{'s' if count != 1 else ''}"
        left = getattr(done, "left", {})
        rest = "".join(f" {k} patient{'s' if k != 1 else ''} left for {who}."
                       for who, k in left.items())
        self.say(f"Approved {month_title(month)} for {whom}, by {signer.name}.{rest}")
        self.changed.emit()
        return done
