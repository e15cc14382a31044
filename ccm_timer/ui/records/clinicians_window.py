"""Clinicians and staff, in the app (issue 17, point 2): everyone with their role, duties,
credential, NPI, sign-in state and whether they are active or this computer's default; and,
for an administrator (anyone while the clinic is being set up), add, edit, grant and revoke
the billing-office and administrator duties, set the default, deactivate and reactivate,
and reset a password. Anyone else reads the list and is told, in one line, who changes it.
Every change is the services' (validated and audited there)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QCloseEvent, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QGridLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

import ccm_timer.ui.records.rows as rows
from ccm_timer.core.access import Action, Duty
from ccm_timer.errors import UserError
from ccm_timer.services.people import access, clinicians
from ccm_timer.services.people.access import Refused, Signer
from ccm_timer.services.people.clinicians import ClinicianView
from ccm_timer.services.security import credentials
from ccm_timer.ui import window_fit
from ccm_timer.ui.people_dialog import confirm_reset, reset_password, reset_said
from ccm_timer.ui.presenters.gui_words import error_text
from ccm_timer.ui.records.clinician_form import ClinicianDialog, PersonForm
from ccm_timer.ui.style import ERROR_STYLE

if TYPE_CHECKING:
    from ccm_timer.ui.office_flow import OfficeFlow

READ_ONLY = ("Only an administrator changes the clinic's people; you can read the list. "
             "Ask an administrator to add someone, change a role or reset a password.")
LOCKED = QColor("#b91c1c")
NOTE_STYLE = "color: #57534e;"


class CliniciansWindow(QWidget):
    def __init__(self, flow: OfficeFlow) -> None:
        super().__init__()
        self.flow, self.ctx = flow, flow.ctx
        self.signer: Signer | None = flow.signer
        self.setWindowTitle("CCM Timer: clinicians and staff")
        self.people: list[ClinicianView] = []
        self.dialog: QWidget | None = None
        self.confirm: QMessageBox | None = None
        self.may = False
        self._build()
        self.memory = window_fit.prepare(self, self.ctx.paths.settings_dir, "clinicians",
                                         QSize(1100, 560))
        self.reload()

    def _build(self) -> None:
        self.note = QLabel(READ_ONLY, styleSheet=NOTE_STYLE, wordWrap=True)
        self.note.setAccessibleName("Who changes people")
        self.show_inactive = QCheckBox("Show &deactivated people")
        self.show_inactive.toggled.connect(lambda _on: self.reload())
        self.table = QTableWidget(0, len(rows.PEOPLE_COLUMNS))
        self.table.setHorizontalHeaderLabels(list(rows.PEOPLE_COLUMNS))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._enable)
        self.table.doubleClicked.connect(lambda _i: self.edit_person())
        self.add_button = self._button("&Add person…", self.add_person)
        self.edit_button = self._button("&Edit…", self.edit_person)
        self.billing_button = self._button("Grant &billing office",
                                           lambda: self.toggle_duty(Duty.BILLING))
        self.admin_button = self._button("Grant ad&ministrator",
                                         lambda: self.toggle_duty(Duty.ADMIN))
        self.default_button = self._button("Make de&fault", self.make_default)
        self.active_button = self._button("Deac&tivate", self.toggle_active)
        self.reset_button = self._button("&Reset password…", self.ask_reset)
        self.reset_button.setToolTip("Clear the person's password (and any lock); they choose "
                                     "a new one at their next sign-in, with an administrator.")
        self.message = QLabel(wordWrap=True)
        self.message.setAccessibleName("What happened")
        actions = QGridLayout()
        for i, button in enumerate((self.add_button, self.edit_button, self.billing_button,
                                    self.admin_button, self.default_button, self.active_button,
                                    self.reset_button)):
            actions.addWidget(button, 0, i)
        actions.setColumnStretch(7, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addWidget(self.show_inactive)
        layout.addWidget(self.table, 1)
        layout.addLayout(actions)
        layout.addWidget(self.message)

    def _button(self, text: str, then: Callable[[], object]) -> QPushButton:
        button = QPushButton(text)
        button.clicked.connect(lambda: then())
        return button

    # -- reading -------------------------------------------------------------------------

    def reload(self) -> None:
        keep = self.selected()
        self.may = self._may_manage()
        try:
            self.people = clinicians.list_clinicians(
                self.ctx, inactive=self.show_inactive.isChecked())
            states = credentials.sign_in_states(self.ctx)
        except UserError as exc:
            self.say(error_text(exc), problem=True)
            return
        self.table.blockSignals(True)
        self.table.setRowCount(len(self.people))
        for r, person in enumerate(self.people):
            state = states.get(str(person.id)) or credentials.SignInState(False)
            sign_in = state.describe(self.ctx.zone)
            for c, text in enumerate(rows.person_row(person, sign_in)):
                item = QTableWidgetItem(text)
                if not person.active:
                    item.setForeground(Qt.GlobalColor.gray)
                elif sign_in.startswith("locked"):
                    item.setForeground(LOCKED)
                self.table.setItem(r, c, item)
        self.table.blockSignals(False)
        if keep is not None:
            self.select(keep.name)
        self.note.setVisible(not self.may)
        self._enable()

    def _may_manage(self) -> bool:
        try:
            access.require_admin(self.ctx, self.signer, Action.PEOPLE)
        except Refused:
            return False
        return True

    def selected(self) -> ClinicianView | None:
        picked = self.table.selectionModel().selectedRows()
        return self.people[picked[0].row()] if picked else None

    def select(self, name: str) -> bool:
        for r, person in enumerate(self.people):
            if person.name == name:
                self.table.selectRow(r)
                return True
        return False

    def _enable(self) -> None:
        person = self.selected()
        live = self.may and person is not None and person.active
        self.add_button.setEnabled(self.may)
        for button in (self.edit_button, self.billing_button, self.admin_button,
                       self.reset_button):
            button.setEnabled(live)
        self.default_button.setEnabled(live and person is not None and not person.is_default
                                       and person.role.value != rows.OFFICE)
        self.active_button.setEnabled(self.may and person is not None)
        self.active_button.setText("Reac&tivate" if person and not person.active
                                   else "Deac&tivate")
        for button, duty, words in ((self.billing_button, Duty.BILLING, "&billing office"),
                                    (self.admin_button, Duty.ADMIN, "ad&ministrator")):
            held = person is not None and rows.has_duty(person, duty)
            button.setText(f"{'Revoke' if held else 'Grant'} {words}")

    def set_signer(self, signer: Signer | None) -> None:
        self.signer = signer
        self.reload()

    def say(self, text: str, *, problem: bool = False) -> None:
        self.message.setStyleSheet(ERROR_STYLE if problem else "")
        self.message.setText(text)

    # -- changes ---------------------------------------------------------------------------

    def _run(self, call: Callable[[], object], done: str, keep: str | None) -> bool:
        """One change through its service: the table read again, and what happened said."""
        try:
            call()
        except UserError as exc:
            self.say(error_text(exc), problem=True)
            return False
        self.reload()
        if keep:
            self.select(keep)
        self.say(done)
        return True

    def _chosen(self) -> ClinicianView | None:
        person = self.selected()
        if person is None:
            self.say("Select a person in the table first.", problem=True)
        elif not self.may:
            self.say(READ_ONLY, problem=True)
            return None
        return person

    def add_person(self) -> ClinicianDialog | None:
        if not self.may:
            self.say(READ_ONLY, problem=True)
            return None
        dialog = ClinicianDialog(parent=self)
        dialog.submitted.connect(lambda form: self._add(dialog, form))
        self.dialog = dialog
        dialog.show()
        return dialog

    def _add(self, dialog: ClinicianDialog, form: PersonForm) -> None:
        duties = tuple(d for d, on in (("billing", form.billing), ("admin", form.admin)) if on)
        try:
            added = clinicians.add(self.ctx, name=form.name, credential=form.credential,
                                   role=form.role, npi=form.npi or None, default=form.default,
                                   duties=duties, by=self.signer)
        except UserError as exc:
            dialog.show_error(error_text(exc))
            return
        dialog.accept()
        self.reload()
        self.select(added.name)
        self.say(f"{added.name} was added; they set their password at their first sign-in, "
                 "with an administrator.")

    def edit_person(self) -> ClinicianDialog | None:
        person = self._chosen()
        if person is None:
            return None
        if not person.active:
            self.say("Reactivate the person first to change what is recorded of them.",
                     problem=True)
            return None
        dialog = ClinicianDialog(person, parent=self)
        dialog.submitted.connect(lambda form: self._edit(dialog, person, form))
        self.dialog = dialog
        dialog.show()
        return dialog

    def _edit(self, dialog: ClinicianDialog, person: ClinicianView, form: PersonForm) -> None:
        try:
            changed = clinicians.update(
                self.ctx, str(person.id), name=form.name, credential=form.credential,
                role=form.role, npi=form.npi, incident_to=form.incident_to, by=self.signer)
        except UserError as exc:
            dialog.show_error(error_text(exc))
            return
        dialog.accept()
        self.reload()
        self.select(changed.name)
        self.say(f"{changed.name}'s details were saved.")

    def toggle_duty(self, duty: Duty) -> bool:
        person = self._chosen()
        if person is None:
            return False
        give = not rows.has_duty(person, duty)
        words = "billing office" if duty is Duty.BILLING else "administrator"
        done = (f"{person.name} now has the {words} duty." if give
                else f"{person.name} no longer has the {words} duty.")
        return self._run(lambda: access.grant(self.ctx, str(person.id), duty.value, give,
                                              self.signer), done, person.name)

    def make_default(self) -> bool:
        person = self._chosen()
        if person is None:
            return False
        return self._run(lambda: clinicians.set_default(self.ctx, str(person.id), self.signer),
                         f"This computer now times as {person.name} when nobody is signed "
                         "in.", person.name)

    def toggle_active(self) -> bool:
        person = self._chosen()
        if person is None:
            return False
        done = (f"{person.name} is active again and can sign in." if not person.active else
                f"{person.name} was deactivated: they can no longer sign in, and everything "
                "they did stays in the record.")
        return self._run(lambda: clinicians.set_active(self.ctx, str(person.id),
                                                       not person.active, self.signer),
                         done, person.name)

    def ask_reset(self) -> QMessageBox | None:
        person = self._chosen()
        if person is None:
            return None
        self.confirm = confirm_reset(self, person.name, lambda: self.reset(person))
        return self.confirm

    def reset(self, person: ClinicianView) -> bool:
        name, problem = reset_password(self.ctx, str(person.id), self.signer)
        if problem or name is None:
            self.say(problem or "", problem=True)
            return False
        self.reload()
        self.say(reset_said(name))
        return True

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        self.memory.save(self)
        super().closeEvent(event)
