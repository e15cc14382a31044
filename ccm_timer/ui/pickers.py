"""Keyboard-first pickers shared by the start and add-time dialogs.

PatientPicker: one search field; the arrow keys move through the matches without leaving
it, Enter takes the highlighted patient. ActivityList: arrows and Enter, or type a letter.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from ccm_timer.services.people.patient_search import PatientIndex
from ccm_timer.ui.presenters import tray_text

_ENTER = (Qt.Key.Key_Return, Qt.Key.Key_Enter)
_MOVES = (Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_PageUp, Qt.Key.Key_PageDown)
ROLE = Qt.ItemDataRole.UserRole


def _is(event: QEvent, keys: tuple) -> bool:
    return event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent) and (
        event.key() in keys)


class PatientPicker(QWidget):
    confirmed = Signal()  # Enter on a highlighted patient
    highlighted = Signal(object)  # the PatientView now highlighted, or None

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._index = PatientIndex([])
        self.search = QLineEdit(placeholderText="Patient name or MRN", clearButtonEnabled=True)
        self.search.setAccessibleName("Patient search")
        self.results = QListWidget()
        self.results.setAccessibleName("Matching patients")
        self.results.setMinimumHeight(140)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.search)
        layout.addWidget(self.results)
        self.search.textChanged.connect(self._filter)
        self.search.installEventFilter(self)
        self.results.installEventFilter(self)
        self.results.itemDoubleClicked.connect(lambda _item: self.confirmed.emit())
        self.results.currentItemChanged.connect(lambda *_: self.highlighted.emit(self.chosen()))

    def set_index(self, index: PatientIndex) -> None:
        self._index = index
        self.search.clear()
        self._filter("")

    def _filter(self, text: str) -> None:
        self.results.clear()
        if not len(self._index):
            self._note("No patients yet: add them with `ccm-timer patient add` or import a "
                       "roster.")
            return
        found = self._index.search(text)
        for p in found:
            item = QListWidgetItem(f"{p.display_name}    {p.mrn}")
            item.setData(ROLE, p)
            self.results.addItem(item)
        if not found:
            self._note(f"No patient matches “{text.strip()}”.")
        elif text.strip():
            self.results.setCurrentRow(0)
        else:
            # Nothing typed: highlight no one, so Enter cannot start a timer for whoever
            # sorts first. Typing or the arrow keys choose.
            self.results.setCurrentRow(-1)

    def _note(self, text: str) -> None:
        item = QListWidgetItem(text)
        item.setFlags(Qt.ItemFlag.NoItemFlags)
        self.results.addItem(item)

    def chosen(self):
        """The highlighted PatientView, or None."""
        item = self.results.currentItem()
        return item.data(ROLE) if item is not None else None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.search and _is(event, _MOVES):
            self.results.keyPressEvent(event)  # move the highlight, keep typing focus
            return True
        if _is(event, _ENTER) and self.chosen() is not None:
            self.confirmed.emit()
            return True
        return super().eventFilter(watched, event)


class ActivityList(QListWidget):
    confirmed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Activity")
        self.setMinimumHeight(120)
        self.itemDoubleClicked.connect(lambda _item: self.confirmed.emit())

    def set_categories(self, found, keep: str | None = None) -> None:
        """Fill with CategoryViews; keep `keep` (a slug) highlighted if it is there."""
        self.clear()
        for category in found:
            item = QListWidgetItem(tray_text.activity(category))
            item.setData(ROLE, category)
            self.addItem(item)
            if category.slug == keep:
                self.setCurrentItem(item)
        if self.currentItem() is None and self.count():
            self.setCurrentRow(0)

    def chosen(self):
        item = self.currentItem()
        return item.data(ROLE) if item is not None else None

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in _ENTER and self.chosen() is not None:
            self.confirmed.emit()
            return
        super().keyPressEvent(event)
