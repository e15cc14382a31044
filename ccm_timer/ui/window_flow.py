"""The tray's windows and notes: the month overview and Today (built once, raised again on
each later open), and EHR notes put on the clipboard.

A copied note never shows in a notification: the message says only that it was copied,
because notifications are seen by anyone near the screen.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

from ccm_timer.errors import UserError
from ccm_timer.ui.controller import TimerController
from ccm_timer.ui.dialog_host import DialogHost

NOTE_COPIED = ("Note copied", "Paste it into the patient's chart.")


def copy_text(text: str) -> None:
    QGuiApplication.clipboard().setText(text)


class WindowFlow:
    """The windows are for the clinician the controller is set to; `notify(title, text)` is
    the tray's passing message."""

    def __init__(self, controller: TimerController, host: DialogHost, *,
                 notify: Callable[[str, str], None]) -> None:
        self.controller = controller
        self.ctx = controller.ctx
        self.host = host
        self._notify = notify
        self.overview: QWidget | None = None
        self.today: QWidget | None = None

    @property
    def clinician(self) -> str | None:
        return self.controller.status.clinician_id

    def show_overview(self) -> QWidget:
        from ccm_timer.ui.overview import open_overview

        if self.overview is None:
            self.overview = open_overview(self.ctx, clinician=self.clinician)
        else:
            self.overview.set_clinician(self.clinician)
            self.overview.present()
        return self.overview

    def show_patient(self, mrn: str) -> QWidget:
        """One patient's view of this month (opened from the overview, which comes too)."""
        return self.show_overview().open_patient(mrn)

    def follow_clinician(self) -> None:
        """An open overview approves as whoever the tray is set to now."""
        if self.overview is not None:
            self.overview.set_clinician(self.clinician)

    def show_today(self) -> QWidget:
        from ccm_timer.ui.overview import open_today

        if self.today is None:
            self.today = open_today(self.ctx, self.clinician)
        else:
            self.today.clinician = self.clinician  # whoever the tray is set to now
            self.today.present()
        return self.today

    def copy_last_note(self) -> bool:
        """The note for the current clinician's most recent entry, on the clipboard."""
        from ccm_timer.services import exports  # the note templates: loaded on first use

        try:
            note = exports.note_for_last_entry(self.ctx, self.clinician)
        except UserError as exc:
            self.host.error(str(exc))
            return False
        copy_text(note)
        self._notify(*NOTE_COPIED)
        return True

    def copy_entry_note(self, entry_id: str) -> str | None:
        """Copy one entry's note; returns the reason it could not be made, if any."""
        from ccm_timer.services import exports

        try:
            copy_text(exports.note_for_entry(self.ctx, entry_id))
        except UserError as exc:
            return str(exc)
        return None

    def close(self) -> None:
        for window in (self.overview, self.today):
            if window is not None:
                window.close()
                window.deleteLater()
        self.overview = self.today = None
