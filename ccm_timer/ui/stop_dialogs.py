"""Stopping: an optional note (Enter with nothing typed just stops), then a short
confirmation of what was recorded, with the entry's chart note one click away."""

from __future__ import annotations

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QLineEdit, QVBoxLayout, QWidget

from ccm_timer.ui.presenters import tray_text
from ccm_timer.ui.presenters.tray_status import TrayStatus
from ccm_timer.ui.style import BIG_STYLE, ERROR_STYLE, TITLE_STYLE

CONFIRMATION_SECONDS = 20


class StopDialog(QDialog):
    submitted = Signal(str)  # the note, possibly empty

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Stop timer")
        self.setMinimumWidth(420)
        self.what = QLabel(wordWrap=True, styleSheet=TITLE_STYLE)
        self.note = QLineEdit(placeholderText="Note (optional) — press Enter to stop")
        self.note.setAccessibleName("Note")
        self.error = QLabel(styleSheet=ERROR_STYLE, wordWrap=True)
        self.error.hide()
        self.chosen = None  # controller.StopChoice: when Stop was chosen, for the stop itself
        buttons = QDialogButtonBox()
        self.stop_button = buttons.addButton("S&top", QDialogButtonBox.ButtonRole.AcceptRole)
        keep = buttons.addButton("&Keep running", QDialogButtonBox.ButtonRole.RejectRole)
        self.stop_button.setDefault(True)
        self.stop_button.clicked.connect(self.submit)
        keep.clicked.connect(self.reject)
        # Enter in the note presses Stop, the default button (connecting returnPressed as
        # well stopped twice: the second time with an error on the hidden dialog).
        layout = QVBoxLayout(self)
        layout.addWidget(self.what)
        layout.addWidget(self.note)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def prepare(self, status: TrayStatus, elapsed: int, chosen=None) -> None:
        """Ask about `elapsed`; `chosen` (TimerController.choose_stop) is handed back to the
        stop, so the time typing the note takes is not recorded."""
        self.chosen = chosen
        self.what.setText(f"Stop the timer at {tray_text.minutes(elapsed)}?\n"
                          f"{tray_text.subject(status)}")
        self.note.clear()
        self.show_error(None)
        self.note.setFocus()

    def show_error(self, text: str | None) -> None:
        self.error.setText(text or "")
        self.error.setVisible(bool(text))

    def submit(self) -> None:
        self.submitted.emit(self.note.text().strip())


class RecordedDialog(QDialog):
    """What a stop recorded. Closes itself after a while: it informs, it asks nothing. Copy
    note puts the entry's chart note on the clipboard (only entries with a patient have one)."""

    copy_requested = Signal(str)  # the entry id

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Time recorded")
        self.setMinimumWidth(380)
        self.headline = QLabel(styleSheet=BIG_STYLE)
        self.text = QLabel(wordWrap=True)
        self.copied = QLabel(wordWrap=True)
        self.copied.hide()
        buttons = QDialogButtonBox()
        self.copy_button = buttons.addButton("&Copy note", QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.setToolTip("Put this entry's note on the clipboard, to paste into "
                                    "the chart.")
        self.copy_button.clicked.connect(self._copy)
        self.ok_button = buttons.addButton(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setDefault(True)  # Enter still just closes
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(self.headline)
        layout.addWidget(self.text)
        layout.addWidget(self.copied)
        layout.addWidget(buttons)
        self._close_timer = QTimer(self, singleShot=True, timeout=self.accept)
        self._entry_id = ""

    def prepare(self, rec, mask: bool, scope=None) -> None:
        headline, details = tray_text.recorded(rec, mask, scope)
        self.headline.setText(headline)
        self.text.setText(details)
        self._entry_id = str(rec.entry.id)
        self.copy_button.setVisible(rec.entry.patient_mrn is not None)
        self.copy_button.setText("&Copy note")
        self.copied.hide()
        self._close_timer.start(CONFIRMATION_SECONDS * 1000)

    def _copy(self) -> None:
        self._close_timer.stop()  # the person is using it now: no closing under their hand
        self.copy_requested.emit(self._entry_id)

    def show_copied(self, problem: str | None) -> None:
        """After a copy: done (paste it into the chart), or why there is no note."""
        if problem is None:
            self.copy_button.setText("&Copy note again")
            self.copied.setStyleSheet("")
            self.copied.setText("Note copied. Paste it into the patient's chart.")
        else:
            self.copied.setStyleSheet(ERROR_STYLE)
            self.copied.setText(problem)
        self.copied.show()
