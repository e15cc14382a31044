"""The tray's windows and notes: the month overview and Today (built once, raised again on
each later open), and EHR notes put on the clipboard.

A copied note never shows in a notification: the message says only that it was copied,
because notifications are seen by anyone near the screen. Each copy is a read in the audit
trail, under the signed-in person's name (the windows record their own reads).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

from ccm_timer.errors import UserError
from ccm_timer.services.people.access import Signer
from ccm_timer.services.security.audit_reads import Read, record_read
from ccm_timer.ui.controller import TimerController
from ccm_timer.ui.dialog_host import DialogHost
from ccm_timer.ui.presenters.gui_words import error_text

NOTE_COPIED = ("Note copied", "Paste it into the patient's chart.")


def copy_text(text: str) -> None:
    QGuiApplication.clipboard().setText(text)


class WindowFlow:
    """The windows are for the person signed in at the tray (the controller's signer);
    `notify(title, text)` is the tray's passing message."""

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

    @property
    def signer(self) -> Signer | None:
        return self.controller.signer

    def show_overview(self) -> QWidget:
        from ccm_timer.ui.overview import open_overview

        if self.overview is None:
            self.overview = open_overview(self.ctx, signer=self.signer)
        else:
            self.overview.set_signer(self.signer)
            self.overview.present()
        return self.overview

    def show_patient(self, mrn: str) -> QWidget:
        """One patient's view of this month (opened from the overview, which comes too)."""
        return self.show_overview().open_patient(mrn)

    def follow_signer(self, signer: Signer | None) -> None:
        """Open windows act as, and audit reads under, whoever is signed in now; with
        nobody signed in they close (patient data is shown to a person)."""
        if signer is None:
            self.close()
            return
        if self.overview is not None:
            self.overview.set_signer(signer)
        if self.today is not None:
            self.today.clinician, self.today.signer = str(signer.id), signer

    def show_today(self) -> QWidget:
        from ccm_timer.ui.overview import open_today

        if self.today is None:
            self.today = open_today(self.ctx, self.clinician)
        else:
            self.today.clinician = self.clinician  # whoever is signed in now
            self.today.present()
        self.today.signer = self.signer
        self._read(Read.ENTRIES, "today")
        return self.today

    def _read(self, read: Read, detail: str) -> None:
        if self.signer is not None:
            record_read(self.ctx, self.signer.name, read, detail=detail)

    def copy_last_note(self) -> bool:
        """The note for the current clinician's most recent entry, on the clipboard."""
        from ccm_timer.services import exports  # the note templates: loaded on first use

        try:
            note = exports.note_for_last_entry(self.ctx, self.clinician)
        except UserError as exc:
            self.host.error(error_text(exc))
            return False
        copy_text(note)
        self._read(Read.NOTE_COPY, "the last entry's note")
        self._notify(*NOTE_COPIED)
        return True

    def copy_entry_note(self, entry_id: str) -> str | None:
        """Copy one entry's note; returns the reason it could not be made, if any."""
        from ccm_timer.services import exports

        try:
            copy_text(exports.note_for_entry(self.ctx, entry_id))
        except UserError as exc:
            return error_text(exc)
        self._read(Read.NOTE_COPY, f"entry {entry_id}")
        return None

    def close(self) -> None:
        for window in (self.overview, self.today):
            if window is not None:
                window.close()
                window.deleteLater()
        self.overview = self.today = None
