"""Stopping: an optional note (Enter with nothing typed just stops), then a short
confirmation of what was recorded."""

from __future__ import annotations

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QLineEdit, QVBoxLayout, QWidget

from ccm_timer.services import tray_text
from ccm_timer.services.tray_status import TrayStatus
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
        buttons = QDialogButtonBox()
        self.stop_button = buttons.addButton("S&top", QDialogButtonBox.ButtonRole.AcceptRole)
        keep = buttons.addButton("&Keep running", QDialogButtonBox.ButtonRole.RejectRole)
        self.stop_button.setDefault(True)
        self.stop_button.clicked.connect(self.submit)
        keep.clicked.connect(self.reject)
        self.note.returnPressed.connect(self.submit)
        layout = QVBoxLayout(self)
        layout.addWidget(self.what)
        layout.addWidget(self.note)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def prepare(self, status: TrayStatus, elapsed: int) -> None:
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
    """What a stop recorded. Closes itself after a while: it informs, it asks nothing."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Time recorded")
        self.setMinimumWidth(380)
        self.headline = QLabel(styleSheet=BIG_STYLE)
        self.text = QLabel(wordWrap=True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok)
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(self.headline)
        layout.addWidget(self.text)
        layout.addWidget(buttons)
        self._close_timer = QTimer(self, singleShot=True, timeout=self.accept)

    def prepare(self, rec, mask: bool) -> None:
        headline, details = tray_text.recorded(rec, mask)
        self.headline.setText(headline)
        self.text.setText(details)
        self._close_timer.start(CONFIRMATION_SECONDS * 1000)
