"""The questions asked before unobserved time counts: a timer a crash left running, a
sleep or clock-jump gap, and the "still running?" reminder. Each waits for an answer
without blocking the event loop; the next heartbeat waits for the crash answers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QDialog

from ccm_timer.errors import UserError
from ccm_timer.ui import question_dialogs as questions
from ccm_timer.ui.controller import GapQuestion
from ccm_timer.ui.presenters import tray_text
from ccm_timer.ui.presenters.tray_status import TrayStatus

if TYPE_CHECKING:
    from ccm_timer.ui.app import TrayApp


class QuestionFlow:
    def __init__(self, app: TrayApp) -> None:
        self.app = app

    def show_recovery(self) -> None:
        orphans = self.app.controller.orphans
        if not orphans:
            return
        dialog = self.app.dialog("recovery", self._make_recovery)
        questions.ask_recovery(dialog, orphans[0], self.app.ctx.zone, self.app.ctx.now(),
                               self.app.status.mask_patients)
        self.app.present(dialog)

    def _make_recovery(self) -> QDialog:
        dialog = questions.recovery_dialog()
        dialog.chosen.connect(self._resolve_recovery)
        return dialog

    def _resolve_recovery(self, choice: str) -> None:
        orphan = self.app.controller.orphans[0]
        try:
            self.app.controller.resolve_orphan(orphan.entry.id, choice)
        except UserError as exc:
            self.app.error(str(exc))
            self.app.controller.load_orphans()  # e.g. decided meanwhile with `ccm-timer recover`
        if self.app.controller.orphans:
            self.show_recovery()
        else:
            self.app.controller.start_heartbeat()

    def ask_gap(self, question: GapQuestion) -> None:
        dialog = self.app.dialog("gap", self._make_gap)
        questions.ask_gap(dialog, question, self.app.ctx.zone, self.app.ctx.now(),
                          self.app.status.mask_patients)
        self.app.present(dialog)

    def _make_gap(self) -> QDialog:
        dialog = questions.gap_dialog()
        dialog.chosen.connect(self._resolve_gap)
        return dialog

    def _resolve_gap(self, choice: str) -> None:
        try:
            self.app.controller.resolve_gap(choice)
        except UserError as exc:
            self.app.error(str(exc))

    def remind(self, status: TrayStatus) -> None:
        elapsed = self.app.controller.elapsed()
        dialog = self.app.dialog("reminder", self._make_reminder)
        questions.ask_reminder(dialog, status, elapsed)
        # Also a passing notification, for a dialog hidden behind other windows; no PHI.
        self.app.surface.notify("Timer still running",
                                f"A timer has run for {tray_text.minutes(elapsed)}.")
        self.app.present(dialog)

    def _make_reminder(self) -> QDialog:
        dialog = questions.reminder_dialog()
        dialog.chosen.connect(lambda choice: self.app.show_stop() if choice == "stop" else None)
        return dialog
