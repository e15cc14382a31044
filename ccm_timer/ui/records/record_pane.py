"""The chosen patient beside the list: their name, "Open month" and "Start timer", and
their record in the overview's own tabs (record_tabs.py) with a Details page first. A
deactivated patient's record is only read: their details, the other tabs disabled."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

import ccm_timer.ui.records.rows as rows
from ccm_timer.errors import UserError
from ccm_timer.services.month.billing_rules import rules_for_month
from ccm_timer.services.people.access import Signer
from ccm_timer.services.people.patients import PatientView
from ccm_timer.ui.overview.record_tabs import RecordTabs
from ccm_timer.ui.presenters.gui_words import error_text
from ccm_timer.ui.style import BIG_STYLE

NOTE_STYLE = "color: #57534e;"


class RecordPane(QWidget):
    changed = Signal()  # a part of the record was saved in a panel
    failed = Signal(str)  # the record could not be read: the window's error line says why

    def __init__(self, ctx, actor: Callable[[], str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.actor = ctx, actor
        self.mrn: str | None = None
        self.record: RecordTabs | None = None
        self.details: QFormLayout | None = None
        self.name = QLabel(styleSheet=BIG_STYLE)
        self.name.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.open_button = QPushButton("Open &month")
        self.start_button = QPushButton("&Start timer")
        self.placeholder = QLabel("Choose a patient in the list to see their record.",
                                  styleSheet=NOTE_STYLE, alignment=Qt.AlignmentFlag.AlignCenter)
        head = QHBoxLayout()
        head.addWidget(self.name, 1)
        head.addWidget(self.open_button)
        head.addWidget(self.start_button)
        self.column = QVBoxLayout(self)
        self.column.setContentsMargins(0, 0, 0, 0)
        self.column.addLayout(head)
        self.column.addWidget(self.placeholder, 1)

    def show_patient(self, patient: PatientView | None, names: Mapping, signer: Signer | None,
                     today: date, *, rebuild: bool = False) -> None:
        """Show `patient` (None: the placeholder); the tabs are built again for another
        patient, or when asked (`rebuild`: what was saved elsewhere is read afresh)."""
        mrn = patient.mrn if patient else None
        if self.record is not None and (rebuild or mrn != self.mrn):
            for part in (self.record.banner, self.record):
                self.column.removeWidget(part)
                part.deleteLater()
            self.record = None
        self.mrn = mrn
        self.name.setText(patient.display_name if patient else "")
        self.placeholder.setVisible(patient is None)
        if patient is None:
            return
        if self.record is None:
            page = QWidget()
            self.details = QFormLayout(page)
            self.record = RecordTabs(self.ctx, patient.mrn, self.actor, page)
            self.record.setTabText(0, "&Details")
            self.record.changed.connect(self.changed)
            self.column.addWidget(self.record.banner)
            self.column.addWidget(self.record, 1)
        self._fill_details(patient, names, today)
        if patient.active:
            self.record.set_signer(signer)
            try:
                self.record.reload(patient, rules_for_month(f"{today:%Y-%m}"), today)
            except UserError as exc:
                self.failed.emit(error_text(exc))
        else:
            self.record.banner.hide()
        for index in range(1, self.record.count()):
            self.record.setTabEnabled(index, patient.active)

    def _fill_details(self, patient: PatientView, names: Mapping, today: date) -> None:
        assert self.details is not None
        while self.details.rowCount():
            self.details.removeRow(0)
        for label, value in rows.patient_details(patient, names, today):
            text = QLabel(value, wordWrap=True)
            text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.details.addRow(f"{label}:", text)

    def set_buttons(self, live: bool, no_time: str | None) -> None:
        """"Open month" for an active patient; "Start timer" also needs someone who times."""
        self.open_button.setEnabled(live)
        self.start_button.setEnabled(live and no_time is None)
        self.start_button.setToolTip(no_time or "")
