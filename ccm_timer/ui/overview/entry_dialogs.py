"""Correcting an entry: change its times or note, or void it. A reason is always required,
and the original is kept as an earlier version (services.entries does the keeping)."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QDateTime, Signal
from PySide6.QtWidgets import (
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ccm_timer.services.timing.entry_values import EntryView
from ccm_timer.ui.overview.month_names import local_clock, local_day
from ccm_timer.ui.overview.rows import exact
from ccm_timer.ui.style import ERROR_STYLE, TITLE_STYLE

STAMP = "yyyy-MM-dd HH:mm"


def _qt(instant: datetime, zone) -> QDateTime:
    local = instant.astimezone(zone)
    return QDateTime.fromString(local.strftime("%Y-%m-%d %H:%M"), STAMP)


def _wall(value: QDateTime) -> datetime:
    """The wall time shown (naive): services.local_times decides what it means."""
    return datetime.strptime(value.toString(STAMP), "%Y-%m-%d %H:%M")


def describe(view: EntryView, zone) -> str:
    return (f"{view.category_label}, {local_day(view.start, zone)} "
            f"{local_clock(view.start, zone)}–{local_clock(view.end, zone)} "
            f"({exact(view.seconds)}), {view.clinician}")


class ReasonDialog(QDialog):
    """The shared frame: what is being changed, the fields, a reason, an error line."""

    def __init__(self, title: str, action: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(460)
        self.what = QLabel(wordWrap=True, styleSheet=TITLE_STYLE)
        self.form = QFormLayout()
        self.reason = QLineEdit(placeholderText="Required: why is this being changed?")
        self.reason.setAccessibleName("Reason")
        self.kept = QLabel(wordWrap=True)
        self.error = QLabel(styleSheet=ERROR_STYLE, wordWrap=True)
        self.error.hide()
        buttons = QDialogButtonBox()
        self.ok: QPushButton = buttons.addButton(action, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.ok.clicked.connect(self.submit)
        buttons.rejected.connect(self.reject)
        self.reason.returnPressed.connect(self.submit)
        layout = QVBoxLayout(self)
        layout.addWidget(self.what)
        layout.addLayout(self.form)
        layout.addWidget(self.kept)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def show_error(self, text: str | None) -> None:
        self.error.setText(text or "")
        self.error.setVisible(bool(text))

    def checked_reason(self) -> str | None:
        reason = self.reason.text().strip()
        if not reason:
            self.show_error("Say why in the Reason field; the record keeps it with the change.")
            self.reason.setFocus()
            return None
        return reason

    def submit(self) -> None:
        raise NotImplementedError


class EditEntryDialog(ReasonDialog):
    # start and end (naive wall times in the clinic zone, None if unchanged), note or None,
    # reason
    submitted = Signal(object, object, object, str)

    def __init__(self, view: EntryView, zone, parent: QWidget | None = None) -> None:
        super().__init__("Correct an entry", "&Save correction", parent)
        self.view = view
        self.what.setText(describe(view, zone))
        self.start = QDateTimeEdit(_qt(view.start, zone), displayFormat=STAMP,
                                   calendarPopup=True) if view.start else None
        self.end = QDateTimeEdit(_qt(view.end, zone), displayFormat=STAMP,
                                 calendarPopup=True) if view.end else None
        self._start0 = self.start.dateTime() if self.start else None
        self._end0 = self.end.dateTime() if self.end else None
        self.note = QLineEdit(view.note)
        if self.start and self.end:
            self.form.addRow("&Start", self.start)
            self.form.addRow("&End", self.end)
        self.form.addRow("&Note", self.note)
        self.form.addRow("&Reason", self.reason)
        self.kept.setText(f"Times are {zone.key} time. The original stays in the record as "
                          "an earlier version.")
        self.reason.setFocus()

    def submit(self) -> None:
        reason = self.checked_reason()
        if reason is None:
            return
        start = end = None
        if self.start and self.start.dateTime() != self._start0:
            start = _wall(self.start.dateTime())
        if self.end and self.end.dateTime() != self._end0:
            end = _wall(self.end.dateTime())
        note = self.note.text().strip()
        note_change = note if note != self.view.note else None
        if start is None and end is None and note_change is None:
            self.show_error("Nothing was changed; change the times or the note, or cancel.")
            return
        self.submitted.emit(start, end, note_change, reason)


class VoidEntryDialog(ReasonDialog):
    submitted = Signal(str)  # reason

    def __init__(self, view: EntryView, zone, parent: QWidget | None = None) -> None:
        super().__init__("Void an entry", "&Void entry", parent)
        self.view = view
        self.what.setText(f"Void {describe(view, zone)}?")
        self.form.addRow("&Reason", self.reason)
        self.kept.setText("The entry stays in the record, marked void; its minutes stop "
                          "counting toward this month.")
        self.reason.setFocus()

    def submit(self) -> None:
        reason = self.checked_reason()
        if reason is not None:
            self.submitted.emit(reason)
