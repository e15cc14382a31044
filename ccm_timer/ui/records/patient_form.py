"""Add or edit one patient: MRN, family and given name, birth date, QMB, the billing
practitioner and the care manager (and, when adding, a first program; its consent is
recorded in the record's Consent tab). The dialog only gathers: the window calls the
service, and the dialog stays open with the service's sentence when it refuses."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from ccm_timer.services.people.patients import PatientView
from ccm_timer.ui.overview.record_dialogs import pydate, qdate
from ccm_timer.ui.records.rows import NOBODY, person, ref
from ccm_timer.ui.style import ERROR_STYLE

QMB_CHOICES = (("Not recorded", None), ("Yes: a Qualified Medicare Beneficiary", True),
               ("No", False))
NO_PROGRAM = "— none yet —"


@dataclass(frozen=True)
class PatientForm:
    """What the user filled in; a person by id, "" for "nobody" (the service's CLEAR)."""

    mrn: str
    name: str  # "Family, Given", as the service reads it
    birth_date: date | None
    qmb: bool | None
    billing_practitioner: str
    care_manager: str
    program: str | None


def _people(choices: list[tuple[str, str]], current: str, label: str) -> QComboBox:
    """(name, id) choices, each kept by id; `current` the id on file, `label` its name."""
    box = QComboBox()
    box.addItem(NOBODY, "")
    for name, who in choices:
        box.addItem(name, who)
    if current and box.findData(current) < 0:  # a deactivated person still on file
        box.addItem(label or NOBODY, current)
    box.setCurrentIndex(max(0, box.findData(current)))
    return box


class PatientDialog(QDialog):
    submitted = Signal(object)  # a PatientForm

    def __init__(self, today: date, practitioners: list[tuple[str, str]],
                 care_managers: list[tuple[str, str]], *,
                 programs: tuple[str, ...] = (), patient: PatientView | None = None,
                 names: Mapping[uuid.UUID, str] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.patient = patient
        self.setWindowTitle("Edit patient" if patient else "Add a patient")
        self.mrn = QLineEdit(patient.mrn if patient else "")
        self.mrn.setAccessibleName("MRN")
        self.mrn.setReadOnly(patient is not None)  # the MRN is how every record finds them
        self.family = QLineEdit(patient.family_name if patient else "")
        self.family.setAccessibleName("Family name")
        self.given = QLineEdit(patient.given_name if patient else "")
        self.given.setAccessibleName("Given name")
        self.has_birth = QCheckBox("&Born on")
        self.birth = QDateEdit(calendarPopup=True, displayFormat="yyyy-MM-dd")
        self.birth.setAccessibleName("Birth date")
        self.birth.setMaximumDate(qdate(today))  # a birth date is never in the future
        self.birth.setDate(qdate(patient.birth_date) if patient and patient.birth_date
                           else qdate(date(today.year - 70, 1, 1)))
        self.has_birth.setChecked(bool(patient and patient.birth_date))
        self.birth.setEnabled(self.has_birth.isChecked())
        self.has_birth.toggled.connect(self.birth.setEnabled)
        self.qmb = QComboBox()
        for text, value in QMB_CHOICES:
            self.qmb.addItem(text, value)
        self.qmb.setCurrentIndex(max(0, self.qmb.findData(patient.qmb if patient else None)))
        on_file = names or {}
        practitioner = patient.billing_practitioner_id if patient else None
        self.practitioner = _people(practitioners, ref(practitioner),
                                    person(on_file, practitioner))
        self.practitioner.setAccessibleName("Billing practitioner")
        manager = patient.care_manager_id if patient else None
        self.care_manager = _people(care_managers, ref(manager), person(on_file, manager))
        self.care_manager.setAccessibleName("Care manager")
        self.program = QComboBox()
        self.program.addItem(NO_PROGRAM, None)
        for name in programs:
            self.program.addItem(name, name)
        self.error = QLabel(styleSheet=ERROR_STYLE, wordWrap=True)
        self.error.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.ok = self.buttons.addButton("&Save" if patient else "&Add patient",
                                         QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        born = QHBoxLayout()
        born.addWidget(self.has_birth)
        born.addWidget(self.birth, 1)
        form = QFormLayout()
        form.addRow("&MRN", self.mrn)
        form.addRow("&Family name", self.family)
        form.addRow("&Given name", self.given)
        form.addRow("Birth date", born)
        form.addRow("&QMB", self.qmb)
        form.addRow("Billing &practitioner", self.practitioner)
        form.addRow("&Care manager", self.care_manager)
        if patient is None:
            form.addRow("P&rogram", self.program)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        (self.family if patient else self.mrn).setFocus()

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()

    def submit(self) -> None:
        family, given = self.family.text().strip(), self.given.text().strip()
        if not (self.mrn.text().strip() and family and given):
            self.show_error("Fill in the MRN, the family name and the given name.")
            return
        if "," in family or "," in given:
            self.show_error("Leave commas out of the names: the family name and the given "
                            "name each have their own box.")
            return
        self.submitted.emit(PatientForm(
            self.mrn.text().strip(), f"{family}, {given}",
            pydate(self.birth.date()) if self.has_birth.isChecked() else None,
            self.qmb.currentData(), self.practitioner.currentData(),
            self.care_manager.currentData(), self.program.currentData()))
