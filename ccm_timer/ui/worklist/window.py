"""The worklist window: who needs time this month, most minutes needed per day left first,
filtered by care manager and program, those with no contact yet flagged; one click (Start
timer, a double-click or Enter) opens the Start dialog for the row's patient.

It follows the tray: new time recorded anywhere (the controller's refresh after a commit)
recomputes it while it is shown, and its reads are audited under the person signed in.
Its title names only the month: a shared screen broadcasts window titles.
"""

from __future__ import annotations

import uuid

from PySide6.QtCore import QEvent, QModelIndex, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ccm_timer.core.access import Action
from ccm_timer.errors import UserError
from ccm_timer.services.month.worklist import NO_CARE_MANAGER, Worklist
from ccm_timer.services.people.access import Signer
from ccm_timer.services.security.audit_reads import Read, record_read
from ccm_timer.ui import window_fit
from ccm_timer.ui.presenters import worklist as text
from ccm_timer.ui.presenters.gui_words import error_text
from ccm_timer.ui.scope_line import ScopeLine
from ccm_timer.ui.style import ERROR_STYLE
from ccm_timer.ui.worklist.loader import ScopedWorklist, ScopedWorklistLoader
from ccm_timer.ui.worklist.model import ROW_ROLE, WorklistModel

EVERYONE = "everyone"
FOLLOW_MS = 1500  # after the tray's refresh: a burst of commits recomputes once
STALE_NS = 60 * 10**9  # a running timer's minutes grow with no commit: read again on return
_WIDTHS = {"Patient": 180, "MRN": 65, "Program": 65, "Minutes": 70, "Still needed": 185,
           "Per day left": 95, "Contact": 110, "Care manager": 120}
OFFICE_HINT = "Timers are started by clinical staff; you can open a patient's month."


