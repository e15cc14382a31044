"""The questions asked before unobserved time counts: a timer a crash left running, a
sleep or clock-jump gap, and the "still running?" reminder. Each waits for an answer
without blocking the event loop; the next heartbeat waits for the crash answers."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QDialog

from ccm_timer.errors import UserError
from ccm_timer.ui import question_dialogs as questions
from ccm_timer.ui.controller import GapQuestion, TimerController
from ccm_timer.ui.dialog_host import DialogHost
from ccm_timer.ui.presenters import tray_text
from ccm_timer.ui.presenters.gui_words import error_text
from ccm_timer.ui.presenters.tray_status import TrayStatus


class QuestionFlow:
    """`notify(title, text)` is the tray's passing message; `stop()` opens the stop dialog
    (the reminder's "Stop it")."""

    def __init__(self, controller: TimerController, host: DialogHost, *,
                 notify: Callable[[str, str], None], stop: Callable[[], None]) -> None:
        self.controller = controller
        self.host = host
        self._notify = notify
        self._stop = stop

    def show_recovery(self) -> None:
        orphans = self.controller.orphans
        if not orphans:
            return
        dialog = self.host.dialog("recovery", self._make_recovery)
        ctx = self.controller.ctx
        questions.ask_recovery(dialog, orphans[0], ctx.zone, ctx.now(),
                               self.controller.status.mask_patients)
        self.host.present(dialog)

    def _make_recovery(self) -> QDialog:
        dialog = questions.recovery_dialog()
        dialog.chosen.connect(self._resolve_recovery)
        return dialog

    def _resolve_recovery(self, choice: str) -> None:
        orphan = self.controller.orphans[0]
        try:
            self.controller.resolve_orphan(orphan.entry.id, choice)
        except UserError as exc:
            self.host.error(error_text(exc))
            self.controller.load_orphans()  # e.g. decided meanwhile with `ccm-timer recover`
        if self.controller.orphans:
            self.show_recovery()
        else:
            self.controller.start_heartbeat()

    def ask_gap(self, question: GapQuestion) -> None:
        dialog = self.host.dialog("gap", self._make_gap)
        ctx = self.controller.ctx
        questions.ask_gap(dialog, question, ctx.zone, ctx.now(),
                          self.controller.status.mask_patients)
        self.host.present(dialog)

    def _make_gap(self) -> QDialog:
        dialog = questions.gap_dialog()
        dialog.chosen.connect(self._resolve_gap)
        return dialog

    def _resolve_gap(self, choice: str) -> None:
        try:
            self.controller.resolve_gap(choice)
        except UserError as exc:
            self.host.error(error_text(exc))

    def remind(self, status: TrayStatus) -> None:
        elapsed = self.controller.elapsed()
        dialog = self.host.dialog("reminder", self._make_reminder)
        questions.ask_reminder(dialog, status, elapsed)
        # Also a passing notification, for a dialog hidden behind other windows; no PHI.
        self._notify("Timer still running", f"A timer has run for {tray_text.minutes(elapsed)}.")
        self.host.present(dialog)

    def _make_reminder(self) -> QDialog:
        dialog = questions.reminder_dialog()
        dialog.chosen.connect(lambda choice: self._stop() if choice == "stop" else None)
        return dialog
