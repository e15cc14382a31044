"""People, for a signed-in administrator: name, role, duties and sign-in state (locked
people stand out), and "Reset password", which clears a person's credential so they choose a
new one at their next sign-in, with an administrator (credentials.reset, audited; nobody ever
sees a password)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ccm_timer.services.context import AppContext
from ccm_timer.services.people.access import Signer
from ccm_timer.services.security import credentials
from ccm_timer.ui.presenters import signin
from ccm_timer.ui.presenters.signin import Person
from ccm_timer.ui.style import ERROR_STYLE

COLUMNS = ("Name", "Credential", "Duties", "Sign-in")
LOCKED = QColor("#b91c1c")


def confirm_reset(parent: QWidget, name: str, then: Callable[[], object]) -> QMessageBox:
    """The question before a password is cleared (here and in the Clinicians window);
    `then` runs on Reset."""
    box = QMessageBox(QMessageBox.Icon.Question, "Reset password",
                      f"Clear {name}'s password? They set a new one at their next sign-in, "
                      "and until then can time but not sign anything.", parent=parent)
    reset = box.addButton("&Reset", QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.buttonClicked.connect(lambda b: then() if b is reset else None)
    box.show()
    return box


def reset_password(ctx: AppContext, person_id: str,
                   admin: Signer | None) -> tuple[str | None, str | None]:
    """(the person's name, None) once their password is cleared, or (None, why not)."""
    name, problem = signin.safe(credentials.reset, ctx, person_id, admin)
    return (None, problem) if problem else (str(name), None)


def reset_said(name: str) -> str:
    return (f"{name}'s password was cleared; they choose a new one at their next sign-in, "
            "with an administrator.")


class PeopleDialog(QDialog):
    def __init__(self, ctx: AppContext, admin: Callable[[], Signer | None]) -> None:
        super().__init__()
        self.ctx, self._admin = ctx, admin
        self.setWindowTitle("CCM Timer: people")
        self.resize(640, 360)
        self.people: list[Person] = []
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.reset_button = QPushButton("&Reset password…")
        self.reset_button.setToolTip("Clear the person's password (and any lock); they choose "
                                     "a new one at their next sign-in, with an administrator.")
        self.reset_button.clicked.connect(self.ask_reset)
        self.message = QLabel(wordWrap=True)
        self.confirm: QMessageBox | None = None
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(self.message, 1)
        row.addWidget(self.reset_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addLayout(row)
        layout.addWidget(buttons)

    def reload(self) -> None:
        found, problem = signin.safe(signin.people, self.ctx)
        self.people = found or []  # type: ignore[assignment]
        self.table.setRowCount(len(self.people))
        for r, p in enumerate(self.people):
            for c, text in enumerate((p.name, p.credential, ", ".join(p.duties), p.state)):
                item = QTableWidgetItem(text)
                if p.state.startswith("locked"):
                    item.setForeground(LOCKED)
                self.table.setItem(r, c, item)
        if problem:
            self.say(problem, problem=True)

    def say(self, text: str, *, problem: bool = False) -> None:
        self.message.setStyleSheet(ERROR_STYLE if problem else "")
        self.message.setText(text)

    def selected(self) -> Person | None:
        rows = self.table.selectionModel().selectedRows()
        return self.people[rows[0].row()] if rows else None

    def ask_reset(self) -> QMessageBox | None:
        person = self.selected()
        if person is None:
            self.say("Select a person in the table first.", problem=True)
            return None
        self.confirm = confirm_reset(self, person.name, lambda: self.reset(person))
        return self.confirm

    def reset(self, person: Person) -> bool:
        name, problem = reset_password(self.ctx, person.id, self._admin())
        if problem or name is None:
            self.say(problem or "", problem=True)
            return False
        self.reload()
        self.say(reset_said(name))
        return True
