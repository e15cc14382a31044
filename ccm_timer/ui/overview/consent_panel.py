"""Programs and consent, edited in the app: enroll a patient in a program and record its
consent whole: the date, how it was given, who obtained it, the three disclosures and, for
a written consent, the scan. A consent that lacks any of what the program's rule needs says
plainly what is missing (its lines are held until then); a withdrawal ends the enrolment.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ccm_timer.core.billing.rules import Eligibility
from ccm_timer.errors import UserError
from ccm_timer.services.context import AppContext
from ccm_timer.services.people import clinicians, consent_documents, patients
from ccm_timer.services.people.enrollments import DISCLOSURES, EnrollmentView
from ccm_timer.services.people.record_status import consent_missing
from ccm_timer.ui.overview.record_access import note_label, show_note
from ccm_timer.ui.overview.record_dialogs import WithdrawConsentDialog, pydate, qdate
from ccm_timer.ui.presenters import patient_record as words
from ccm_timer.ui.presenters.gui_words import error_text
from ccm_timer.ui.style import ERROR_STYLE, TITLE_STYLE

METHODS = ("verbal", "written")
NOBODY = "— choose who obtained it —"
HOLD_STYLE = "color: #b45309; font-weight: bold;"
SCAN_FILTER = "Scans (*.pdf *.png *.jpg *.jpeg *.tif *.tiff)"


class ConsentPanel(QWidget):
    saved = Signal()  # a consent, enrolment or withdrawal was written

    def __init__(self, ctx: AppContext, mrn: str, actor: Callable[[], str],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.mrn, self.actor = ctx, mrn, actor
        self.enrolled: dict[str, EnrollmentView] = {}
        self.refused: str | None = None  # why the signed-in person may not change it
        self.rules: Mapping[str, Eligibility] = {}
        self.today = date.today()  # replaced by the clinic's date in show_enrollments
        self.scan: Path | None = None  # the file chosen to attach at the next save
        self.dialog: WithdrawConsentDialog | None = None
        self.listing = QLabel(wordWrap=True, textFormat=Qt.TextFormat.RichText)
        self.listing.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.program = QComboBox()
        self.program.setAccessibleName("Program")
        self.has_consent = QCheckBox("Consent &given on")
        self.day = QDateEdit(calendarPopup=True, displayFormat="yyyy-MM-dd")
        self.day.setAccessibleName("Consent date")
        self.method = QComboBox()
        self.method.addItems(METHODS)
        self.method.setAccessibleName("Consent method")
        self.by = QComboBox()
        self.by.setAccessibleName("Consent obtained by")
        self.told = {name: QCheckBox(words.DISCLOSURE_LABELS[name]) for name in DISCLOSURES}
        self.scan_label = QLabel()
        self.scan_button = QPushButton("Attach &scan…")
        self.save = QPushButton("Save &enrollment and consent")
        self.withdraw_button = QPushButton("&Withdraw consent…")
        self.error = QLabel(styleSheet=ERROR_STYLE, wordWrap=True)
        self.error.hide()
        self.note = note_label()
        self._layout()
        self.program.currentIndexChanged.connect(lambda _i: self._fill())
        self.has_consent.toggled.connect(self._enable)
        self.method.currentTextChanged.connect(lambda _t: self._enable(
            self.has_consent.isChecked()))
        self.scan_button.clicked.connect(self.choose_scan)
        self.save.clicked.connect(self.submit)
        self.withdraw_button.clicked.connect(self.withdraw)

    def _layout(self) -> None:
        consent_row = QHBoxLayout()
        consent_row.addWidget(self.has_consent)
        consent_row.addWidget(self.day, 1)
        scan_row = QHBoxLayout()
        scan_row.addWidget(self.scan_label, 1)
        scan_row.addWidget(self.scan_button)
        told = QVBoxLayout()
        for box in self.told.values():
            told.addWidget(box)
        form = QFormLayout()
        form.addRow("Pro&gram", self.program)
        form.addRow(consent_row)
        form.addRow("Met&hod", self.method)
        form.addRow("&Obtained by", self.by)
        form.addRow("Explained", told)
        form.addRow("Scan", scan_row)
        buttons = QHBoxLayout()
        buttons.addWidget(self.save)
        buttons.addWidget(self.withdraw_button)
        buttons.addStretch(1)
        editor = QVBoxLayout()
        editor.addLayout(form)
        editor.addLayout(buttons)
        editor.addWidget(self.note)
        editor.addWidget(self.error)
        editor.addStretch(1)
        on_file = QVBoxLayout()
        on_file.addWidget(QLabel("On file", styleSheet=TITLE_STYLE))
        on_file.addWidget(self.listing)
        on_file.addStretch(1)
        on_file_box = QWidget()
        on_file_box.setLayout(on_file)
        on_file_box.setMaximumWidth(480)
        form_box = QWidget()
        form_box.setLayout(editor)
        form_box.setMaximumWidth(600)  # a form, not a banner: fields no wider than they need
        layout = QHBoxLayout(self)
        layout.addWidget(on_file_box, 1)
        layout.addWidget(form_box, 1)
        layout.addStretch(0)

    # -- showing -----------------------------------------------------------------------

    def set_programs(self, programs: tuple[str, ...]) -> None:
        keep = self.program.currentText()
        self.program.blockSignals(True)
        self.program.clear()
        self.program.addItems(list(programs))
        self.program.blockSignals(False)
        if keep:
            self.program.setCurrentText(keep)

    def show_enrollments(self, enrollments: tuple[EnrollmentView, ...],
                         rules: Mapping[str, Eligibility], today: date) -> None:
        self.enrolled = {e.program.value: e for e in enrollments}
        self.rules, self.today = rules, today
        self.listing.setText(self._listing(enrollments))
        self.day.setMaximumDate(qdate(today))
        self._clinicians()
        if enrollments and self.program.currentText() not in self.enrolled:
            self.program.setCurrentText(enrollments[0].program.value)
        self._fill()

    def missing(self, e: EnrollmentView) -> tuple[str, ...]:
        """What the program's rule needs of this consent that is not on file."""
        if e.withdrawn_on is not None:
            return ()
        rule = self.rules.get(e.program.value)
        return consent_missing(e, rule.consent if rule else ())

    def _listing(self, enrollments: tuple[EnrollmentView, ...]) -> str:
        if not enrollments:
            return "Not enrolled in any program."
        lines = []
        for e in enrollments:
            line = html.escape(words.consent_line(e))
            if held := words.consent_hold(self.missing(e)):
                line += f"<br><span style='{HOLD_STYLE}'>⚠ {html.escape(held)}</span>"
            lines.append(line)
        return "<br><br>".join(lines)

    def _clinicians(self) -> None:
        keep = self.by.currentText()
        try:
            names = [c.name for c in clinicians.list_clinicians(self.ctx)]
        except UserError as exc:
            self.show_error(error_text(exc))
            names = []
        self.by.blockSignals(True)
        self.by.clear()
        self.by.addItems([NOBODY, *names])
        self.by.setCurrentText(keep or NOBODY)
        self.by.blockSignals(False)

    def _fill(self) -> None:
        """Show what is on file for the chosen program (or a blank consent for a new one)."""
        self.show_error(None)
        self.scan = None
        current = self.enrolled.get(self.program.currentText())
        consent = current.consent_date if current else None
        self.has_consent.setChecked(consent is not None)
        self.day.setDate(qdate(consent or self.today))
        self.method.setCurrentText((current.consent_method if current else None) or METHODS[0])
        # A consent being recorded now was most likely obtained by whoever records it.
        by = current.consent_by if current and consent else self.actor()
        self.by.setCurrentText(by if by and self.by.findText(by) >= 0 else NOBODY)
        for name, box in self.told.items():
            box.setChecked(bool(current and name in current.disclosures))
        self._show_scan(current)
        self._enable(consent is not None)
        self.save.setText("Save &consent" if current else "&Enroll in this program")
        self.save.setEnabled(self.refused is None)
        self.withdraw_button.setEnabled(bool(current and consent and not current.withdrawn_on)
                                        and self.refused is None)

    def _show_scan(self, current: EnrollmentView | None) -> None:
        if self.scan is not None:
            self.scan_label.setText(f"To attach at save: {self.scan.name}")
        elif current is not None and current.has_document:
            self.scan_label.setText("A scan of the written consent is on file.")
        else:
            self.scan_label.setText("No scan (optional, for a written consent).")

    def _enable(self, on: bool) -> None:
        on = on and self.refused is None
        self.has_consent.setEnabled(self.refused is None)
        for widget in (self.day, self.method, self.by, *self.told.values()):
            widget.setEnabled(on)
        self.scan_button.setEnabled(on and self.method.currentText() == "written")

    def set_refusal(self, why: str | None) -> None:
        """Enrolling, consent and withdrawal are disabled, with `why` beside them, for
        someone who may not change the record (None: they may); what is on file still
        shows, program by program."""
        self.refused = why
        show_note(self.note, why)
        self._fill()

    def show_error(self, text: str | None) -> None:
        self.error.setText(text or "")
        self.error.setVisible(bool(text))

    # -- changing ----------------------------------------------------------------------

    def choose_scan(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Scanned written consent", "", SCAN_FILTER)
        if path:
            self.set_scan(Path(path))

    def set_scan(self, path: Path | None) -> None:
        self.scan = path
        self._show_scan(self.enrolled.get(self.program.currentText()))

    def _refuse(self) -> bool:
        if self.refused is not None:
            self.show_error(self.refused)
        return self.refused is not None

    def submit(self) -> None:
        if self._refuse():
            return
        program = self.program.currentText()
        try:
            if not self.has_consent.isChecked():
                patients.set_consent(self.ctx, self.mrn, program, None, actor=self.actor())
            else:
                document = consent_documents.read_scan(self.scan) if self.scan else None
                by = self.by.currentText()
                patients.set_consent(
                    self.ctx, self.mrn, program, pydate(self.day.date()),
                    self.method.currentText(), actor=self.actor(),
                    by=None if by == NOBODY else by,
                    disclosures=[n for n, box in self.told.items() if box.isChecked()],
                    document=document)
        except UserError as exc:
            self.show_error(error_text(exc))
            return
        self.scan = None
        self.saved.emit()

    def withdraw(self) -> WithdrawConsentDialog | None:
        if self._refuse():
            return None
        program = self.program.currentText()
        if program not in self.enrolled:
            self.show_error(f"The patient is not enrolled in {program}; nothing to withdraw.")
            return None
        dialog = WithdrawConsentDialog(program, self.today, self)
        dialog.submitted.connect(lambda on, reason: self._withdraw(dialog, on, reason))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog = dialog
        dialog.show()
        return dialog

    def _withdraw(self, dialog: WithdrawConsentDialog, on: date, reason: str) -> None:
        try:
            patients.withdraw_consent(self.ctx, self.mrn, dialog.program, on, reason,
                                      actor=self.actor())
        except UserError as exc:
            dialog.show_error(error_text(exc))
            return
        dialog.accept()
        self.saved.emit()
