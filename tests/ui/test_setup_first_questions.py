"""The tray's first questions come one at a time (issue 17): the one-time recovery key is
answered before a crash leftover is asked about, so the question that stays on top never
sits above a modal dialog that takes every click."""

from __future__ import annotations

import subprocess
import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QDialogButtonBox

from ccm_timer.services.security import keys
from ccm_timer.services.timing import recovery, timers
from ccm_timer.ui.launch import start_tray
from ccm_timer.ui.unlock_dialog import RecoveryKeyDialog


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_the_recovery_key_is_answered_before_the_timer_left_running(
        clinic, clock, make_tray, qtbot) -> None:
    timers.start(clinic, patient_mrn="T1001", category_slug="phone-call")
    clock.advance(60)
    recovery.beat(clinic, pid=_dead_pid())  # the app died with the timer running
    clock.advance(600)
    assert keys.pending_recovery_key(clinic) is not None
    tray = make_tray(clinic, begin=False, signed_in=None)
    seen: list[tuple[bool, bool]] = []

    def answer_the_key() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, RecoveryKeyDialog)
        question = tray.dialogs.get("recovery")
        seen.append((question is not None and question.isVisible(), dialog.isVisible()))
        dialog.written.setChecked(True)
        dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()

    QTimer.singleShot(0, answer_the_key)
    start_tray(QApplication.instance(), clinic, tray)
    assert seen == [(False, True)]  # the leftover question waited for the key
    assert keys.pending_recovery_key(clinic) is None
    question = tray.dialogs["recovery"]
    assert question.isVisible() and QApplication.activeModalWidget() is None
    question.buttons["stop"].click()  # and it takes clicks: nothing modal above it
    assert tray.controller.status.pending_recovery == 0
    tray.signin.lock.stop()
    tray.signin.lock.deleteLater()  # parented to the application: gone with this test
