"""The patient view's two tables: the month's entries, and the versions of the one selected."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView

from ccm_timer.services.timing.entry_values import EntryView
from ccm_timer.ui.overview.month_names import local_clock, local_day
from ccm_timer.ui.overview.rows import exact, minutes

ENTRY_ROLE = Qt.ItemDataRole.UserRole
VOIDED_TEXT = QColor("#6b7280")
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
Index = QModelIndex | QPersistentModelIndex
ROOT = QModelIndex()  # the invisible root: a table's rows have no parent


def entry_status(view: EntryView) -> str:
    if view.voided:
        return f"Voided: {view.void_reason}"
    if view.state != "stopped":
        return "Running" if view.state == "running" else "Paused"
    if view.version > 1:
        return f"Edited (v{view.version}): {view.change_reason}"
    return ""


def plain_table(model: QAbstractTableModel) -> QTableView:
    """A read-only table of whole rows, one selected at a time."""
    view = QTableView()
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    view.verticalHeader().hide()
    view.horizontalHeader().setStretchLastSection(True)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    return view


class RowTable(QAbstractTableModel):
    """A read-only table over a list of plain rows, one function per column."""

    columns: Sequence[tuple[str, Callable[[Any], str]]] = ()
    numeric: frozenset[int] = frozenset()

    def __init__(self, zone, parent=None) -> None:
        super().__init__(parent)
        self.zone = zone
        self.rows: list = []

    def set_rows(self, rows: list) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent: Index = ROOT) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = ROOT) -> int:
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.columns[section][0]
        return None

    def text(self, row, column: int) -> str:
        return self.columns[column][1](row)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self.text(row, index.column())
        if role == ENTRY_ROLE:
            return row
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() in self.numeric:
            return _RIGHT
        return self.style(row, role)

    def style(self, row, role: int) -> Any:
        return None


class EntriesModel(RowTable):
    numeric = frozenset({2})

    def __init__(self, zone, parent=None) -> None:
        super().__init__(zone, parent)
        self.columns = (
            ("Day", lambda v: local_day(v.start, self.zone)),
            ("Time", lambda v: f"{local_clock(v.start, self.zone)}–"
                               f"{local_clock(v.end, self.zone)}"),
            ("Min", lambda v: minutes(v.seconds)),
            ("Clinician", lambda v: v.clinician),
            ("Role", lambda v: "practitioner" if v.clinician_role == "practitioner"
             else "staff"),
            ("Activity", lambda v: v.category_label),
            ("Program", lambda v: v.program or "—"),
            ("Note", lambda v: v.note),
            ("Status", entry_status),
        )

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.ToolTipRole and index.isValid() and index.column() == 2:
            return exact(self.rows[index.row()].seconds)
        return super().data(index, role)

    def style(self, row: EntryView, role: int) -> Any:
        if role == Qt.ItemDataRole.ForegroundRole and row.voided:
            return VOIDED_TEXT
        if role == Qt.ItemDataRole.FontRole and row.voided:
            font = QFont()
            font.setStrikeOut(True)
            return font
        return None

    def entry_at(self, row: int) -> EntryView:
        return self.rows[row]


class VersionsModel(RowTable):
    def __init__(self, zone, parent=None) -> None:
        super().__init__(zone, parent)
        self.columns = (
            ("Version", lambda r: f"v{r.version}" + (" (current)" if r.current else "")),
            ("When", lambda r: r.at.astimezone(self.zone).strftime("%Y-%m-%d %H:%M")),
            ("Who", lambda r: r.who),
            ("What changed", lambda r: r.what),
            ("Why", lambda r: r.why),
        )
