"""Add or edit one person: name, role, credential (those that fit the role offered), NPI and,
for a practitioner, incident-to; when adding, the billing-office and administrator duties
and whether this computer times as them by default. The dialog only gathers: the window
calls the service and the dialog stays open with its sentence when it refuses."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from ccm_timer.services.people.clinicians import CREDENTIALS, ClinicianView
from ccm_timer.ui.records.rows import PRACTITIONER, ROLE_WORDS
from ccm_timer.ui.style import ERROR_STYLE


@dataclass(frozen=True)
class PersonForm:
    name: str
    role: str  # the stored value: clinical_staff, practitioner, office
    credential: str
    npi: str  # "" for none
    incident_to: bool
    billing: bool = False
    admin: bool = False
    default: bool = False


class ClinicianDialog(QDialog):
    submitted = Signal(object)  # a PersonForm

    def __init__(self, person: ClinicianView | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.person = person
        self.setWindowTitle(f"Edit {person.name}" if person else "Add a person")
        self.name = QLineEdit(person.name if person else "")
        self.name.setAccessibleName("Name")
        self.role = QComboBox()
        self.role.setAccessibleName("Role")
        for role in CREDENTIALS:
            self.role.addItem(ROLE_WORDS[role.value], role.value)
        self.credential = QComboBox(editable=True)
        self.credential.setAccessibleName("Credential")
        self.npi = QLineEdit(person.npi or "" if person else "", maxLength=10,
                             placeholderText="10 digits (practitioners who bill)")
        self.npi.setAccessibleName("NPI")
        self.incident_to = QCheckBox("Works &incident to the billing practitioner")
        self.billing = QCheckBox("Billing &office (reports, exports, month close)")
        self.admin = QCheckBox("&Administrator (people and settings)")
        self.default = QCheckBox("This computer times as them when nobody is signed in")
        self.error = QLabel(styleSheet=ERROR_STYLE, wordWrap=True)
        self.error.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.ok = buttons.addButton("&Save" if person else "A&dd person",
                                    QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("&Name", self.name)
        form.addRow("&Role", self.role)
        form.addRow("&Credential", self.credential)
        form.addRow("N&PI", self.npi)
        form.addRow("", self.incident_to)
        if person is None:  # a person's duties change with Grant and Revoke
            form.addRow("Duties", self.billing)
            form.addRow("", self.admin)
            form.addRow("De&fault", self.default)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.role.currentIndexChanged.connect(lambda _i: self._role_changed())
        self.role.setCurrentIndex(max(0, self.role.findData(
            person.role.value if person else "clinical_staff")))
        self._role_changed()
        if person is not None:
            self.credential.setCurrentText(person.credential)
            self.incident_to.setChecked(person.incident_to)
        self.name.setFocus()

    def _role_changed(self) -> None:
        """The credentials offered are the role's; incident-to is a practitioner's."""
        role = self.role.currentData()
        typed = self.credential.currentText()
        self.credential.clear()
        choices = next(c for r, c in CREDENTIALS.items() if r.value == role)
        self.credential.addItems(list(choices))
        if typed in choices:
            self.credential.setCurrentText(typed)
        practitioner = role == PRACTITIONER
        self.incident_to.setEnabled(practitioner)
        if not practitioner:
            self.incident_to.setChecked(False)
        self.default.setEnabled(role != "office")
        if role == "office":
            self.default.setChecked(False)

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()

    def submit(self) -> None:
        if not self.name.text().strip():
            self.show_error("Type the person's name.")
            return
        self.submitted.emit(PersonForm(
            self.name.text().strip(), self.role.currentData(),
            self.credential.currentText().strip(), self.npi.text().strip(),
            self.incident_to.isChecked(), self.billing.isChecked(), self.admin.isChecked(),
            self.default.isChecked()))