class WorklistWindow(QWidget):
    reloaded = Signal()  # new rows are shown

    def __init__(self, flow, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.flow = flow
        self.ctx = flow.ctx
        self.signer: Signer | None = flow.signer
        self.worklist: Worklist | None = None
        self._audited: tuple[str, uuid.UUID] | None = None  # (month, person) last recorded
        self._own_filter_chosen = False  # the signed-in care manager's patients, at first
        self._read_at: int | None = None  # the clock's monotonic ns when the rows were read
        self.loader = ScopedWorklistLoader(self.ctx, self)
        self.loader.loaded.connect(self._arrived)
        self.loader.failed.connect(self._failed)
        self._follow = QTimer(self, singleShot=True, interval=FOLLOW_MS, timeout=self._changed)
        flow.controller.state_changed.connect(self._tray_changed)

        self.manager_box = QComboBox(minimumContentsLength=16)
        self.manager_box.setAccessibleName("Care manager")
        self.program_box = QComboBox(minimumContentsLength=10)
        self.program_box.setAccessibleName("Program")
        self.no_contact = QCheckBox("Only &no contact yet")
        self.no_contact.setToolTip("Patients with no time recorded this month yet")
        refresh = QPushButton("&Refresh", toolTip="Read the latest time (F5)")
        refresh.clicked.connect(self.reload)
        QShortcut(QKeySequence.StandardKey.Refresh, self, activated=self.reload)
        self.summary = QLabel(wordWrap=True)
        self.scope_line = ScopeLine()  # whose minutes: the clinic's as of a time, or ours
        self.error = QLabel(styleSheet=ERROR_STYLE, wordWrap=True)
        self.error.hide()

        self.model = WorklistModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSortIndicator(text.URGENCY_COLUMN,
                                                       Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        # A held claim's reason wraps in its row (money is never silent: never "Held: …");
        # only those rows grow (fitting every row's height would cost a long list).
        self.table.setWordWrap(True)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.model.layoutChanged.connect(self._fit_held_rows)
        self.model.modelReset.connect(self._fit_held_rows)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        for i, title in enumerate(text.TITLES):
            if title in _WIDTHS:
                header.resizeSection(i, _WIDTHS[title])
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.activated.connect(self._start_index)  # double-click or Enter
        self.empty = QLabel(alignment=Qt.AlignmentFlag.AlignCenter, wordWrap=True)
        self.empty.setStyleSheet("font-size: 15px; color: palette(placeholder-text);")
        self.pages = QStackedWidget()
        self.pages.addWidget(self.table)
        self.pages.addWidget(self.empty)

        self.start_button = QPushButton("&Start timer")
        self.start_button.setDefault(True)
        self.start_button.clicked.connect(self.start_current)
        self.open_button = QPushButton("&Open month…")
        self.open_button.setToolTip("The patient's month: entries, consent and flags")
        self.open_button.clicked.connect(self.open_current)
        self.hint = QLabel("Double-click a patient, or select one and press Enter, to start "
                           "a timer for them.", wordWrap=True)

        top = QHBoxLayout()
        top.addWidget(QLabel("Care &manager", buddy=self.manager_box))
        top.addWidget(self.manager_box)
        top.addSpacing(12)
        top.addWidget(QLabel("&Program", buddy=self.program_box))
        top.addWidget(self.program_box)
        top.addSpacing(12)
        top.addWidget(self.no_contact)
        top.addStretch(1)
        top.addWidget(refresh)
        bottom = QHBoxLayout()
        bottom.addWidget(self.hint, 1)
        bottom.addWidget(self.open_button)
        bottom.addWidget(self.start_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.scope_line)
        layout.addWidget(self.summary)
        layout.addWidget(self.error)
        layout.addWidget(self.pages, 1)
        layout.addLayout(bottom)

        self.manager_box.currentIndexChanged.connect(lambda _i: self._show_rows())
        self.program_box.currentIndexChanged.connect(lambda _i: self._show_rows())
        self.no_contact.toggled.connect(lambda _on: self._show_rows())
        self.setWindowTitle("Worklist")
        self._memory = window_fit.prepare(self, self.ctx.paths.settings_dir, "worklist",
                                          QSize(1160, 620))
        self._follow_signer_rights()  # the rows are read when it is shown (showEvent)

    # -- reading -----------------------------------------------------------------------

    @property
    def loading(self) -> bool:
        return self.loader.busy

    def reload(self) -> None:
        """Recompute the month, off the UI thread; the rows shown stay until it arrives."""
        self._follow.stop()
        self._read_at = self.ctx.clock.monotonic_ns()
        self.loader.request(None)

    def _tray_changed(self, _status=None) -> None:
        if self.isVisible():
            self._follow.start()  # restarted by each refresh: one recompute per burst

    def _changed(self) -> None:
        if self.isVisible():
            self.reload()

    def _arrived(self, read: ScopedWorklist) -> None:
        first = self.worklist is None
        self.worklist = wl = read.worklist
        self.scope_line.show_scope(read.scope)
        self._show_error(None)
        self.setWindowTitle(f"Worklist — {text.month_words(wl.month)}")
        self._fill_filters(wl, choose_own=first)
        self._show_rows()
        self._audit_read()
        self.reloaded.emit()

    def _failed(self, exc: BaseException) -> None:
        known = isinstance(exc, UserError)
        self._show_error(error_text(exc) if known else (
            f"The worklist could not be computed ({type(exc).__name__}); try Refresh."))
        if not known:
            raise exc  # a bug: logged in full by the app's error hook

    def _show_error(self, message: str | None) -> None:
        self.error.setText(message or "")
        self.error.setVisible(bool(message))

    def _audit_read(self) -> None:
        """A list of patients and their minutes was shown (HIPAA 164.312(b)): once per
        opening, month and person."""
        wl, signer = self.worklist, self.signer
        if wl is None or signer is None or not self.isVisible():
            return
        if self._audited != (wl.month, signer.id):
            self._audited = (wl.month, signer.id)
            record_read(self.ctx, signer.name, Read.REPORT, month=wl.month, detail="worklist")

    # -- filters -----------------------------------------------------------------------

    def _fill_filters(self, wl: Worklist, *, choose_own: bool) -> None:
        manager, program = self.manager_box.currentData(), self.program_box.currentData()
        for box in (self.manager_box, self.program_box):
            box.blockSignals(True)
        self.manager_box.clear()
        self.manager_box.addItem("Everyone", EVERYONE)
        for cid, name in wl.care_managers:
            self.manager_box.addItem(name, str(cid))  # text: Qt compares it in findData
        self.manager_box.addItem("No care manager", NO_CARE_MANAGER)
        self.program_box.clear()
        self.program_box.addItem("All programs", "")
        for name in wl.programs:
            self.program_box.addItem(name, name)
        own = str(self.signer.id) if self.signer is not None else None
        if choose_own and not self._own_filter_chosen and self.manager_box.findData(own) >= 0:
            manager = own  # a care manager sees their own patients first
            self._own_filter_chosen = True
        self.manager_box.setCurrentIndex(max(0, self.manager_box.findData(manager)))
        self.program_box.setCurrentIndex(max(0, self.program_box.findData(program)))
        for box in (self.manager_box, self.program_box):
            box.blockSignals(False)

    def choose(self, *, care_manager: uuid.UUID | str | None = None,
               program: str | None = None, no_contact_only: bool | None = None) -> None:
        """Set the filters as a person would (None leaves one as it is)."""
        if care_manager is not None:
            self.manager_box.setCurrentIndex(self.manager_box.findData(str(care_manager)))
        if program is not None:
            self.program_box.setCurrentIndex(self.program_box.findData(program))
        if no_contact_only is not None:
            self.no_contact.setChecked(no_contact_only)

    def shown_rows(self) -> list:
        return list(self.model.rows)

    def _show_rows(self) -> None:
        wl = self.worklist
        if wl is None:
            return
        manager = self.manager_box.currentData()
        chosen = manager if manager in (NO_CARE_MANAGER, EVERYONE, None) else uuid.UUID(manager)
        rows = wl.filtered(None if chosen in (EVERYONE, None) else chosen,
                           self.program_box.currentData() or None, self.no_contact.isChecked())
        current = self._current_row()
        # Full names, as in the overview: a nurse must know whom to call. The clinic's mask
        # setting covers the tooltip and notifications, seen by anyone near the screen; an
        # open window is behind the sign-in and the privacy lock.
        self.model.set_rows(rows, wl.days_left, masked=False)
        header = self.table.horizontalHeader()
        self.model.sort(header.sortIndicatorSection(), header.sortIndicatorOrder())
        self.summary.setText(text.summary(wl, rows))
        filtered = len(rows) != len(wl.rows)
        self.empty.setText("" if rows else text.empty_text(wl, filtered))
        self.pages.setCurrentWidget(self.table if rows else self.empty)
        self._select(current)

    def _fit_held_rows(self) -> None:
        vertical = self.table.verticalHeader()
        for n, row in enumerate(self.model.rows):
            if row.held:
                self.table.resizeRowToContents(n)
            elif vertical.sectionSize(n) != vertical.defaultSectionSize():
                vertical.resizeSection(n, vertical.defaultSectionSize())

    def _select(self, wanted) -> None:
        for n, row in enumerate(self.model.rows):
            if wanted is not None and (row.mrn, row.program) == (wanted.mrn, wanted.program):
                self.table.selectRow(n)
                return
        if self.model.rows:
            self.table.selectRow(0)

    # -- acting on a row ---------------------------------------------------------------

    def _current_row(self):
        index = self.table.currentIndex()
        return index.data(ROW_ROLE) if index.isValid() else None

    def _start_index(self, index: QModelIndex) -> None:
        self.table.setCurrentIndex(index)
        self.start_current()

    def start_current(self) -> None:
        row = self._current_row()
        if row is None:
            self._show_error("Select a patient in the list first, then start the timer.")
            return
        if self.signer is not None and not self.signer.may(Action.TIME):
            self._show_error(OFFICE_HINT)
            return
        self._show_error(None)
        self.flow.start_timer(row.mrn, program=row.program)  # the row's program, not the first

    def open_current(self) -> None:
        row = self._current_row()
        if row is None:
            self._show_error("Select a patient in the list first, then open their month.")
            return
        self._show_error(None)
        self.flow.show_patient(row.mrn)

    # -- the tray's person -------------------------------------------------------------

    def set_signer(self, signer: Signer | None) -> None:
        self.signer = signer
        self._follow_signer_rights()
        self._audit_read()

    def _follow_signer_rights(self) -> None:
        times = self.signer is None or self.signer.may(Action.TIME)
        self.start_button.setEnabled(times)
        self.start_button.setToolTip("" if times else OFFICE_HINT)

    # -- window events -----------------------------------------------------------------

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not event.spontaneous():
            self._audited = None  # opened again: a read again
            self.reload()

    def changeEvent(self, event) -> None:
        """Back to the window after a while: a running timer's minutes have grown."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.ActivationChange and self.isActiveWindow() and (
                self._read_at is not None and not self.loading
                and self.ctx.clock.monotonic_ns() - self._read_at > STALE_NS):
            self.reload()

    def closeEvent(self, event) -> None:
        self._memory.save(self)
        super().closeEvent(event)
