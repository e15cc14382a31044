"""Importing a roster with a preview: choose the file and its encoding (guessed, changeable),
see the columns matched, every bad row with its line and reason, and the counts; nothing is
written until Import, and then exactly the rows shown (services/people/roster_preview.py).

Used by the setup window and, later, the patients window:
`RosterImportDialog(ctx, signer=lambda: person, parent)`, `.imported(int)` after a write.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
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

from ccm_timer.errors import UserError
from ccm_timer.services.context import AppContext
from ccm_timer.services.people import roster_preview
from ccm_timer.services.people.access import Signer
from ccm_timer.ui import window_fit
from ccm_timer.ui.presenters.gui_words import error_text
from ccm_timer.ui.style import ERROR_STYLE, TITLE_STYLE


class RosterImportDialog(QDialog):
    imported = Signal(int)  # patients written

    def __init__(self, ctx: AppContext, *, signer: Callable[[], Signer | None],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import a patient roster")
        self.ctx = ctx
        self.signer = signer
        self.shown: roster_preview.Preview | None = None
        self.path = QLineEdit(readOnly=True, placeholderText="No file chosen yet")
        self.path.setAccessibleName("Roster file")
        self.choose = QPushButton("&Choose file…")
        self.choose.clicked.connect(self._choose)
        self.encoding = QComboBox()
        for codec, words in roster_preview.ENCODINGS.items():
            self.encoding.addItem(words, codec)
        self.encoding.setEnabled(False)
        self.encoding.activated.connect(lambda _i: self.check())
        self.summary = QLabel("Choose the roster file (CSV, as saved by a spreadsheet or the "
                              "practice system). Nothing is written until you choose Import.",
                              wordWrap=True)
        self.columns = QLabel(wordWrap=True)
        self.columns.setTextFormat(Qt.TextFormat.PlainText)
        self.problems = QTableWidget(0, 2)
        self.problems.setHorizontalHeaderLabels(["Line", "Problem"])
        self.problems.setAccessibleName("Rows with a problem")
        self.problems.verticalHeader().hide()
        self.problems.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.problems.setWordWrap(True)
        header = self.problems.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.problems.hide()
        self.error = QLabel(styleSheet=ERROR_STYLE, wordWrap=True)
        self.error.hide()
        where = QHBoxLayout()
        where.addWidget(self.path, 1)
        where.addWidget(self.choose)
        form = QFormLayout()
        form.addRow(QLabel("&File", buddy=self.path), where)
        form.addRow(QLabel("&Encoding", buddy=self.encoding), self.encoding)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.again = buttons.addButton("Check a&gain", QDialogButtonBox.ButtonRole.ActionRole)
        self.import_button = buttons.addButton("&Import", QDialogButtonBox.ButtonRole.AcceptRole)
        self.again.clicked.connect(self.check)
        self.import_button.clicked.connect(self.confirm)
        buttons.rejected.connect(self.close)
        title = QLabel("Patients from a roster file", styleSheet=TITLE_STYLE)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addLayout(form)
        layout.addWidget(self.summary)
        layout.addWidget(self.columns)
        layout.addWidget(self.problems, 1)
        layout.addWidget(self.error)
        layout.addStretch(0)
        layout.addWidget(buttons)
        self._enable()
        self.sizes = window_fit.prepare(self, ctx.paths.settings_dir, "roster-import",
                                        QSize(820, 560))

    # -- reading ------------------------------------------------------------------------

    def _choose(self) -> None:
        chosen, _ = QFileDialog.getOpenFileName(self, "Roster file", self.path.text(),
                                                "Roster (*.csv *.txt);;All files (*)")
        if chosen:
            self.open_file(Path(chosen))

    def open_file(self, path: Path) -> None:
        """Preview `path` in the encoding guessed from its bytes."""
        self.path.setText(str(path))
        self.check(guess=True)

    def check(self, guess: bool = False) -> None:
        """Preview the chosen file again (it may have been fixed meanwhile)."""
        if not self.path.text():
            return
        codec = None if guess else self.encoding.currentData()
        try:
            shown = roster_preview.preview(self.ctx, Path(self.path.text()), codec)
        except UserError as exc:
            self.shown = None
            self._show_error(error_text(exc))
            self._enable()
            return
        self._show_error(None)
        self.show_preview(shown)

    def show_preview(self, shown: roster_preview.Preview) -> None:
        self.shown = shown
        self.encoding.setCurrentIndex(max(0, self.encoding.findData(shown.encoding)))
        self.summary.setText(shown.summary())
        matched = ", ".join(f"{what} ← “{header}”" for what, header in shown.columns)
        unused = (f"\nNot used: {', '.join(shown.unused)} (no column of CCM Timer has that "
                  "name)") if shown.unused else ""
        self.columns.setText(f"Columns matched: {matched}{unused}" if matched else "")
        self.columns.setVisible(bool(matched))
        rows = shown.problems if shown.checked is not None else []  # else: the summary
        self.problems.setRowCount(len(rows))
        for index, problem in enumerate(rows):
            line = QTableWidgetItem(str(problem.line) if problem.line else "")
            line.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
            self.problems.setItem(index, 0, line)
            reason = problem.reason[:1].upper() + problem.reason[1:]
            item = QTableWidgetItem(reason)
            item.setToolTip(reason)
            self.problems.setItem(index, 1, item)
        self.problems.resizeRowsToContents()
        self.problems.setVisible(bool(rows))
        self._enable()

    # -- writing ------------------------------------------------------------------------

    def confirm(self) -> int:
        """Write the rows previewed; the number of patients written (0 when refused)."""
        if self.shown is None:
            return 0
        try:
            result = roster_preview.write(self.ctx, self.shown, self.signer())
        except UserError as exc:
            self._show_error(error_text(exc))
            return 0
        self.shown = None
        self._enable()
        self.summary.setText(f"Imported {result.imported} patient(s). Choose another file to "
                             "import more, or close this window.")
        self.columns.hide()
        self.imported.emit(result.imported)
        return result.imported

    def _enable(self) -> None:
        ready = self.shown is not None and self.shown.ready
        self.import_button.setEnabled(ready)
        self.import_button.setDefault(ready)
        self.again.setEnabled(bool(self.path.text()))
        self.encoding.setEnabled(bool(self.path.text()))

    def _show_error(self, text: str | None) -> None:
        self.error.setText(text or "")
        self.error.setVisible(bool(text))

    def closeEvent(self, event: QCloseEvent) -> None:
        self.sizes.save(self)
        super().closeEvent(event)
