"""Who may change the patient's record in the patient view (the README's table: clinical
staff, practitioners and administrators): the sentence a panel shows, quietly, beside the
change buttons it disables for anyone else (the billing office)."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel

from ccm_timer.core.access import Action, who_may
from ccm_timer.services.people.access import Signer
from ccm_timer.ui.overview.month_close import NOTE_STYLE


def refusal(signer: Signer | None) -> str | None:
    """Why the signed-in person may not change the record; None when they may. Nobody
    signed in leaves it as before: the default clinician, who has a clinical role, acts."""
    if signer is None or signer.may(Action.RECORD):
        return None
    return (f"{signer.name} cannot change the patient's record: only "
            f"{who_may(Action.RECORD)} do.")


def note_label() -> QLabel:
    """The quiet line that says why the changes are disabled; hidden while they are not."""
    note = QLabel(styleSheet=NOTE_STYLE, wordWrap=True)
    note.setAccessibleName("Who may change the record")
    note.hide()
    return note


def show_note(note: QLabel, why: str | None) -> None:
    note.setText(why or "")
    note.setVisible(bool(why))
