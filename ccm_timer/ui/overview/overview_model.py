"""The overview table: a model of OverviewRows, and a proxy that filters and sorts it.

Every column sorts by a value (seconds, cents, minutes to go), never by its displayed text,
so "9" sorts before "10".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QColor, QFont

from ccm_timer.core.parse import fold
from ccm_timer.ui.overview.rows import APPROVED, REOPENED, OverviewRow, exact, minutes

ROW_ROLE = Qt.ItemDataRole.UserRole
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
NONE_LAST = 10**9  # "nothing ahead" sorts after any real number of seconds
HELD_TEXT = QColor("#b45309")
APPROVED_TEXT = QColor("#15803d")
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
Index = QModelIndex | QPersistentModelIndex
ROOT = QModelIndex()  # the invisible root: a table's rows have no parent


class Column:
    """Header, displayed text, sort value and tooltip of one column."""

    def __init__(self, title: str, text: Callable[[OverviewRow], str],
                 key: Callable[[OverviewRow], Any], tip: Callable[[OverviewRow], str],
                 numeric: bool = False) -> None:
        self.title, self.text, self.key, self.tip, self.numeric = title, text, key, tip, numeric


def _seconds(title: str, get: Callable[[OverviewRow], int]) -> Column:
    return Column(title, lambda r: minutes(get(r)), get, lambda r: exact(get(r)), numeric=True)


COLUMNS: tuple[Column, ...] = (
    Column("Patient", lambda r: r.name, lambda r: r.name_key, lambda r: r.name),
    Column("MRN", lambda r: r.mrn, lambda r: r.mrn, lambda r: r.mrn),
    Column("Programs", lambda r: r.programs, lambda r: r.programs, lambda r: r.programs),
    _seconds("Staff min", lambda r: r.staff_seconds),
    _seconds("Practitioner min", lambda r: r.practitioner_seconds),
    _seconds("Total min", lambda r: r.total_seconds),
    Column("Codes earned", lambda r: r.codes_text, lambda r: r.billable_cents,
           lambda r: r.codes_tooltip),
    Column("Approval", lambda r: r.approval, lambda r: r.approval_order,
           lambda r: r.approval_tip),
    Column("Next threshold", lambda r: "; ".join(p.caption for p in r.progress),
           lambda r: NONE_LAST if r.nearest_seconds is None else r.nearest_seconds,
           lambda r: "\n".join(f"{p.program}: {exact(p.seconds)}; {p.caption}"
                               for p in r.progress)),
    Column("Needs attention", lambda r: "; ".join(r.attention), lambda r: len(r.attention),
           lambda r: r.attention_tooltip),
)
NAMES = {c.title: i for i, c in enumerate(COLUMNS)}
PROGRESS_COLUMN = NAMES["Next threshold"]


class OverviewModel(QAbstractTableModel):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.rows: list[OverviewRow] = []
        self._keys: dict[int, list[Any]] = {}

    def set_rows(self, rows: list[OverviewRow]) -> None:
        self.beginResetModel()
        self.rows = rows
        self._keys: dict[int, list[Any]] = {}
        self.endResetModel()

    def sort_keys(self, column: int) -> list[Any]:
        """Every row's sort value for a column, computed once per load (sorting 2,000 rows
        asks for about 40,000 comparisons)."""
        if column not in self._keys:
            self._keys[column] = [COLUMNS[column].key(row) for row in self.rows]
        return self._keys[column]

    def rowCount(self, parent: Index = ROOT) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = ROOT) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section].title
        if role == Qt.ItemDataRole.TextAlignmentRole and COLUMNS[section].numeric:
            return _RIGHT
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, column = self.rows[index.row()], COLUMNS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.text(row)
        if role == SORT_ROLE:
            return column.key(row)
        if role == ROW_ROLE:
            return row
        if role == Qt.ItemDataRole.ToolTipRole:
            return column.tip(row)
        if role == Qt.ItemDataRole.TextAlignmentRole and column.numeric:
            return _RIGHT
        if role == Qt.ItemDataRole.ForegroundRole and column.title == "Codes earned":
            return HELD_TEXT if row.held_text and not row.billable_text else None
        if role == Qt.ItemDataRole.ForegroundRole and column.title == "Approval":
            return {APPROVED: APPROVED_TEXT, REOPENED: HELD_TEXT}.get(row.approval)
        if role == Qt.ItemDataRole.FontRole and column.title == "Approval" and (
                row.approval == REOPENED):
            font = QFont()
            font.setBold(True)  # a reopened month is the one thing a clerk must not miss
            return font
        return None


class OverviewFilter(QSortFilterProxyModel):
    """Sorts by SORT_ROLE; keeps rows matching the search text and the ticked filters."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)
        self.setSortCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self._near_only = False
        self._consent_only = False
        self._query = ""

    def set_filters(self, *, near_only: bool | None = None, consent_only: bool | None = None,
                    query: str | None = None) -> None:
        self.beginFilterChange()
        if near_only is not None:
            self._near_only = near_only
        if consent_only is not None:
            self._consent_only = consent_only
        if query is not None:
            self._query = fold(query.strip())
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def lessThan(self, left: Index, right: Index) -> bool:
        model = self.sourceModel()
        assert isinstance(model, OverviewModel)
        keys = model.sort_keys(left.column())
        return keys[left.row()] < keys[right.row()]

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        model = self.sourceModel()
        assert isinstance(model, OverviewModel)
        row = model.rows[source_row]
        if self._near_only and not row.near_threshold:
            return False
        if self._consent_only and not row.missing_consent:
            return False
        return not self._query or self._query in fold(f"{row.name} {row.mrn}")

    def row_at(self, proxy_row: int) -> OverviewRow:
        return self.index(proxy_row, 0).data(ROW_ROLE)
