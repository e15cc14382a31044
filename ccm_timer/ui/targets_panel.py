"""Settings, delivery targets: where billing files go. Changes are saved at once (not with
the settings' Save), through the targets service: kind and address in the settings file, a
token or password only in the system keyring. An administrator's once the clinic has one:
for anyone else the list is shown without its buttons (the settings dialog says why)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ccm_timer.errors import UserError
from ccm_timer.services import settings_changes
from ccm_timer.services.context import AppContext
from ccm_timer.services.delivery import outbox, targets
from ccm_timer.services.people.access import Signer
from ccm_timer.ui.presenters.gui_words import error_text
from ccm_timer.ui.style import ERROR_STYLE
from ccm_timer.ui.target_dialog import KIND_NAMES, TargetDialog

COLUMNS = ("Name", "Kind", "Address", "Waiting")
HINT_STYLE = "color: palette(placeholder-text);"
MAX_ROWS_SHOWN = 6


class TargetsPanel(QGroupBox):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None, *,
                 signer: Callable[[], Signer | None] = lambda: None) -> None:
        """`signer`: the person signed in at the tray now (the controller's); nobody
        leaves the targets open only while the clinic has no administrator."""
        super().__init__("&Delivery targets", parent)
        self.ctx = ctx
        self.signer = signer
        self.dialog: TargetDialog | None = None
        self.confirm: QMessageBox | None = None
        self.listed: list[targets.Target] = []
        self.about = about = QLabel(wordWrap=True, styleSheet=HINT_STYLE)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setAccessibleName("Delivery targets")
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.empty = QLabel("No delivery target yet: billing files stay on this computer "
                            "until you add one.", wordWrap=True, styleSheet=HINT_STYLE)
        self.add_button = QPushButton("&Add target…")
        self.remove_button = QPushButton("Re&move")
        self.add_button.clicked.connect(self.show_add)
        self.remove_button.clicked.connect(self.ask_remove)
        self.table.itemSelectionChanged.connect(self._selected)
        self.error = QLabel(styleSheet=ERROR_STYLE, wordWrap=True)
        self.error.hide()
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(about)
        layout.addWidget(self.table)
        layout.addWidget(self.empty)
        layout.addWidget(self.error)
        layout.addLayout(buttons)

    # -- reading -----------------------------------------------------------------------

    def editable(self) -> bool:
        return settings_changes.may_change(self.ctx, self.signer())

    def reload(self) -> None:
        editable = self.editable()
        self.about.setText("Where billing files are sent. " + (
            "Changes here are saved at once; a token or password is kept in the system "
            "keyring, never in a file." if editable else "An administrator changes them."))
        self.add_button.setVisible(editable)
        self.remove_button.setVisible(editable)
        try:
            self.listed = targets.list_targets(self.ctx)
            waiting = [outbox.waiting_count(self.ctx, t.name) for t in self.listed]
        except UserError as exc:
            self.show_error(error_text(exc))
            return
        self.show_error(None)
        self.table.setRowCount(len(self.listed))
        for row, (target, count) in enumerate(zip(self.listed, waiting, strict=True)):
            cells = (target.name, KIND_NAMES[target.kind], target.url, str(count or ""))
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                if column == 3:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                          | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, column, item)
        self._fit_height()
        self.table.setVisible(bool(self.listed))
        self.empty.setVisible(not self.listed)
        self._selected()

    def _fit_height(self) -> None:
        """As tall as its rows (two to six), not a block of empty table."""
        shown = min(max(self.table.rowCount(), 2), MAX_ROWS_SHOWN)
        rows = sum(self.table.rowHeight(r) for r in range(min(shown, self.table.rowCount())))
        missing = max(0, shown - self.table.rowCount())  # room for a second row, empty
        rows += missing * self.table.verticalHeader().defaultSectionSize()
        self.table.setFixedHeight(self.table.horizontalHeader().height() + rows
                                  + 2 * self.table.frameWidth())

    def selected(self) -> targets.Target | None:
        rows = self.table.selectionModel().selectedRows()
        return self.listed[rows[0].row()] if rows else None

    def select(self, name: str) -> None:
        for row, target in enumerate(self.listed):
            if target.name == name:
                self.table.selectRow(row)

    def _selected(self) -> None:
        self.remove_button.setEnabled(self.selected() is not None)

    def show_error(self, text: str | None) -> None:
        self.error.setText(text or "")
        self.error.setVisible(bool(text))

    # -- adding --------------------------------------------------------------------------

    def show_add(self) -> TargetDialog:
        if self.dialog is None:
            self.dialog = TargetDialog(self)
            self.dialog.submitted.connect(self._add)
        self.dialog.prepare()
        self.dialog.show()
        self.dialog.raise_()
        return self.dialog

    def _add(self, kind: str, name: str, url: str, secret: str) -> None:
        dialog = self.dialog
        assert dialog is not None
        if any(t.name == name for t in self.listed):
            dialog.show_error(f"There is already a target named {name}; choose another name, "
                              "or remove that one first.")
            return
        try:
            targets.allowed(self.ctx, self.signer())  # refused before the keyring is touched
            if not secret:
                targets.delete_secret(name)  # none given: never deliver with an old one
            targets.add(self.ctx, name, kind=kind, url=url, secret=secret or None,
                        by=self.signer())
        except UserError as exc:
            dialog.show_error(error_text(exc))
            return
        dialog.accept()
        self.reload()
        self.select(name)

    # -- removing ------------------------------------------------------------------------

    def ask_remove(self) -> QMessageBox | None:
        target = self.selected()
        if target is None:
            return None
        try:
            waiting = outbox.waiting_count(self.ctx, target.name)
        except UserError as exc:
            self.show_error(error_text(exc))
            return None
        text = f"Remove the delivery target {target.name} ({target.url})?"
        if waiting:
            text += (f"\n\n{waiting} billing file{'s' if waiting != 1 else ''} still "
                     f"wait{'s' if waiting == 1 else ''} to be sent there; "
                     f"{'they' if waiting != 1 else 'it'} will be marked as not delivered.")
        box = QMessageBox(QMessageBox.Icon.Question, "Remove delivery target", text,
                          parent=self)
        remove = box.addButton("&Remove", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.buttonClicked.connect(lambda b: self.remove(target.name) if b is remove else None)
        self.confirm = box
        box.show()
        return box

    def remove(self, name: str) -> None:
        try:
            targets.allowed(self.ctx, self.signer())  # before the waiting files are dropped
            if outbox.waiting_count(self.ctx, name):
                outbox.drop_target(self.ctx, name)
            targets.remove(self.ctx, name, by=self.signer())
        except UserError as exc:
            self.show_error(error_text(exc))
            return
        self.reload()
