"""The passphrase prompt says why OK is not available yet, speaks of the passphrase (not a
keyring) in passphrase mode, and its title is whole (issue 17)."""

from __future__ import annotations

from PySide6.QtWidgets import QDialogButtonBox, QLabel

from ccm_timer.services.security import keys
from ccm_timer.ui.unlock_dialog import PassphraseDialog, RecoveryKeyDialog, problem_text

OK = QDialogButtonBox.StandardButton.Ok


def test_the_new_passphrase_prompt_says_what_is_missing_until_ok_is_available(qtbot):
    dialog = PassphraseDialog(new=True)
    qtbot.addWidget(dialog)
    dialog.show()
    ok = dialog.buttons.button(OK)
    said = []
    for phrase, again in (("", ""), ("short", ""), ("long enough!", ""),
                          ("long enough!", "long enough?"), ("long enough!", "long enough!")):
        dialog.phrase.setText(phrase)
        dialog.again.setText(again)
        said.append((ok.isEnabled(), dialog.hint.text() if dialog.hint.isVisible() else None))
    assert said == [
        (False, "Type a passphrase of at least 10 characters."),
        (False, "5 more characters needed."),
        (False, "Type the same passphrase again below."),
        (False, "The two passphrases differ; type the same one in both boxes."),
        (True, None),
    ]
    assert ok.toolTip() == ""


def test_the_prompt_for_an_existing_passphrase(qtbot):
    dialog = PassphraseDialog(new=False)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.hint.text() == "Type the passphrase." and not dialog.buttons.button(OK) \
        .isEnabled()
    dialog.phrase.setText("x")
    assert dialog.buttons.button(OK).isEnabled() and not dialog.hint.isVisible()
    assert dialog.windowTitle() == "Unlock CCM Timer"


def test_titles_fit_the_dialogs(qtbot):
    for dialog in (PassphraseDialog(new=True), PassphraseDialog(new=False),
                   RecoveryKeyDialog("ABCD-EFGH", "/data", kept_in="passphrase")):
        qtbot.addWidget(dialog)
        dialog.show()
        title = dialog.fontMetrics().horizontalAdvance(dialog.windowTitle())
        assert dialog.width() >= title + 160  # the window manager's buttons and margins


def test_a_wrong_passphrase_is_said_without_the_environment_variable():
    said = problem_text(keys.unreadable(keys.Protection(kept_in="passphrase")))
    assert said == "That passphrase does not open the patient data; type it again."


def _words(dialog) -> str:
    return " ".join(label.text() for label in dialog.findChildren(QLabel))


def test_the_recovery_key_dialog_speaks_of_the_passphrase_in_passphrase_mode(qtbot):
    by_phrase = RecoveryKeyDialog("ABCD-EFGH", "/data", kept_in="passphrase")
    by_keyring = RecoveryKeyDialog("ABCD-EFGH", "/data", kept_in="keyring")
    for dialog in (by_phrase, by_keyring):
        qtbot.addWidget(dialog)
    assert "passphrase is ever forgotten" in _words(by_phrase)
    assert "keyring" not in _words(by_phrase)
    assert "keyring is ever lost" in _words(by_keyring)


def test_the_recovery_key_dialog_says_why_ok_waits(qtbot):
    dialog = RecoveryKeyDialog("ABCD-EFGH", "/data")
    qtbot.addWidget(dialog)
    dialog.show()
    ok = dialog.buttons.button(OK)
    assert not ok.isEnabled() and dialog.hint.isVisible()
    assert dialog.hint.text().startswith("Tick the box once the key is written down")
    dialog.written.setChecked(True)
    assert ok.isEnabled() and not dialog.hint.isVisible() and ok.toolTip() == ""
