"""The attestation prompt: an attested action (approve, correct or void an entry, remove a
condition, export billing files) asks the signed-in person for their password at that
moment (HIPAA 164.312(d)), through credentials.attest. Cancel, or a wrong password, changes
nothing; only the proven Signer goes on to the service.

Shown without blocking: `ask(...)` returns the dialog (keep it), and calls `then(signer)`
once the password is right.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ccm_timer.core.access import WHAT, Action
from ccm_timer.services.context import AppContext
from ccm_timer.services.people.access import Signer
from ccm_timer.services.security import credentials
from ccm_timer.ui.presenters import signin
from ccm_timer.ui.signin_dialog import password_field
from ccm_timer.ui.style import ERROR_STYLE, TITLE_STYLE

NOBODY = "Sign in at the tray first (Sign in… in its menu): this needs the password of the " \
         "person signed in."


class AttestDialog(QDialog):
    def __init__(self, ctx: AppContext, name: str, action: Action, what: str,
                 then: Callable[[Signer], None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.name, self.action, self._then = ctx, name, action, then
        self.signer: Signer | None = None
        self.setWindowTitle("CCM Timer: confirm with your password")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setMinimumWidth(440)
        title = QLabel(what, wordWrap=True, styleSheet=TITLE_STYLE)
        title.setObjectName("what")
        why = QLabel(f"To {WHAT[action]}, {name} confirms with their password now; the audit "
                     "trail records who signed it.", wordWrap=True)
        self.password = password_field("password")
        form = QFormLayout()
        form.addRow(f"{name}'s &password:", self.password)
        self.error = QLabel(wordWrap=True, styleSheet=ERROR_STYLE)
        self.error.setObjectName("problem")
        self.error.hide()
        buttons = QDialogButtonBox()
        self.ok: QPushButton = buttons.addButton("&Confirm", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.ok.setDefault(True)  # Enter in a field presses it (once: no returnPressed)
        self.ok.clicked.connect(self.submit)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for part in (title, why):
            layout.addWidget(part)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self._wait = QTimer(self, singleShot=True, timeout=lambda: self.ok.setEnabled(True))
        self.password.setFocus()

    def show_error(self, text: str | None) -> None:
        self.error.setText(text or "")
        self.error.setVisible(bool(text))

    def submit(self) -> None:
        if not self.ok.isEnabled():
            return
        secret = self.password.text()
        self.password.clear()
        if not secret:
            self.show_error("Type your password, then press Enter; Cancel changes nothing.")
            return
        signer, problem = signin.safe(credentials.attest, self.ctx, self.name, secret,
                                      self.action)
        if problem:
            self.show_error(problem)
            wait = signin.wait_seconds(problem)
            if wait:
                self.ok.setEnabled(False)
                self._wait.start(wait * 1000)
            return
        assert isinstance(signer, Signer)
        self.signer = signer
        self.accept()
        self._then(signer)


def ask(ctx: AppContext, signer: Signer | None, action: Action, what: str,
        then: Callable[[Signer], None], parent: QWidget | None = None,
        refused: Callable[[str], None] | None = None) -> AttestDialog | None:
    """Ask the signed-in person (`signer`) for their password for `action`; None, with
    `refused(sentence)` called, when nobody is signed in or they may not do it at all."""
    if signer is None:
        if refused:
            refused(NOBODY)
        return None
    if not signer.may(action):
        from ccm_timer.services.people import access

        _, problem = signin.safe(access.require, signer, action)
        if refused:
            refused(problem or NOBODY)
        return None
    dialog = AttestDialog(ctx, signer.name, action, what, then, parent)
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
    return dialog
