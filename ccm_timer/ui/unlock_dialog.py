"""Opening the database from the tray when its key needs a person: the passphrase prompt
(no usable keyring), and the one-time recovery key dialog.

The tray calls `open_unlocked(data_dir)` where it called `open_app(data_dir)`, then
`show_recovery_key_once(ctx)` once the icon is up, and shows `security_warnings(ctx)`.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from ccm_timer.services.context import AppContext, open_app
from ccm_timer.services.security import integrity, keys
from ccm_timer.ui.presenters.gui_words import error_text
from ccm_timer.ui.style import ERROR_STYLE

NEW_TEXT = (
    "No system keyring is available on this computer to keep the database key, so CCM "
    "Timer protects the patient data with a passphrase instead. Choose one of at least "
    f"{keys.MIN_PASSPHRASE} characters: it is asked for each time CCM Timer starts."
)
EXISTING_TEXT = "The patient data on this computer is protected by a passphrase. Type it to " \
                "open CCM Timer."
WRITE_IT_DOWN = "Tick the box once the key is written down; then OK closes this."
MIN_WIDTH = 480  # the title and the sentences whole, not cut by a narrow dialog


def passphrase_hint(new: bool, phrase: str, again: str) -> str:
    """Why OK is not available yet (empty when it is): what to type next."""
    if not phrase:
        return (f"Type a passphrase of at least {keys.MIN_PASSPHRASE} characters." if new
                else "Type the passphrase.")
    if not new:
        return ""
    if len(phrase) < keys.MIN_PASSPHRASE:
        left = keys.MIN_PASSPHRASE - len(phrase)
        return f"{left} more character{'s' if left != 1 else ''} needed."
    if not again:
        return "Type the same passphrase again below."
    if phrase != again:
        return "The two passphrases differ; type the same one in both boxes."
    return ""


def problem_text(exc: keys.KeyUnavailable) -> str:
    """The prompt's line about the last try, in the app's words."""
    if exc.wrong_passphrase:
        return "That passphrase does not open the patient data; type it again."
    return error_text(exc)


class PassphraseDialog(QDialog):
    """Asks for the passphrase; for a new database, twice."""

    def __init__(self, *, new: bool, problem: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Choose a passphrase — CCM Timer" if new else "Unlock CCM Timer")
        self.setMinimumWidth(MIN_WIDTH)
        self.new = new
        intro = QLabel(NEW_TEXT if new else EXISTING_TEXT)
        intro.setWordWrap(True)
        self.problem = QLabel(problem, styleSheet=ERROR_STYLE)
        self.problem.setObjectName("problem")
        self.problem.setWordWrap(True)
        self.problem.setVisible(bool(problem))
        self.phrase = QLineEdit()
        self.phrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.phrase.setObjectName("passphrase")
        self.again = QLineEdit()
        self.again.setEchoMode(QLineEdit.EchoMode.Password)
        self.again.setObjectName("again")
        form = QFormLayout()
        form.addRow("&Passphrase:", self.phrase)
        if new:
            form.addRow("&Again:", self.again)
        self.hint = QLabel(wordWrap=True)  # why OK is greyed, said rather than guessed
        self.hint.setObjectName("hint")
        self.hint.setStyleSheet("color: palette(placeholder-text);")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for part in (intro, self.problem):
            layout.addWidget(part)
        layout.addLayout(form)
        layout.addWidget(self.hint)
        layout.addWidget(self.buttons)
        self.phrase.textChanged.connect(self._update)
        self.again.textChanged.connect(self._update)
        self._update()

    def _update(self) -> None:
        hint = passphrase_hint(self.new, self.phrase.text(), self.again.text())
        self.hint.setText(hint)
        self.hint.setVisible(bool(hint))
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(not hint)
        ok.setToolTip(hint)

    def passphrase(self) -> str:
        return self.phrase.text()


def ask_passphrase(new: bool, problem: str, parent: QWidget | None = None) -> str | None:
    dialog = PassphraseDialog(new=new, problem=problem, parent=parent)
    return dialog.passphrase() if dialog.exec() == QDialog.DialogCode.Accepted else None


def open_unlocked(
    data_dir: str | None, parent: QWidget | None = None, *,
    ask: Callable[[bool, str, QWidget | None], str | None] = ask_passphrase,
) -> AppContext | None:
    """`open_app`, asking for the passphrase when the database needs one (and again after a
    wrong one). None when the user cancels. Any other KeyUnavailable or DatabaseError is
    raised for the tray to show, as from open_app."""
    phrase: str | None = None
    while True:
        try:
            # The command line's trust; a due check runs after the icon (ui/integrity_watch.py).
            return open_app(data_dir, passphrase=phrase, check_later=True)
        except keys.KeyUnavailable as exc:
            if not exc.needs_passphrase:
                raise
            problem = problem_text(exc) if (exc.wrong_passphrase or phrase is not None) else ""
            if exc.new_database and phrase is None:
                problem = ""
            phrase = ask(exc.new_database, problem, parent)
            if phrase is None:
                return None


class RecoveryKeyDialog(QDialog):
    """Shows the recovery key once; OK only after the user says it is written down."""

    def __init__(self, recovery_key: str, folder: str, parent: QWidget | None = None, *,
                 kept_in: str = "keyring") -> None:
        super().__init__(parent)
        self.setWindowTitle("Recovery key — CCM Timer")
        self.setMinimumWidth(MIN_WIDTH)
        lost = ("If the passphrase is ever forgotten" if kept_in == "passphrase"
                else "If the key in this computer's keyring is ever lost")
        text = QLabel(
            "Write this recovery key down now and keep it away from this computer. It is "
            f"shown only this once. {lost}, it is the only way to open the patient data in "
            f"{folder} and its backups.")
        text.setWordWrap(True)
        self.key = QLineEdit(recovery_key)
        self.key.setReadOnly(True)
        self.key.setObjectName("recoveryKey")
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        mono.setPointSize(max(mono.pointSize(), 11))
        mono.setWeight(QFont.Weight.Bold)
        self.key.setFont(mono)
        self.key.setMinimumWidth(self.key.fontMetrics().horizontalAdvance(recovery_key) + 24)
        self.written = QCheckBox("I have written the recovery key down")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok)
        self.buttons.accepted.connect(self.accept)
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(False)
        self.hint = QLabel(WRITE_IT_DOWN, styleSheet="color: palette(placeholder-text);")
        self.hint.setObjectName("hint")  # why OK is greyed
        ok.setToolTip(WRITE_IT_DOWN)
        self.written.toggled.connect(ok.setEnabled)
        self.written.toggled.connect(lambda on: (self.hint.setVisible(not on),
                                                 ok.setToolTip("" if on else WRITE_IT_DOWN)))
        layout = QVBoxLayout(self)
        for part in (text, self.key, self.written, self.hint, self.buttons):
            layout.addWidget(part)
        # Keyboard path: Space ticks the box, Enter confirms; the key stays selectable.
        ok.setDefault(True)
        self.written.setFocus()


def show_recovery_key_once(ctx: AppContext, parent: QWidget | None = None) -> bool:
    """If this database's recovery key was never shown, show it; it counts as shown only when
    the user confirms (closing the dialog otherwise shows it again at the next start)."""
    pending = keys.pending_recovery_key(ctx)
    if pending is None:
        return False
    dialog = RecoveryKeyDialog(pending, str(ctx.paths.data), parent,
                               kept_in=ctx.protection.kept_in)
    if dialog.exec() == QDialog.DialogCode.Accepted:
        keys.recovery_key_was_shown(ctx)
        return True
    return False


def security_warnings(ctx: AppContext) -> list[str]:
    """Sentences for the tray's warning (icon badge, tooltip line, menu item): unencrypted,
    read-only, recovery key not written down, backups stale. Empty when all is well."""
    return [w for w in integrity.warnings(ctx) if "--show-recovery-key" not in w]
