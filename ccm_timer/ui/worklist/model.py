"""The worklist's table model: the presenter's cells (ui/presenters/worklist.py), sorted by
the column's key, never by its text ("9 min" after "10 min" otherwise)."""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont

from ccm_timer.services.month.worklist import WorkRow
from ccm_timer.ui.presenters import worklist as text

ROW_ROLE = Qt.ItemDataRole.UserRole + 1
Index = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()


class WorklistModel(QAbstractTableModel):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.rows: list[WorkRow] = []
        self.days_left = 0
        self.masked = True
        self._bold = QFont()
        self._bold.setBold(True)

    def set_rows(self, rows, days_left: int, masked: bool) -> None:
        self.beginResetModel()
        self.rows, self.days_left, self.masked = list(rows), days_left, masked
        self.endResetModel()

    def rowCount(self, parent: Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(text.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole):
        if orientation is not Qt.Orientation.Horizontal:
            return None
        column = text.COLUMNS[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.title
        if role == Qt.ItemDataRole.ToolTipRole:
            return column.tip or None
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        column = text.COLUMNS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.text(row, self.days_left, self.masked)
        if role == ROW_ROLE:
            return row
        if role == Qt.ItemDataRole.FontRole and column.title == "Contact" and row.no_contact:
            return self._bold
        if role == Qt.ItemDataRole.FontRole and column.title == "Claim" and row.held:
            return self._bold  # time on this row pays nothing until the reason is fixed
        if role == Qt.ItemDataRole.ToolTipRole and column.title == "Claim" and row.held:
            return text.claim(row)  # the whole reason, however narrow the column
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        key = text.COLUMNS[column].key
        self.layoutAboutToBeChanged.emit()
        kept = self.persistentIndexList()  # the selection follows its patient
        held = [(self.rows[i.row()], i.column()) for i in kept]
        self.rows.sort(key=lambda r: key(r, self.masked),
                       reverse=order is Qt.SortOrder.DescendingOrder)
        where = {id(r): n for n, r in enumerate(self.rows)}
        self.changePersistentIndexList(
            kept, [self.index(where[id(r)], c) for r, c in held])
        self.layoutChanged.emit()
