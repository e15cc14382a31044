"""Correcting an entry: change its times, note, activity or patient, or void it. A reason is
always required, and the original is kept as an earlier version (services.entries does the
keeping). An activity of a program the patient is not enrolled in is asked about before it
is saved, as when timing (it would count toward no bill)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from PySide6.QtCore import QDateTime, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ccm_timer.errors import UserError
from ccm_timer.services.context import AppContext
from ccm_timer.services.people.patient_search import PatientIndex
from ccm_timer.services.timing import categories as activities
from ccm_timer.services.timing.entry_values import EntryView
from ccm_timer.ui.overview.month_names import local_clock, local_day
from ccm_timer.ui.overview.rows import exact
from ccm_timer.ui.pickers import WARNING_STYLE, FitCheck, PatientPicker, grow
from ccm_timer.ui.presenters import tray_text
from ccm_timer.ui.style import ERROR_STYLE, TITLE_STYLE

STAMP = "yyyy-MM-dd HH:mm"


@dataclass(frozen=True)
class EntryChoices:
    """What a correction may move an entry to: the patients, the activities, and the
    programs a patient (by MRN) is enrolled in on a day."""

    index: PatientIndex
    categories: list
    programs: Callable[[str, date], tuple[str, ...]]


def entry_choices(ctx: AppContext) -> EntryChoices:
    return EntryChoices(PatientIndex.load(ctx), activities.list_categories(ctx),
                        lambda mrn, day: activities.patient_programs(ctx, mrn, day))


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

    def show_error(self, text: str | None, *, warning: bool = False) -> None:
        self.error.setStyleSheet(WARNING_STYLE if warning else ERROR_STYLE)
        self.error.setText(text or "")
        self.error.setVisible(bool(text))
        if text:
            grow(self)

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
    """`submitted` carries the times and the note; subject_changes() the patient and the
    activity, for entries.edit."""

    # start and end (naive wall times in the clinic zone, None if unchanged), note or None,
    # reason
    submitted = Signal(object, object, object, str)

    def __init__(self, view: EntryView, zone, parent: QWidget | None = None,
                 choices: EntryChoices | None = None) -> None:
        super().__init__("Correct an entry", "&Save correction", parent)
        self.view = view
        self.choices = choices
        self.fit = FitCheck()
        self._programs: dict[str, tuple[str, ...] | None] = {}
        self.day = (view.start or view.created_at).astimezone(zone).date()
        self.what.setText(describe(view, zone))
        self.start = QDateTimeEdit(_qt(view.start, zone), displayFormat=STAMP,
                                   calendarPopup=True) if view.start else None
        self.end = QDateTimeEdit(_qt(view.end, zone), displayFormat=STAMP,
                                 calendarPopup=True) if view.end else None
        self._start0 = self.start.dateTime() if self.start else None
        self._end0 = self.end.dateTime() if self.end else None
        self.note = QLineEdit(view.note)
        self.patient_row: QWidget | None = None
        self.picker: PatientPicker | None = None
        self.activity: QComboBox | None = None
        if choices is not None:
            self._subject_rows(view, choices)
        if self.start and self.end:
            self.form.addRow("&Start", self.start)
            self.form.addRow("&End", self.end)
        self.form.addRow("&Note", self.note)
        self.form.addRow("&Reason", self.reason)
        self.kept.setText(f"Times are {zone.key} time. The original stays in the record as "
                          "an earlier version.")
        self.reason.setFocus()

    # -- patient and activity ----------------------------------------------------------

    def _subject_rows(self, view: EntryView, choices: EntryChoices) -> None:
        self.activity = QComboBox()
        self.activity.setAccessibleName("Activity")
        self.activity.currentIndexChanged.connect(self._changed)
        if view.patient_mrn is not None:  # program-level time stays without a patient
            self.patient_shown = shown = QLabel(f"{view.patient_name}    {view.patient_mrn}")
            change = QPushButton("C&hange patient…")
            change.setAutoDefault(False)
            row = QHBoxLayout()
            row.setContentsMargins(0, 0, 0, 0)
            row.addWidget(shown, 1)
            row.addWidget(change)
            self.patient_row = QWidget()
            self.patient_row.setLayout(row)
            self.picker = PatientPicker()
            self.picker.set_index(choices.index)
            self.picker.hide()
            self.picker.results.setMinimumHeight(80)  # a few matches; the form stays short
            self.picker.results.setMaximumHeight(120)
            self.picker.highlighted.connect(self._patient_picked)
            change.clicked.connect(self._show_picker)
            self.form.addRow("Patient", self.patient_row)  # its button has the key
            self.form.addRow("", self.picker)
        self.form.addRow("&Activity", self.activity)
        self._fill_activities()

    def _patient_picked(self, patient) -> None:
        was = f"{self.view.patient_name}    {self.view.patient_mrn}"
        moved = patient is not None and patient.mrn != self.view.patient_mrn
        self.patient_shown.setText(f"{was}  →  {patient.display_name}    {patient.mrn}"
                                   if moved else was)
        self._fill_activities()

    def _show_picker(self) -> None:
        assert self.picker is not None
        self.picker.show()
        self.picker.search.setFocus()
        grow(self)

    def patient_mrn(self) -> str | None:
        """The patient the entry would be for."""
        chosen = self.picker.chosen() if self.picker is not None else None
        return chosen.mrn if chosen is not None else self.view.patient_mrn

    def programs(self) -> tuple[str, ...] | None:
        mrn = self.patient_mrn()
        if self.choices is None or mrn is None:
            return None
        if mrn not in self._programs:  # one read per patient highlighted
            try:
                self._programs[mrn] = self.choices.programs(mrn, self.day)
            except UserError:  # the save will say what is wrong
                self._programs[mrn] = None
        return self._programs[mrn]

    def _fill_activities(self) -> None:
        """The patient's programs' activities first; the one chosen stays chosen."""
        assert self.activity is not None and self.choices is not None
        keep = self.category_slug()
        with_patient = self.view.patient_mrn is not None
        found = [c for c in self.choices.categories if (c.program is not None) == with_patient]
        own, rest = activities.for_programs(found, self.programs() or ())
        self.activity.blockSignals(True)
        self.activity.clear()
        for category in own:
            self.activity.addItem(tray_text.activity(category), category)
        if own and rest:
            self.activity.insertSeparator(self.activity.count())
        for category in rest:
            self.activity.addItem(tray_text.activity(category), category)
        at = next((i for i in range(self.activity.count())
                   if getattr(self.activity.itemData(i), "slug", None) == keep), 0)
        self.activity.setCurrentIndex(at)
        self.activity.blockSignals(False)
        self._changed()

    def category_slug(self) -> str:
        chosen = self.activity.currentData() if self.activity is not None else None
        return chosen.slug if chosen is not None else self.view.category

    def subject_changes(self) -> dict[str, str]:
        """entries.edit's patient_mrn and category_slug, for what was changed only."""
        found: dict[str, str] = {}
        mrn = self.patient_mrn()
        if mrn is not None and mrn != self.view.patient_mrn:
            found["patient_mrn"] = mrn
        if self.category_slug() != self.view.category:
            found["category_slug"] = self.category_slug()
        return found

    def _changed(self, *_args) -> None:
        self.fit.reset()
        self.ok.setText("&Save correction")
        self.show_error(None)

    def _fit_question(self) -> str | None:
        if self.activity is None or self.activity.currentData() is None:
            return None
        category = self.activity.currentData()
        # Only the patient changed: the entry keeps the program it counted toward.
        program = self.view.program if category.slug == self.view.category else None
        return self.fit.question(self.patient_mrn(), category, self.programs(), program)

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
        if start is None and end is None and note_change is None and not (
                self.subject_changes()):
            self.show_error("Nothing was changed; change the times, the note, the activity "
                            "or the patient, or cancel.")
            return
        warning = self._fit_question()
        if warning:
            self.show_error(f"{warning} Choose one of their activities (listed first), or "
                            "press Save anyway.", warning=True)
            self.ok.setText("&Save anyway")
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
