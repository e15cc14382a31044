"""One person as the setup asks for them: name, role, credential (the role's own list), the
NPI of a practitioner, and a password typed twice, or "they choose it at their first
sign-in". The services check it all (services/clinic_setup.py); this form only gathers."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from ccm_timer.services.clinic_setup import ROLE_WORDS, Person
from ccm_timer.services.people.clinicians import CREDENTIALS

HINT_STYLE = "color: palette(placeholder-text);"


class PersonForm(QWidget):
    def __init__(self, policy: str, *, password_optional: bool,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = QLineEdit(placeholderText="Given and family name, as colleagues know it")
        self.role = QComboBox()
        self.roles = list(ROLE_WORDS)  # Qt hands an enum back as its string: kept here
        for words in ROLE_WORDS.values():
            self.role.addItem(words)
        self.credential = QComboBox()
        self.npi = QLineEdit(placeholderText="10 digits", maxLength=10)
        self.npi_label = QLabel("&NPI", buddy=self.npi)
        self.now = QRadioButton("Set a &password now")
        self.later = QRadioButton("They choose it at their first &sign-in")
        self.choice = QButtonGroup(self)
        self.choice.addButton(self.now)
        self.choice.addButton(self.later)
        self.now.setChecked(True)
        self.password = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.again = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.password.setAccessibleName("Password")
        self.again.setAccessibleName("Password again")
        self.policy = QLabel(policy, wordWrap=True, styleSheet=HINT_STYLE)
        form = QFormLayout()
        form.addRow(QLabel("&Name", buddy=self.name), self.name)
        form.addRow(QLabel("&Role", buddy=self.role), self.role)
        form.addRow(QLabel("&Credential", buddy=self.credential), self.credential)
        form.addRow(self.npi_label, self.npi)
        if password_optional:
            choice = QVBoxLayout()
            choice.addWidget(self.now)
            choice.addWidget(self.later)
            form.addRow("", choice)
        form.addRow(QLabel("Pass&word", buddy=self.password), self.password)
        form.addRow(QLabel("&Again", buddy=self.again), self.again)
        form.addRow("", self.policy)
        self.form = form
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        self.role.currentIndexChanged.connect(lambda _i: self._role_changed())
        self.later.toggled.connect(lambda _on: self._password_changed())
        self._role_changed()

    def _role_changed(self) -> None:
        role = self.roles[self.role.currentIndex()]
        self.credential.clear()
        self.credential.addItems(CREDENTIALS[role])
        self.form.setRowVisible(self.npi, role.value == "practitioner")

    def _password_changed(self) -> None:
        later = self.later.isChecked()
        for row in (self.password, self.again, self.policy):
            self.form.setRowVisible(row, not later)

    def person(self) -> Person:
        later = self.later.isChecked()
        return Person(self.name.text().strip(), self.roles[self.role.currentIndex()],
                      self.credential.currentText(), self.npi.text().strip() or None,
                      None if later else self.password.text(),
                      None if later else self.again.text())

    def clear(self) -> None:
        for field in (self.name, self.npi, self.password, self.again):
            field.clear()
        self.now.setChecked(True)
        self.name.setFocus()
