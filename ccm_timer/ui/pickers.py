"""Keyboard-first pickers shared by the start and add-time dialogs.

PatientPicker: one search field; the arrow keys move through the matches without leaving
it, Enter takes the highlighted patient. ActivityList: arrows and Enter, or type a letter;
the highlighted patient's programs' activities come first, the rest after a divider.
FitCheck: time on a program the patient is not enrolled in is asked about before it is
recorded (it would count toward no bill).
"""

from __future__ import annotations

from collections.abc import Collection

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ccm_timer.services.people.patient_search import PatientIndex
from ccm_timer.services.timing import categories as activities
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

    def choose(self, mrn: str) -> bool:
        """Find and highlight the patient with `mrn` (the worklist's one click)."""
        self.search.setText(mrn)
        for row in range(self.results.count()):
            found = self.results.item(row).data(ROLE)
            if found is not None and found.mrn.casefold() == mrn.casefold():
                self.results.setCurrentRow(row)
                return True
        return False

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


OTHERS = "Other activities: not this patient's programs"
WARNING_STYLE = "color: #92400e; font-weight: bold;"  # a question, not a refusal


class ActivityList(QListWidget):
    confirmed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Activity")
        self.setMinimumHeight(120)
        # A long activity wraps onto a second line rather than hiding behind a scroll bar.
        self.setWordWrap(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.itemDoubleClicked.connect(lambda _item: self.confirmed.emit())
        self._found: list = []
        self.programs: tuple[str, ...] | None = None  # the patient's, when one is highlighted

    def set_categories(self, found, keep: str | None = None,
                       programs: Collection[str] | None = None) -> None:
        """Fill with CategoryViews, `programs`' activities first; keep `keep` (a slug)
        highlighted if it is there, else the first one."""
        self._found = list(found)
        self._fill(keep, programs)

    def follow(self, programs: Collection[str] | None) -> None:
        """Reorder for the patient now highlighted (None: no patient): the activity chosen
        stays chosen if it is one of theirs, else their first activity is."""
        current = self.chosen()
        own, _ = activities.for_programs(self._found, programs or ())
        keep = current.slug if current is not None else None
        if programs is not None and own and current not in own:
            keep = own[0].slug
        self._fill(keep, programs)

    def _fill(self, keep: str | None, programs: Collection[str] | None) -> None:
        self.programs = tuple(programs) if programs is not None else None
        own, rest = activities.for_programs(self._found, programs or ())
        self.blockSignals(True)  # one change signal below, not one per row
        self.clear()
        for category in own:
            self._add(category)
        if own and rest:
            divider = QListWidgetItem(OTHERS)
            divider.setFlags(Qt.ItemFlag.NoItemFlags)  # the arrow keys step over it
            font = divider.font()
            font.setItalic(True)
            divider.setFont(font)
            self.addItem(divider)
        for category in rest:
            self._add(category)
        rows = [i for i in range(self.count()) if self.item(i).data(ROLE) is not None]
        chosen = next((i for i in rows if self.item(i).data(ROLE).slug == keep),
                      rows[0] if rows else -1)
        self.blockSignals(False)
        self.setCurrentRow(chosen)  # from none: one change signal

    def _add(self, category) -> None:
        item = QListWidgetItem(tray_text.activity(category))
        item.setData(ROLE, category)
        self.addItem(item)

    def chosen(self):
        item = self.currentItem()
        return item.data(ROLE) if item is not None else None

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in _ENTER and self.chosen() is not None:
            self.confirmed.emit()
            return
        super().keyPressEvent(event)


class FitCheck:
    """Time toward a program the patient is not enrolled in is asked about once: the first
    press says why and waits; a second press for the same patient and activity goes on."""

    def __init__(self) -> None:
        self._asked: tuple[str, str] | None = None

    def question(self, mrn: str | None, category, programs: Collection[str] | None,
                 program: str | None = None) -> str | None:
        """The warning to show instead of going on, or None to go on. `program`: the one
        the time counts toward when it is not the category's (an entry that named it)."""
        if mrn is None or programs is None:  # program-level time, or programs unknown
            return None
        warning = activities.not_enrolled(program or category.program, programs)
        if warning is None or self._asked == (mrn, category.slug):
            return None
        self._asked = (mrn, category.slug)
        return warning

    def reset(self) -> None:
        self._asked = None


def grow(dialog: QDialog) -> None:
    """Taller if a wrapped line needs it: a top-level window does not follow its labels'
    height for their width, so a long sentence would be cut off."""
    layout = dialog.layout()
    need = layout.totalHeightForWidth(dialog.width()) if layout.hasHeightForWidth() else (
        layout.sizeHint().height())
    if need > dialog.height():
        dialog.resize(dialog.width(), need)
