"""Adding a delivery target: kind, name, address, and a token or password for the keyring.

The form changes with the kind: a folder takes a path (with Browse…) and no secret; a server
takes an https:// address and a token; the clinic hub a postgresql:// address and a password.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ccm_timer.services.delivery.targets import KINDS
from ccm_timer.ui.style import ERROR_STYLE

KIND_NAMES = {
    "https": "Billing server (HTTPS)",
    "fhir": "FHIR server",
    "folder": "Folder",
    "hub": "Clinic hub (PostgreSQL)",
}
ADDRESS_HINTS = {
    "https": "https://billing.example.org/ccm/exports",
    "fhir": "https://fhir.example.org/r4",
    "folder": "/path/to/a/shared/folder",
    "hub": "postgresql://user@hub.example.org:5432/ccm",
}


class TargetDialog(QDialog):
    submitted = Signal(str, str, str, str)  # kind, name, address, secret ("" for none)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add delivery target")
        self.setMinimumWidth(480)
        self.kind = QComboBox()
        for kind in sorted(KINDS, key=list(KIND_NAMES).index):
            self.kind.addItem(KIND_NAMES[kind], kind)
        self.name = QLineEdit(placeholderText="billing")
        self.name.setToolTip("A short name: letters, digits, '.', '_' or '-'.")
        self.address = QLineEdit()
        self.browse = QPushButton("&Browse…")
        self.browse.clicked.connect(self._browse)
        self.secret = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.secret_label = QLabel("&Token")
        self.secret_label.setBuddy(self.secret)
        self.secret_hint = QLabel(wordWrap=True, styleSheet="color: palette(placeholder-text);")
        self.error = QLabel(styleSheet=ERROR_STYLE, wordWrap=True)
        self.error.hide()
        where = QHBoxLayout()
        where.addWidget(self.address, 1)
        where.addWidget(self.browse)
        form = QFormLayout()
        form.addRow("&Kind", self.kind)
        form.addRow("&Name", self.name)
        form.addRow(QLabel("A&ddress", buddy=self.address), where)  # a row of two: say whose
        form.addRow(self.secret_label, self.secret)
        form.addRow("", self.secret_hint)
        self.form = form
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.add_button = buttons.addButton("&Add", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.add_button.setDefault(True)  # Enter adds; set once in the dialog, or Qt drops it
        self.kind.currentIndexChanged.connect(lambda _i: self._kind_changed())
        self._kind_changed()

    def prepare(self) -> None:
        for field in (self.name, self.address, self.secret):
            field.clear()
        self.kind.setCurrentIndex(0)
        self.show_error(None)
        self.kind.setFocus()

    def _kind_changed(self) -> None:
        kind = self.kind.currentData()
        self.address.setPlaceholderText(ADDRESS_HINTS[kind])
        self.browse.setVisible(kind == "folder")
        needs_secret = kind != "folder"
        self.form.setRowVisible(self.secret, needs_secret)
        self.form.setRowVisible(self.secret_hint, needs_secret)
        what = "password" if kind == "hub" else "token"
        self.secret_label.setText(f"&{what.capitalize()}")
        self.secret.setAccessibleName(what.capitalize())
        self.secret_hint.setText(f"Kept in the system keyring, never in a file. Leave it empty "
                                 f"only if the {'hub' if kind == 'hub' else 'server'} needs "
                                 f"no {what}.")

    def _browse(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, "Folder for billing files",
                                                  self.address.text())
        if chosen:
            self.address.setText(chosen)

    def show_error(self, text: str | None) -> None:
        self.error.setText(text or "")
        self.error.setVisible(bool(text))

    def submit(self) -> None:
        kind = self.kind.currentData()
        if not self.name.text().strip() or not self.address.text().strip():
            missing = self.name if not self.name.text().strip() else self.address
            self.show_error("Give the target a name and an address.")
            missing.setFocus()
            return
        secret = self.secret.text().strip() if kind != "folder" else ""
        self.submitted.emit(kind, self.name.text().strip(), self.address.text().strip(), secret)
