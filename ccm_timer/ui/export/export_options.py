"""The export window's choices: month, patients (all, one found by name or MRN, only the
approved), format, draft, and where the file goes (a file, or a delivery target)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QWidget,
)

import ccm_timer.ui.export.export_text as export_text
from ccm_timer.exports.formats import BILLING_FORMATS, FORMATS
from ccm_timer.services.context import AppContext
from ccm_timer.services.delivery import targets
from ccm_timer.services.people.patient_search import PatientIndex
from ccm_timer.ui.export.export_text import ONE, SCOPES
from ccm_timer.ui.overview.month_names import month_title, recent_months
from ccm_timer.ui.pickers import PatientPicker

NOTE_STYLE = "color: palette(placeholder-text);"


class ExportOptions(QWidget):
    changed = Signal()  # a choice that changes what the file carries

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.month_box = QComboBox()
        months = recent_months(ctx.now(), ctx.zone)
        for value in months:
            self.month_box.addItem(month_title(value), value)
        self.month_box.setCurrentIndex(months.index(
            export_text.default_month(ctx.now(), ctx.zone)))
        self.scope_box = QComboBox()
        for key, label in SCOPES:
            self.scope_box.addItem(label, key)
        self.picker = PatientPicker()
        self.picker.results.setMinimumHeight(90)
        self.picker.results.setMaximumHeight(120)
        self.picker.hide()
        self.format_box = QComboBox()
        for fmt in FORMATS:
            self.format_box.addItem(export_text.FORMAT_NAMES[fmt], str(fmt))
        self.format_box.setCurrentIndex(FORMATS.index("csv"))
        self.draft = QCheckBox("&Draft: include patients not approved yet (every line marked "
                               "draft; no password)")
        self.to_file = QRadioButton("Save to a &file")
        self.to_target = QRadioButton("&Queue for delivery to")
        self.to_file.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.to_file)
        group.addButton(self.to_target)
        self.path = QLineEdit()
        self.path.setAccessibleName("File to save")
        choose = QPushButton("C&hoose…")
        choose.clicked.connect(self.choose_file)
        self.target_box = QComboBox()
        self.target_note = QLabel(wordWrap=True, styleSheet=NOTE_STYLE)

        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("&Month:", self.month_box)
        form.addRow("&Patients:", self.scope_box)
        form.addRow("", self.picker)
        form.addRow("F&ormat:", self.format_box)
        form.addRow("", self.draft)
        file_row = QHBoxLayout()
        file_row.addWidget(self.to_file)
        file_row.addWidget(self.path, 1)
        file_row.addWidget(choose)
        target_row = QHBoxLayout()
        target_row.addWidget(self.to_target)
        target_row.addWidget(self.target_box, 1)
        form.addRow("Send:", file_row)
        form.addRow("", target_row)
        form.addRow("", self.target_note)

        for signal in (self.month_box.currentIndexChanged, self.scope_box.currentIndexChanged,
                       self.format_box.currentIndexChanged):
            signal.connect(lambda _i: self._changed())
        self.draft.toggled.connect(lambda _on: self._changed())
        self.picker.highlighted.connect(lambda _p: self._changed())
        self.to_target.toggled.connect(lambda _on: self._destination())
        self.picker.set_index(PatientIndex.load(ctx))
        self.load_targets()
        self._changed(quiet=True)

    @property
    def month(self) -> str:
        return self.month_box.currentData()

    @property
    def fmt(self) -> str:
        return self.format_box.currentData()

    @property
    def scope(self) -> str:
        return self.scope_box.currentData()

    @property
    def mrn(self) -> str | None:
        chosen = self.picker.chosen() if self.scope == ONE else None
        return chosen.mrn if chosen is not None else None

    @property
    def is_draft(self) -> bool:
        return self.fmt in BILLING_FORMATS and self.draft.isChecked()

    def load_targets(self) -> None:
        self.target_box.clear()
        for target in targets.list_targets(self.ctx):
            self.target_box.addItem(f"{target.name} ({target.kind})", target.name)
        has = self.target_box.count() > 0
        self.to_target.setEnabled(has)
        self.target_note.setText("" if has else "No delivery target is set up: an "
                                 "administrator adds one in Settings.")
        self.target_note.setVisible(not has)
        self._destination()

    def _destination(self) -> None:
        self.path.setEnabled(not self.to_target.isChecked())
        self.target_box.setEnabled(self.to_target.isChecked())

    def _changed(self, quiet: bool = False) -> None:
        self.picker.setVisible(self.scope == ONE)
        self.draft.setEnabled(self.fmt in BILLING_FORMATS)
        name = export_text.default_file_name(self.month, self.fmt, self.is_draft)
        folder = Path(self.path.text()).parent if self.path.text() else self._folder()
        self.path.setText(str(folder / name))
        if not quiet:
            self.changed.emit()

    def _folder(self) -> Path:
        documents = Path.home() / "Documents"
        return documents if documents.is_dir() else Path.home()

    def choose_file(self) -> None:
        found, _ = QFileDialog.getSaveFileName(self, "Save the export as", self.path.text())
        if found:
            self.path.setText(found)

