"""Who is working: the tray's sign-in (at start, to switch person, after the privacy lock).

The people are a list (office-role people too); choosing one puts the cursor in the
password field, so a switch is a click on a name, the PIN and Enter. A person without a
password (after the upgrade, or an administrator's reset) sets one here, typed twice, with
the clinic's policy shown; once the clinic has an administrator, one of them is present and
types theirs too, so no one chooses a colleague's first password. A wrong password shows
the credentials service's sentence and changes nothing else; the wait it asks for after
wrong tries keeps "Sign in" disabled, with the seconds counted down on it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ccm_timer.services.context import AppContext
from ccm_timer.services.security import credentials
from ccm_timer.ui.presenters import signin
from ccm_timer.ui.presenters.signin import Person
from ccm_timer.ui.style import ERROR_STYLE, TITLE_STYLE

SIGN_IN, SET_AND_SIGN_IN = "&Sign in", "&Set password and sign in"
ID_ROLE = Qt.ItemDataRole.UserRole


def password_field(name: str) -> QLineEdit:
    field = QLineEdit()
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setObjectName(name)
    field.setAccessibleName(name.capitalize())
    return field


class SignInDialog(QDialog):
    signed_in = Signal(object)  # Signer, proven (signed_in=True)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("CCM Timer: who is working?")
        self.setMinimumWidth(420)
        self.people: list[Person] = []
        self.intro = QLabel(wordWrap=True, styleSheet=TITLE_STYLE)
        self.list = QListWidget()
        self.list.setAccessibleName("People")
        self.policy = QLabel(wordWrap=True)
        self.password = password_field("password")
        self.again = password_field("again")
        self.form = QFormLayout()
        self.form.addRow("&Password:", self.password)
        self.form.addRow("&Again:", self.again)
        self.witness = QComboBox()
        self.witness.setAccessibleName("Administrator present")
        self.witness_password = password_field("administrator password")
        self.form.addRow("Ad&ministrator:", self.witness)
        self.form.addRow("Administrator's pass&word:", self.witness_password)
        self.error = QLabel(wordWrap=True, styleSheet=ERROR_STYLE)
        self.error.setObjectName("problem")
        self.error.hide()
        buttons = QDialogButtonBox()
        self.ok: QPushButton = buttons.addButton(SIGN_IN, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.ok.setDefault(True)  # Enter in a field presses it (once: no returnPressed)
        self.ok.clicked.connect(self.submit)
        buttons.rejected.connect(self.reject)
        self.list.currentItemChanged.connect(lambda *_: self._chosen())
        self.list.itemActivated.connect(lambda _item: self.password.setFocus())
        layout = QVBoxLayout(self)
        for part in (self.intro, self.list, self.policy):
            layout.addWidget(part)
        layout.addLayout(self.form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self._wait_left = 0
        self._wait = QTimer(self, interval=1000, timeout=self._count_down)

    # -- showing -------------------------------------------------------------------------

    def prepare(self, intro: str, chosen: str | None = None) -> None:
        """Read the people again and choose `chosen` (an id), else the first."""
        self.intro.setText(intro)
        self.people, problem = signin.safe(signin.people, self.ctx)  # type: ignore[assignment]
        self.people = self.people or []
        self.list.clear()
        for person in self.people:
            item = QListWidgetItem(f"{person.label}   ({', '.join(person.duties) or 'no duty'}"
                                   f"; {person.state})")
            item.setData(ID_ROLE, person.id)
            self.list.addItem(item)
        # As tall as the people (up to eight rows), so the password sits right under them.
        rows = max(2, min(8, len(self.people)))
        self.list.setFixedHeight(self.list.sizeHintForRow(0) * rows + 2 * self.list.frameWidth()
                                 + 4)
        row = next((i for i, p in enumerate(self.people) if p.id == chosen), 0)
        self.list.setCurrentRow(row)
        self.show_error(problem)
        self._chosen()
        self.password.setFocus()

    def person(self) -> Person | None:
        row = self.list.currentRow()
        return self.people[row] if 0 <= row < len(self.people) else None

    def _chosen(self) -> None:
        person = self.person()
        setting = person is not None and not person.has_secret
        self.password.clear()
        self.again.clear()
        self.form.setRowVisible(self.again, setting)
        witnesses = signin.admins(self.people) if setting else []
        self.witness.clear()
        self.witness.addItems([w.name for w in witnesses])
        self.witness_password.clear()
        for field in (self.witness, self.witness_password):
            self.form.setRowVisible(field, bool(witnesses))
        self.policy.setVisible(setting)
        if person is not None and setting:
            self.policy.setText(signin.set_password_intro(self.ctx, person.name) + (
                "\n\n" + signin.witness_intro(person.name) if witnesses else ""))
        self.form.labelForField(self.password).setText("New &password:" if setting
                                                       else "&Password:")
        self.ok.setText(SET_AND_SIGN_IN if setting else SIGN_IN)
        self.show_error(None)
        self.adjustSize()  # the policy's lines shown (or hidden) in full
        if not self._wait.isActive():
            self.ok.setEnabled(person is not None)
        self.password.setFocus()

    def show_error(self, text: str | None) -> None:
        self.error.setText(text or "")
        self.error.setVisible(bool(text))
        self.adjustSize()

    # -- signing in ----------------------------------------------------------------------

    def submit(self) -> None:
        person = self.person()
        if person is None or not self.ok.isEnabled():
            return
        secret = self.password.text()
        if not secret:
            self.show_error("Type the password, then press Enter.")
            self.password.setFocus()
            return
        if not person.has_secret:
            problem = signin.check_new(self.ctx, person.name, secret, self.again.text())
            witness = None
            if problem is None and self.witness.count():
                witness, problem = signin.safe(credentials.verify, self.ctx,
                                               self.witness.currentText(),
                                               self.witness_password.text())
                self.witness_password.clear()
            if problem is None:
                _, problem = signin.safe(credentials.set_secret, self.ctx, person.id, secret,
                                         admin=witness)
            if problem:
                self.show_error(problem)
                self.again.clear()
                self.password.selectAll()
                self.password.setFocus()
                return
        signer, problem = signin.safe(credentials.verify, self.ctx, person.id, secret)
        self.password.clear()
        self.again.clear()
        if problem:
            self.show_error(problem)
            self._hold(signin.wait_seconds(problem) or 0)
            self.password.setFocus()
            return
        self.show_error(None)
        self.accept()
        self.signed_in.emit(signer)

    def _hold(self, seconds: int) -> None:
        """Sign in stays disabled for the wait the refusal asked for."""
        if seconds <= 0:
            return
        self._wait_left = seconds
        self.ok.setEnabled(False)
        self._label_wait()
        self._wait.start()

    def _count_down(self) -> None:
        self._wait_left -= 1
        if self._wait_left <= 0:
            self._wait.stop()
            self.ok.setEnabled(self.person() is not None)
            person = self.person()
            self.ok.setText(SET_AND_SIGN_IN if person and not person.has_secret else SIGN_IN)
            return
        self._label_wait()

    def _label_wait(self) -> None:
        self.ok.setText(f"Sign in (wait {self._wait_left} s)")
