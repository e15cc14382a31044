"""Patients, in the app (issue 17, point 2): find them as you type (name or MRN, accents
and case ignored, names in the order people read them), add, edit, deactivate and
reactivate, and each one's clinical record: details, conditions, care plan and programs with
their consent (the overview's own panels, record_tabs.py). "Open month" and "Start timer"
hand the patient to the tray.

Patient data is shown to the person signed in, and each list, search and record shown is
an audited read under their name (a search once the typing settles, never what was typed).
Changes are theirs when their duties allow a change of the record (the billing office's do
not: record_access.py)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

import ccm_timer.ui.records.rows as rows
from ccm_timer.errors import UserError
from ccm_timer.services.month.billing_rules import rules_for_month
from ccm_timer.services.people import clinicians, patients
from ccm_timer.services.people.access import Signer
from ccm_timer.services.people.patient_search import PatientIndex
from ccm_timer.services.people.patients import PatientView
from ccm_timer.services.security.audit_reads import Read, record_read
from ccm_timer.ui import window_fit
from ccm_timer.ui.overview.record_access import refusal
from ccm_timer.ui.presenters.gui_words import error_text
from ccm_timer.ui.presenters.signin import time_refusal
from ccm_timer.ui.records.patient_form import PatientDialog, PatientForm
from ccm_timer.ui.records.record_pane import NOTE_STYLE, RecordPane
from ccm_timer.ui.style import ERROR_STYLE

if TYPE_CHECKING:
    from ccm_timer.ui.office_flow import OfficeFlow

SEARCH_SETTLES_MS = 800  # a search is read (and audited) once the typing pauses
SIGN_IN_FIRST = "Sign in at the tray to see patients."


class PatientsWindow(QWidget):
    def __init__(self, flow: OfficeFlow) -> None:
        super().__init__()
        self.flow, self.ctx = flow, flow.ctx
        self.signer: Signer | None = flow.signer
        self.setWindowTitle("CCM Timer: patients")
        self.index = PatientIndex([])
        self.shown: list[PatientView] = []
        self.names: dict = {}
        self.people: list[clinicians.ClinicianView] = []
        self.current: PatientView | None = None
        self.stale = True
        self.dialog: QWidget | None = None
        self.hidden = False  # closed (not minimised) since the last read
        self.read_query: str | None = None  # the search whose read is still to record
        self.settle = QTimer(self, singleShot=True, interval=SEARCH_SETTLES_MS)
        self.settle.timeout.connect(self.record_search)
        self._build()
        self.memory = window_fit.prepare(self, self.ctx.paths.settings_dir, "patients",
                                         QSize(1240, 760))
        self.reload()

    # -- layout --------------------------------------------------------------------------

    def _build(self) -> None:
        self.search = QLineEdit(placeholderText="Find by name or MRN", clearButtonEnabled=True)
        self.search.setAccessibleName("Find a patient")
        self.search.textChanged.connect(lambda _t: self.apply_filter())
        self.show_inactive = QCheckBox("Show &deactivated")
        self.show_inactive.toggled.connect(lambda _on: self.reload())
        self.count = QLabel(styleSheet=NOTE_STYLE)
        self.table = QTableWidget(0, len(rows.PATIENT_COLUMNS))
        self.table.setHorizontalHeaderLabels(list(rows.PATIENT_COLUMNS))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)  # one line a patient: a long roster stays scannable
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._selected)
        self.table.doubleClicked.connect(lambda _i: self.edit_patient())
        self.add_button = QPushButton("&Add patient…")
        self.add_button.clicked.connect(self.add_patient)
        self.edit_button = QPushButton("&Edit…")
        self.edit_button.clicked.connect(self.edit_patient)
        self.active_button = QPushButton("Deac&tivate")
        self.active_button.clicked.connect(self.toggle_active)
        self.import_button: QPushButton | None = None
        if rows.roster_import_available():
            self.import_button = QPushButton("&Import roster…")
            self.import_button.clicked.connect(self.import_roster)
        self.note = QLabel(styleSheet=NOTE_STYLE, wordWrap=True)
        self.note.setAccessibleName("Who may change patients")
        self.note.hide()
        self.error = QLabel(styleSheet=ERROR_STYLE, wordWrap=True)
        self.error.hide()
        find = QHBoxLayout()
        find.addWidget(self.search, 1)
        find.addWidget(self.show_inactive)
        actions = QHBoxLayout()
        for button in (self.add_button, self.edit_button, self.active_button,
                       self.import_button):
            if button is not None:
                actions.addWidget(button)
        actions.addStretch(1)
        left = QWidget(minimumWidth=460)
        column = QVBoxLayout(left)
        column.setContentsMargins(0, 0, 0, 0)
        column.addLayout(find)
        column.addWidget(self.count)
        column.addWidget(self.table, 1)
        column.addLayout(actions)
        for line in (self.note, self.error):
            column.addWidget(line)
        self.pane = RecordPane(self.ctx, self._actor)
        self.pane.open_button.clicked.connect(self.open_month)
        self.pane.start_button.clicked.connect(self.start_timer)
        self.pane.changed.connect(self.reload)  # the list's programs follow
        self.pane.failed.connect(self.show_error)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(self.pane)
        split.setChildrenCollapsible(False)
        split.setSizes([480, 740])
        layout = QVBoxLayout(self)
        layout.addWidget(split)

    # -- reading -------------------------------------------------------------------------

    def reload(self) -> None:
        """Read the patients (and the people they name) again, and show them: an audited
        read under the signed-in person."""
        self.show_error(None)
        if self.signer is None:
            self.index, self.people, self.names = PatientIndex([]), [], {}
            self._fill([])
            self.count.setText(SIGN_IN_FIRST)
            self._enable()
            return
        try:
            self.people = clinicians.list_clinicians(self.ctx, inactive=True)
            found = patients.list_patients(self.ctx, inactive=self.show_inactive.isChecked())
        except UserError as exc:
            self.show_error(error_text(exc))
            return
        self.names = rows.names_by_id(self.people)
        self.index = PatientIndex(found)
        self.stale = True  # the record beside the list is read again too
        self.apply_filter(audit=False)
        self._read(rows.read_detail(len(self.shown), self.search.text()))

    def apply_filter(self, *, audit: bool = True) -> None:
        query = self.search.text()
        found = self.index.search(query, limit=max(1, len(self.index)))
        self._fill(found)
        self.count.setText(rows.count_words(len(found), len(self.index), query)
                           if self.signer else SIGN_IN_FIRST)
        if audit and self.signer is not None:
            self.read_query = query
            self.settle.start()

    def record_search(self) -> bool:
        """The settled search's read (what was shown, counted; never what was typed)."""
        self.settle.stop()
        if self.read_query is None or self.signer is None:
            return False
        query, self.read_query = self.read_query, None
        return self._read(rows.read_detail(len(self.shown), query))

    def _read(self, detail: str, patient: PatientView | None = None) -> bool:
        if self.signer is None:
            return False
        return record_read(self.ctx, self.signer.name, Read.PATIENT, detail=detail,
                           patient_id=patient.id if patient else None)

    def _fill(self, found: list[PatientView]) -> None:
        keep = self.current.mrn if self.current else None
        today = self._today()
        self.shown = found
        self.table.blockSignals(True)
        self.table.setRowCount(len(found))
        again = -1
        for r, p in enumerate(found):
            for c, text in enumerate(rows.patient_row(p, self.names, today)):
                item = QTableWidgetItem(text)
                if not p.active:
                    item.setForeground(Qt.GlobalColor.gray)
                self.table.setItem(r, c, item)
            if p.mrn == keep:
                again = r
        self.table.blockSignals(False)
        if again >= 0:
            self.table.selectRow(again)
            self._show(found[again], read=False)
        else:
            self.table.clearSelection()
            self._show(None)

    def _today(self) -> date:
        return self.ctx.now().astimezone(self.ctx.zone).date()

    def select_mrn(self, mrn: str) -> bool:
        for r, p in enumerate(self.shown):
            if p.mrn == mrn:
                self.table.selectRow(r)
                return True
        return False

    def _selected(self) -> None:
        picked = self.table.selectionModel().selectedRows()
        self._show(self.shown[picked[0].row()] if picked else None)

    def _show(self, patient: PatientView | None, *, read: bool = True) -> None:
        """The patient's record beside the list (its read audited), or the placeholder."""
        changed = (patient.mrn if patient else None) != (
            self.current.mrn if self.current else None)
        self.current = patient
        if patient is not None and read and changed:
            self._read("patient record", patient)
        if changed or self.stale:  # typing a search that keeps the patient reads nothing
            self.pane.show_patient(patient, self.names, self.signer, self._today())
            self.stale = False
        self._enable()

    # -- who may ---------------------------------------------------------------------------

    def set_signer(self, signer: Signer | None) -> None:
        """Another person signed in: their reads, their changes. An open dialog was the
        previous person's: it closes rather than save as someone else."""
        if self.dialog is not None:
            self.dialog.close()
            self.dialog = None
        self.signer = signer
        self.current = None
        self.reload()

    def _enable(self) -> None:
        why = SIGN_IN_FIRST if self.signer is None else refusal(self.signer)
        may = why is None
        picked = self.current
        for button in (self.add_button, self.import_button):
            if button is not None:
                button.setEnabled(may)
                button.setToolTip(why or "")
        self.edit_button.setEnabled(may and picked is not None and picked.active)
        self.active_button.setEnabled(may and picked is not None)
        self.active_button.setText("Reac&tivate" if picked and not picked.active
                                   else "Deac&tivate")
        self.note.setText(why or "")
        self.note.setVisible(bool(why) and self.signer is not None)
        self.pane.set_buttons(picked is not None and picked.active, time_refusal(self.signer))

    def _actor(self) -> str:
        return self.signer.name if self.signer else "admin"

    def show_error(self, text: str | None) -> None:
        self.error.setText(text or "")
        self.error.setVisible(bool(text))

    # -- changes ---------------------------------------------------------------------------

    def _dialog(self, patient: PatientView | None) -> PatientDialog | None:
        why = SIGN_IN_FIRST if self.signer is None else refusal(self.signer)
        if why is not None:
            self.show_error(why)
            return None
        programs = tuple(rules_for_month(f"{self._today():%Y-%m}").programs)
        dialog = PatientDialog(
            self._today(), rows.practitioners(self.people), rows.care_managers(self.people),
            programs=programs, patient=patient, names=self.names, parent=self)
        self.dialog = dialog
        dialog.show()
        return dialog

    def add_patient(self) -> PatientDialog | None:
        dialog = self._dialog(None)
        if dialog is not None:
            dialog.submitted.connect(lambda form: self._add(dialog, form))
        return dialog

    def _add(self, dialog: PatientDialog, form: PatientForm) -> None:
        try:
            added = patients.add(self.ctx, mrn=form.mrn, name=form.name,
                                 birth_date=form.birth_date, qmb=form.qmb,
                                 program=form.program,
                                 billing_practitioner=form.billing_practitioner or None,
                                 care_manager=form.care_manager or None, by=self.signer)
        except UserError as exc:
            dialog.show_error(error_text(exc))
            return
        dialog.accept()
        self.search.clear()
        self.current = added
        self.reload()
        self.select_mrn(added.mrn)

    def edit_patient(self) -> PatientDialog | None:
        if self.current is None:
            self.show_error("Choose a patient in the list first.")
            return None
        if not self.current.active:
            self.show_error("Reactivate the patient first to change their record.")
            return None
        dialog = self._dialog(self.current)
        if dialog is not None:
            patient = self.current
            dialog.submitted.connect(lambda form: self._edit(dialog, patient, form))
        return dialog

    def _edit(self, dialog: PatientDialog, patient: PatientView, form: PatientForm) -> None:
        changed = rows.edit_changes(patient, form.name, form.birth_date, form.qmb,
                                    form.billing_practitioner, form.care_manager)
        if not changed:  # nothing to save: no call, no event
            dialog.accept()
            return
        try:  # as whoever is signed in now, checked by the service
            patients.update(self.ctx, patient.mrn, by=self.signer, **changed)
        except UserError as exc:
            dialog.show_error(error_text(exc))
            return
        dialog.accept()
        self.current = None  # the record is built again with what was saved
        self.reload()
        self.select_mrn(patient.mrn)

    def toggle_active(self) -> bool:
        """Deactivate the chosen patient (or reactivate a deactivated one)."""
        patient = self.current
        if patient is None or self.signer is None:
            self.show_error("Choose a patient in the list first.")
            return False
        try:
            changed = patients.set_active(self.ctx, patient.mrn, not patient.active,
                                          self.signer)
        except UserError as exc:
            self.show_error(error_text(exc))
            return False
        if not changed.active:
            self.flow.notify("Patient deactivated", "Their history is kept; reactivate them "
                             "from the Patients window with Show deactivated.")
        self.current = None
        self.reload()
        self.select_mrn(changed.mrn)
        return True

    def open_month(self) -> QWidget | None:
        if self.current is None or not self.current.active:
            return None
        return self.flow.show_patient(self.current.mrn)

    def start_timer(self) -> None:
        if self.current is not None and self.current.active:
            self.flow.start_timer(self.current.mrn)

    def import_roster(self) -> QWidget | None:
        from ccm_timer.ui.setup import RosterImportDialog  # helper A's, loaded when asked

        dialog = RosterImportDialog(self.ctx, signer=lambda: self.signer, parent=self)
        dialog.imported.connect(lambda _n: self.reload())
        self.dialog = dialog
        dialog.show()
        return dialog

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt's name)
        """Shown again after being closed: read (and audit) the list afresh."""
        super().showEvent(event)
        if self.hidden and not event.spontaneous():
            self.hidden = False
            self.reload()

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802 (Qt's name)
        super().hideEvent(event)
        self.hidden = self.hidden or not event.spontaneous()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        self.record_search()
        self.memory.save(self)
        super().closeEvent(event)
