"""Recording time from the tray: the stop (an optional note), adding time by hand, and the
confirmation of what was recorded, with its note a click away for the chart."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QDialog

from ccm_timer.errors import UserError
from ccm_timer.services.timing import local_times
from ccm_timer.ui.controller import TimerController
from ccm_timer.ui.dialog_host import DialogHost
from ccm_timer.ui.presenters.gui_words import error_text

# The patients and activities to choose from, or None when the action must wait (a crash
# leftover undecided, no clinician yet, the lists unreadable: the user was told why).
Choices = Callable[[], tuple | None]


class RecordFlow:
    """`choices()` gates adding by hand as it gates a start; `copy_note(entry_id)` puts an
    entry's note on the clipboard and returns why it could not, if it could not."""

    def __init__(self, controller: TimerController, host: DialogHost, *, choices: Choices,
                 copy_note: Callable[[str], str | None]) -> None:
        self.controller = controller
        self.host = host
        self._choices = choices
        self._copy_note = copy_note

    # -- stopping --------------------------------------------------------------------

    def show_stop(self) -> None:
        if not self.controller.status.live:
            return
        dialog = self.host.dialog("stop", self._make_stop)
        # The stop is at this moment, not when the note is typed (controller.choose_stop).
        chosen = self.controller.choose_stop()
        dialog.prepare(self.controller.status, chosen.elapsed, chosen)
        self.host.present(dialog)

    def _make_stop(self) -> QDialog:
        from ccm_timer.ui.stop_dialogs import StopDialog

        dialog = StopDialog()
        dialog.submitted.connect(self._submit_stop)
        return dialog

    def _submit_stop(self, note: str) -> None:
        dialog = self.host.dialogs["stop"]
        try:
            rec = self.controller.stop(note, chosen=dialog.chosen)
        except UserError as exc:
            dialog.show_error(error_text(exc))
            return
        dialog.accept()
        self.show_recorded(rec)

    def show_recorded(self, rec) -> None:
        dialog = self.host.dialog("recorded", self._make_recorded)
        dialog.prepare(rec, self.controller.status.mask_patients, self.controller.status.scope)
        self.host.present(dialog)

    def _make_recorded(self) -> QDialog:
        from ccm_timer.ui.stop_dialogs import RecordedDialog

        dialog = RecordedDialog()
        dialog.copy_requested.connect(
            lambda entry_id: dialog.show_copied(self._copy_note(entry_id)))
        return dialog

    # -- adding by hand --------------------------------------------------------------

    def show_manual(self) -> None:
        if (found := self._choices()) is None:
            return
        ctx = self.controller.ctx
        dialog = self.host.dialog("manual", self._make_manual)
        dialog.prepare(*found, ctx.now(), ctx.zone, self._free_slot())
        self.host.present(dialog)

    def _free_slot(self):
        """A slot clear of the person's own time, so Add straight away records."""
        from ccm_timer.services.timing.free_slots import free_slot

        try:  # the person the tray times as, whose entries an add must not overlap
            return free_slot(self.controller.ctx, self.controller.status.clinician_id)
        except UserError:  # the add itself will say what is wrong
            return None

    def _make_manual(self) -> QDialog:
        from ccm_timer.services.people.record_status import record_status
        from ccm_timer.ui.manual_dialog import ManualDialog

        ctx = self.controller.ctx
        dialog = ManualDialog(programs=lambda mrn: record_status(ctx, mrn).programs)
        dialog.submitted.connect(self._submit_manual)
        return dialog

    def _submit_manual(self, mrn, slug: str, day, start, end, note: str) -> None:
        dialog = self.host.dialogs["manual"]
        try:
            first, last = local_times.local_range(day, start, end, self.controller.ctx.zone)
            rec = self.controller.add_manual(mrn, slug, first, last, note)
        except UserError as exc:
            dialog.show_error(error_text(exc))
            return
        dialog.accept()
        self.show_recorded(rec)
