"""The tray's side of keys: a passphrase prompt when there is no usable keyring, the
recovery key shown once, and the warnings the tray must show."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QDialogButtonBox

from ccm_timer.services.context import open_app
from ccm_timer.services.security import keys
from ccm_timer.ui import unlock_dialog
from ccm_timer.ui.unlock_dialog import (
    PassphraseDialog,
    RecoveryKeyDialog,
    open_unlocked,
    security_warnings,
    show_recovery_key_once,
)
from tests.fixtures.cli import fingerprint
from tests.fixtures.keyring import FAIL, PASSPHRASE

OK = QDialogButtonBox.StandardButton.Ok


def test_new_passphrase_needs_ten_characters_typed_twice(qtbot):
    dialog = PassphraseDialog(new=True)
    qtbot.addWidget(dialog)
    ok = dialog.buttons.button(OK)
    qtbot.keyClicks(dialog.phrase, "short")
    qtbot.keyClicks(dialog.again, "short")
    assert not ok.isEnabled()
    dialog.phrase.setText(PASSPHRASE)
    dialog.again.setText(PASSPHRASE + "x")
    assert not ok.isEnabled()
    dialog.again.setText(PASSPHRASE)
    assert ok.isEnabled() and dialog.passphrase() == PASSPHRASE


def _answer(*phrases: str | None):
    """Answers the passphrase dialogs in turn by typing into the real dialog."""
    asked: list[tuple[bool, str]] = []
    queue = list(phrases)

    def ask(new: bool, problem: str, parent) -> str | None:
        asked.append((new, problem))
        phrase = queue.pop(0)

        def fill() -> None:
            dialog = next(w for w in QApplication.topLevelWidgets()
                          if isinstance(w, PassphraseDialog) and w.isVisible())
            if phrase is None:
                dialog.reject()
                return
            dialog.phrase.setText(phrase)
            dialog.again.setText(phrase)
            dialog.buttons.button(OK).click()

        QTimer.singleShot(0, fill)
        return unlock_dialog.ask_passphrase(new, problem, parent)

    return ask, asked


def test_no_keyring_asks_for_a_new_passphrase_then_for_it_at_each_start(
        qtbot, home, use_backend):
    use_backend(FAIL)
    ask, asked = _answer(PASSPHRASE)
    ctx = open_unlocked(str(home), ask=ask)
    assert ctx is not None and asked == [(True, "")]
    assert ctx.protection.kept_in == "passphrase"
    ctx.close()
    before = fingerprint(home)
    ask, asked = _answer("not the passphrase", None)  # wrong, then Cancel
    assert open_unlocked(str(home), ask=ask) is None
    assert asked[0] == (False, "")
    assert asked[1][0] is False and "passphrase does not open" in asked[1][1]
    assert fingerprint(home) == before
    ask, asked = _answer(PASSPHRASE)
    ctx = open_unlocked(str(home), ask=ask)
    assert ctx is not None and ctx.protection.kept_in == "passphrase"
    ctx.close()


def test_a_working_keyring_asks_nothing(home):
    def never(*_):
        raise AssertionError("asked for a passphrase")

    ctx = open_unlocked(str(home), ask=never)
    assert ctx.protection.kept_in == "keyring"
    ctx.close()


def test_recovery_key_is_shown_once_and_only_confirmed_counts(qtbot, home):
    ctx = open_app(str(home))
    try:
        expected = ctx.protection.recovery_key()

        def close_without_confirming() -> None:
            dialog = next(w for w in QApplication.topLevelWidgets()
                          if isinstance(w, RecoveryKeyDialog) and w.isVisible())
            assert dialog.key.text() == expected and dialog.key.isReadOnly()
            assert not dialog.buttons.button(OK).isEnabled()
            dialog.reject()

        QTimer.singleShot(0, close_without_confirming)
        assert show_recovery_key_once(ctx) is False
        assert keys.pending_recovery_key(ctx) == expected

        def confirm() -> None:
            dialog = next(w for w in QApplication.topLevelWidgets()
                          if isinstance(w, RecoveryKeyDialog) and w.isVisible())
            dialog.written.setChecked(True)
            dialog.buttons.button(OK).click()

        QTimer.singleShot(0, confirm)
        assert show_recovery_key_once(ctx) is True
        assert keys.pending_recovery_key(ctx) is None
    finally:
        ctx.close()
    ctx = open_app(str(home))  # and it stays shown
    try:
        assert show_recovery_key_once(ctx) is False
    finally:
        ctx.close()


def test_tray_warnings(home):
    (home / "settings.toml").write_text(
        'clinic_timezone = "America/New_York"\nworkstation = "w"\nencryption = "off"\n')
    ctx = open_app(str(home))
    try:
        [warning] = security_warnings(ctx)
        assert "not encrypted" in warning
    finally:
        ctx.close()
