"""Recording time from the tray: the stop (an optional note), adding time by hand, and the
confirmation of what was recorded, with its note a click away for the chart."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QDialog

from ccm_timer.errors import UserError
from ccm_timer.services.timing import local_times

if TYPE_CHECKING:
    from ccm_timer.ui.app import TrayApp


class RecordFlow:
    def __init__(self, app: TrayApp) -> None:
        self.app = app

    # -- stopping --------------------------------------------------------------------

    def show_stop(self) -> None:
        if not self.app.status.live:
            return
        dialog = self.app.dialog("stop", self._make_stop)
        dialog.prepare(self.app.status, self.app.controller.elapsed())
        self.app.present(dialog)

    def _make_stop(self) -> QDialog:
        from ccm_timer.ui.stop_dialogs import StopDialog

        dialog = StopDialog()
        dialog.submitted.connect(self._submit_stop)
        return dialog

    def _submit_stop(self, note: str) -> None:
        dialog = self.app.dialogs["stop"]
        try:
            rec = self.app.controller.stop(note)
        except UserError as exc:
            dialog.show_error(str(exc))
            return
        dialog.accept()
        self.show_recorded(rec)

    def show_recorded(self, rec) -> None:
        dialog = self.app.dialog("recorded", self._make_recorded)
        dialog.prepare(rec, self.app.status.mask_patients)
        self.app.present(dialog)

    def _make_recorded(self) -> QDialog:
        from ccm_timer.ui.stop_dialogs import RecordedDialog

        dialog = RecordedDialog()
        dialog.copy_requested.connect(
            lambda entry_id: dialog.show_copied(self.app.windows.copy_entry_note(entry_id)))
        return dialog

    # -- adding by hand --------------------------------------------------------------

    def show_manual(self) -> None:
        if self.app.blocked() or (found := self.app.choices()) is None:
            return
        dialog = self.app.dialog("manual", self._make_manual)
        dialog.prepare(*found, self.app.ctx.now(), self.app.ctx.zone)
        self.app.present(dialog)

    def _make_manual(self) -> QDialog:
        from ccm_timer.ui.manual_dialog import ManualDialog

        dialog = ManualDialog()
        dialog.submitted.connect(self._submit_manual)
        return dialog

    def _submit_manual(self, mrn, slug: str, day, start, end, note: str) -> None:
        dialog = self.app.dialogs["manual"]
        try:
            first, last = local_times.local_range(day, start, end, self.app.ctx.zone)
            rec = self.app.controller.add_manual(mrn, slug, first, last, note)
        except UserError as exc:
            dialog.show_error(str(exc))
            return
        dialog.accept()
        self.show_recorded(rec)
