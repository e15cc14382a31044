"""Start (or switch to) a timer: patient, activity, optional note, Enter.

Built for the phone ringing: the search field has focus, typing narrows the patients, Enter
takes the highlighted one and moves to the activities, Enter there starts. While a timer
runs the same dialog switches (stop and start in one step) and offers Pause and Stop, so the
keyboard shortcut that opens it is all a nurse needs.

The patient highlighted shows their programs and, when their record cannot bill yet (too
few chronic conditions, a consent incomplete, a care plan never reviewed), a warning sign
with what is missing: one small read per patient (services/people/record_status.py, never
the ICD-10-CM code set), kept for the dialog's use. Their programs' activities are listed
first and the first of them is chosen; an activity of a program they are not enrolled in is
asked about before it is timed (it would count toward no bill).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from ccm_timer.errors import UserError
from ccm_timer.services.people.patient_search import PatientIndex
from ccm_timer.services.people.record_status import RecordStatus
from ccm_timer.ui.pickers import WARNING_STYLE, ActivityList, FitCheck, PatientPicker, grow
from ccm_timer.ui.presenters import patient_record, tray_text
from ccm_timer.ui.presenters.tray_state import TrayState
from ccm_timer.ui.presenters.tray_status import TrayStatus
from ccm_timer.ui.style import ERROR_STYLE, TITLE_STYLE


class StartDialog(QDialog):
    submitted = Signal(object, str, str)  # patient MRN or None, category slug, note
    pause_requested = Signal()
    stop_requested = Signal()
    record_requested = Signal(str)  # the MRN whose record to open

    def __init__(self, parent: QWidget | None = None,
                 record_status: Callable[[str], RecordStatus] | None = None) -> None:
        super().__init__(parent)
        self._record_status = record_status
        self._statuses: dict[str, RecordStatus | None] = {}  # read once per use
        self._live = False
        self.fit = FitCheck()
        self.setWindowTitle("Start timer")
        self.setMinimumWidth(540)  # the longest activity without a scroll bar
        self.now_label = QLabel()
        self.now_label.setWordWrap(True)
        self.pause_button = QPushButton("Pa&use")
        self.stop_button = QPushButton("S&top current…")
        self.pause_button.clicked.connect(self.pause_requested)
        self.stop_button.clicked.connect(self.stop_requested)
        now_row = QHBoxLayout()
        now_row.addWidget(self.now_label, 1)
        now_row.addWidget(self.pause_button)
        now_row.addWidget(self.stop_button)
        self.now_box = QWidget()
        self.now_box.setLayout(now_row)

        self.picker = PatientPicker()
        self.activities = ActivityList()
        self.note = QLineEdit(placeholderText="Note (optional)")
        self.note.setAccessibleName("Note")
        self.patient_hint = QLabel()
        self.programs = QLabel()
        self.programs.setAccessibleName("Patient's programs")
        self.record_icon = QLabel()
        size = self.style().pixelMetric(QStyle.PixelMetric.PM_SmallIconSize)
        self.record_icon.setPixmap(self.style().standardIcon(
            QStyle.StandardPixmap.SP_MessageBoxWarning).pixmap(size, size))
        self.record_warning = QLabel(styleSheet=WARNING_STYLE, wordWrap=True)
        self.record_warning.setAccessibleName("Record warning")
        record_row = QHBoxLayout()
        record_row.setContentsMargins(0, 0, 0, 0)
        record_row.addWidget(self.record_icon, 0, Qt.AlignmentFlag.AlignTop)
        record_row.addWidget(self.record_warning, 1)
        self.open_record = QPushButton("Open r&ecord…")
        self.open_record.setAutoDefault(False)
        self.open_record.setToolTip("The patient view: conditions, care plan and consent")
        self.open_record.clicked.connect(self._open_record)
        record_row.addWidget(self.open_record, 0, Qt.AlignmentFlag.AlignTop)
        self.record_box = QWidget()
        self.record_box.setLayout(record_row)
        self.error = QLabel(styleSheet=ERROR_STYLE, wordWrap=True)
        self.error.hide()
        buttons = QDialogButtonBox()
        self.start_button = buttons.addButton("&Start", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        for button in buttons.buttons():
            button.setAutoDefault(False)  # Enter is handled field by field, below
        self.start_button.clicked.connect(self.submit)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.now_box)
        layout.addWidget(QLabel("&Patient", buddy=self.picker.search, styleSheet=TITLE_STYLE))
        layout.addWidget(self.picker)
        layout.addWidget(self.programs)
        layout.addWidget(self.record_box)
        layout.addWidget(QLabel("&Activity", buddy=self.activities, styleSheet=TITLE_STYLE))
        layout.addWidget(self.activities)
        layout.addWidget(self.patient_hint)
        layout.addWidget(QLabel("&Note", buddy=self.note, styleSheet=TITLE_STYLE))
        layout.addWidget(self.note)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.setTabOrder(self.picker.search, self.picker.results)
        self.setTabOrder(self.picker.results, self.activities)
        self.setTabOrder(self.activities, self.note)

        self.picker.confirmed.connect(self.activities.setFocus)
        self.picker.highlighted.connect(self.show_record)
        self.activities.confirmed.connect(self.submit)
        self.activities.currentItemChanged.connect(self._activity_changed)
        self.activities.currentItemChanged.connect(self._changed)
        self.picker.highlighted.connect(self._changed)
        self.note.returnPressed.connect(self.submit)
        QShortcut(QKeySequence("Ctrl+Return"), self, activated=self.submit)

    def prepare(self, status: TrayStatus, elapsed: int, index: PatientIndex, categories,
                last_category: str | None = None) -> None:
        """Reset for a new use, showing what runs now (if anything)."""
        live = self._live = status.live
        self.setWindowTitle("Switch timer" if live else "Start timer")
        self.now_box.setVisible(live)
        if live:
            self.now_label.setText(f"Now: {tray_text.subject(status)} — "
                                   f"{tray_text.clock(elapsed)}")
            self.pause_button.setText("&Resume" if status.state is TrayState.PAUSED else "Pa&use")
        self._statuses.clear()  # the record may have changed since the last use
        self.activities.set_categories(categories, last_category)
        self.picker.set_index(index)
        self.show_record(self.picker.chosen())
        self.note.clear()
        self._changed()
        self.picker.search.setFocus()

    def choose_patient(self, mrn: str, program: str | None = None) -> bool:
        """The patient chosen and `program`'s first activity selected (without one, their
        programs' first), the focus on the activities: Enter starts (the worklist's one
        click times the row's program, not the clinic's first). False if not found."""
        if not self.picker.choose(mrn):
            self.show_error("That patient is not in the list any more; search for them.")
            return False
        if program is not None:
            from ccm_timer.ui.pickers import ROLE  # loaded above; kept to this method

            for i in range(self.activities.count()):
                category = self.activities.item(i).data(ROLE)
                if category is not None and category.program == program:
                    self.activities.setCurrentRow(i)
                    break
        self.activities.setFocus()
        return True

    def tick(self, elapsed: int, status: TrayStatus) -> None:
        """The Now line, once a second while the dialog is open over a running timer."""
        if self._live and self.isVisible():
            self.now_label.setText(f"Now: {tray_text.subject(status)} — "
                                   f"{tray_text.clock(elapsed)}")

    def _changed(self, *_args) -> None:
        """Another patient or activity: what was said about the last one no longer holds."""
        self.fit.reset()
        self.start_button.setText("S&witch" if self._live else "&Start")
        self.show_error(None)

    def show_record(self, patient) -> None:
        """The highlighted patient's programs, and the warning sign if their record is
        incomplete for billing."""
        status = self._status(patient.mrn) if patient is not None else None
        self.activities.follow(status.programs if status is not None else None)
        self.programs.setVisible(status is not None)
        if status is not None:
            self.programs.setText(patient_record.programs_text(status))
        warning = patient_record.record_warning(status)
        self.record_warning.setText(warning or "")
        self.record_box.setVisible(bool(warning))

    def _open_record(self) -> None:
        if (patient := self.picker.chosen()) is not None:
            self.record_requested.emit(patient.mrn)

    def _status(self, mrn: str) -> RecordStatus | None:
        if self._record_status is None:
            return None
        if mrn not in self._statuses:
            try:
                self._statuses[mrn] = self._record_status(mrn)
            except UserError:  # the start itself will say what is wrong
                self._statuses[mrn] = None
        return self._statuses[mrn]

    def _activity_changed(self) -> None:
        category = self.activities.chosen()
        program_level = category is not None and category.program is None
        self.patient_hint.setText(
            "This activity is program-level time: no patient is recorded." if program_level
            else "")
        self.patient_hint.setVisible(program_level)

    def show_error(self, text: str | None, *, warning: bool = False) -> None:
        self.error.setStyleSheet(WARNING_STYLE if warning else ERROR_STYLE)
        self.error.setText(text or "")
        self.error.setVisible(bool(text))
        if text:
            grow(self)

    def submit(self) -> None:
        category = self.activities.chosen()
        if category is None:
            self.show_error("Choose an activity from the list.")
            self.activities.setFocus()
            return
        patient = self.picker.chosen()
        if category.program is not None and patient is None:
            self.show_error("Choose a patient first: type a name or MRN, then press Enter.")
            self.picker.search.setFocus()
            return
        mrn = patient.mrn if category.program is not None else None
        warning = self.fit.question(mrn, category, self.activities.programs)
        if warning:
            verb = "Switch" if self._live else "Start"
            self.show_error(f"{warning} Choose one of their activities (listed first), or "
                            f"press {verb} anyway.", warning=True)
            self.start_button.setText("S&witch anyway" if self._live else "&Start anyway")
            self.activities.setFocus()
            return
        self.submitted.emit(mrn, category.slug, self.note.text().strip())

    def keyPressEvent(self, event) -> None:
        # Enter on a field that does not handle it must not close or submit the dialog.
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            return
        super().keyPressEvent(event)
