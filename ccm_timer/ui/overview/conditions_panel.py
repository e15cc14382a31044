"""The patient's conditions: the problem list (code, description, since, chronic), adding a
code checked against ICD-10-CM as it is typed, removal with a reason, and the history of
removed codes. A refused change shows the service's sentence here and writes nothing; a
removal asks the signed-in person's password first (attest_dialog.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDateEdit,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ccm_timer.core.access import Action
from ccm_timer.core.conditions import normalise
from ccm_timer.errors import UserError
from ccm_timer.services.context import AppContext
from ccm_timer.services.people import conditions
from ccm_timer.services.people.access import Signer
from ccm_timer.services.people.conditions import ConditionView
from ccm_timer.ui import attest_dialog
from ccm_timer.ui.overview.code_set import loader
from ccm_timer.ui.overview.record_access import note_label, show_note
from ccm_timer.ui.overview.record_dialogs import RemoveConditionDialog, pydate, qdate
from ccm_timer.ui.presenters import patient_record as words
from ccm_timer.ui.presenters.gui_words import error_text
from ccm_timer.ui.style import ERROR_STYLE, TITLE_STYLE

COLUMNS = ("Code", "Description", "Since", "Chronic")
HISTORY_COLUMNS = (*COLUMNS, "Added / removed")
GOOD_STYLE = "color: #15803d;"
HINT_STYLE = "color: #b45309;"
MUTED = "color: palette(placeholder-text);"


class ConditionsPanel(QWidget):
    changed = Signal()  # a condition was added or removed

    def __init__(self, ctx: AppContext, mrn: str, actor: Callable[[], str],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.mrn, self.actor = ctx, mrn, actor
        self.signer: Callable[[], Signer | None] = lambda: None  # set by the patient view
        self.refused: str | None = None  # why the signed-in person may not change it
        self.attest: attest_dialog.AttestDialog | None = None
        self.rows: list[ConditionView] = []
        self.needed, self.needed_by = 0, ""  # chronic conditions needed, by which programs
        self.dialog: RemoveConditionDialog | None = None
        self.summary = QLabel(styleSheet=TITLE_STYLE)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setAccessibleName("Conditions")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.history = QCheckBox("Show &removed conditions (history)")
        self.remove_button = QPushButton("&Remove selected…")
        self.code = QLineEdit(placeholderText="ICD-10-CM code, e.g. E11.9")
        self.code.setAccessibleName("ICD-10-CM code")
        self.code.setMinimumWidth(230)
        self.code.setMaximumWidth(260)
        self.has_since = QCheckBox("&Since")
        self.since = QDateEdit(calendarPopup=True, displayFormat="yyyy-MM-dd", enabled=False)
        self.since.setAccessibleName("Since")
        self.add_button = QPushButton("&Add condition")
        self.found = QLabel(wordWrap=True)  # the description of the code typed, or the hint
        self.error = QLabel(styleSheet=ERROR_STYLE, wordWrap=True)
        self.error.hide()
        self.note = note_label()
        self._layout()
        self.table.itemSelectionChanged.connect(self._selected)
        self.history.toggled.connect(lambda _on: self.reload())
        self.remove_button.clicked.connect(self.remove_selected)
        self.has_since.toggled.connect(self.since.setEnabled)
        self.code.textChanged.connect(self._typed)
        self.code.returnPressed.connect(self.add)
        self.add_button.clicked.connect(self.add)
        codes = loader()
        codes.ready.connect(self._code_set_ready)  # a bound slot: dropped with the panel
        codes.start()  # now, so it is read by the time a code is typed

    def _layout(self) -> None:
        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(self.history)
        top.addWidget(self.remove_button)
        add = QHBoxLayout()
        add.addWidget(QLabel("Add:", buddy=self.code))
        add.addWidget(self.code)
        add.addWidget(self.has_since)
        add.addWidget(self.since)
        add.addWidget(self.add_button)
        add.addWidget(self.found, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addLayout(add)
        layout.addWidget(self.note)
        layout.addWidget(self.error)

    # -- reading -----------------------------------------------------------------------

    def reload(self, needed: int | None = None, by: str = "") -> None:
        """Read the list again; `needed`: the chronic conditions the patient's programs
        (`by`) need (None keeps the last)."""
        if needed is not None:
            self.needed, self.needed_by = needed, by
        today = self.ctx.now().astimezone(self.ctx.zone).date()
        self.since.setMaximumDate(qdate(today))
        if not self.has_since.isChecked():
            self.since.setDate(qdate(today))
        try:
            found = conditions.list_for(self.ctx, self.mrn, history=self.history.isChecked())
        except UserError as exc:
            self.show_error(error_text(exc))
            return
        self.rows = found
        current = [c for c in found if c.removed_at is None]
        self.summary.setText(words.chronic_summary(current, self.needed, self.needed_by))
        columns = HISTORY_COLUMNS if self.history.isChecked() else COLUMNS
        self.table.clear()
        self.table.setColumnCount(len(columns))
        self.table.setHorizontalHeaderLabels(list(columns))
        self.table.setRowCount(len(found))
        for row, c in enumerate(found):
            cells = words.condition_cells(c)
            if self.history.isChecked():
                cells = (*cells, words.removal_text(c, self.ctx.zone))
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c.removed_at is not None:
                    item.setForeground(self.palette().placeholderText())
                self.table.setItem(row, column, item)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self._selected()

    def selected(self) -> ConditionView | None:
        rows = self.table.selectionModel().selectedRows()
        return self.rows[rows[0].row()] if rows else None

    def _selected(self) -> None:
        chosen = self.selected()
        self.remove_button.setEnabled(chosen is not None and chosen.removed_at is None
                                      and self.refused is None)

    def set_refusal(self, why: str | None) -> None:
        """Adding and removing are disabled, with `why` beside them, for someone who may
        not change the record (None: they may)."""
        self.refused = why
        for widget in (self.code, self.has_since, self.add_button):
            widget.setEnabled(why is None)
        self.since.setEnabled(why is None and self.has_since.isChecked())
        show_note(self.note, why)
        self._selected()

    def _code_set_ready(self) -> None:
        self._typed(self.code.text())

    def _typed(self, text: str) -> None:
        """Say what the code typed is, once it has a code's shape and the set is read."""
        self.show_error(None)
        try:
            normalise(text)
        except ValueError:
            self._found("", "")
            return
        if not loader().loaded:
            self._found("Reading the ICD-10-CM code set…", MUTED)
            return
        try:
            code, description = conditions.check_code(text)
        except UserError as exc:
            self._found(words.typing_hint(error_text(exc)), HINT_STYLE)
            return
        self._found(f"{code}: {description}", GOOD_STYLE)

    def _found(self, text: str, style: str) -> None:
        self.found.setText(text)
        self.found.setStyleSheet(style)

    def show_error(self, text: str | None) -> None:
        self.error.setText(text or "")
        self.error.setVisible(bool(text))

    # -- changing ----------------------------------------------------------------------

    def add(self) -> None:
        if self.refused is not None:
            self.show_error(self.refused)
            return
        since: date | None = pydate(self.since.date()) if self.has_since.isChecked() else None
        busy = not loader().loaded  # the check waits for the code set being read
        if busy:
            QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            added = conditions.add(self.ctx, self.mrn, self.code.text(), since,
                                   actor=self.actor())
        except UserError as exc:
            self.show_error(error_text(exc))
            return
        finally:
            if busy:
                QGuiApplication.restoreOverrideCursor()
        self.code.clear()
        self.has_since.setChecked(False)
        self._found(f"Added {added.code}: {added.description}"
                    + ("" if added.chronic else " (not on the chronic-condition list)"),
                    GOOD_STYLE)
        self.reload()
        self.changed.emit()

    def remove_selected(self) -> RemoveConditionDialog | None:
        if self.refused is not None:
            self.show_error(self.refused)
            return None
        chosen = self.selected()
        if chosen is None or chosen.removed_at is not None:
            self.show_error("Select a current condition in the list to remove it.")
            return None
        dialog = RemoveConditionDialog(chosen.code, chosen.description, self)
        dialog.submitted.connect(lambda reason: self._remove(dialog, reason))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog = dialog
        dialog.show()
        return dialog

    def _remove(self, dialog: RemoveConditionDialog, reason: str) -> None:
        def remove(signer: Signer) -> None:
            try:
                conditions.remove(self.ctx, self.mrn, dialog.code, reason, by=signer)
            except UserError as exc:
                dialog.show_error(error_text(exc))
                return
            dialog.accept()
            self.reload()
            self.changed.emit()

        self.attest = attest_dialog.ask(
            self.ctx, self.signer(), Action.REMOVE_CONDITION,
            f"Remove {dialog.code} from the problem list.", remove,
            dialog, refused=dialog.show_error)
