"""The audit trail for administrators (HIPAA 164.312(b)): a month's events, changes and
reads, in the columns of `ccm-timer audit list`, filtered by person and by patient MRN;
the locked sign-ins above them when there are any.

Everything comes through services/security/audit_view (no store or SQL here). Each month
read is a review, recorded as a read event; filtering the month already read is not.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QCloseEvent, QHideEvent, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ccm_timer.errors import UserError
from ccm_timer.services.context import AppContext
from ccm_timer.services.people.access import Signer
from ccm_timer.services.security import audit_view
from ccm_timer.services.security.audit_view import EventRow
from ccm_timer.ui import window_fit
from ccm_timer.ui.overview.entry_tables import RowTable, plain_table
from ccm_timer.ui.overview.month_names import month_title, recent_months
from ccm_timer.ui.presenters.gui_words import error_text
from ccm_timer.ui.style import BIG_STYLE, ERROR_STYLE

EVERYONE = "Everyone"
MONTHS_BACK = 36  # three years of trail in the picker; `audit list` reaches any month


class EventsModel(RowTable):
    def __init__(self, zone, parent=None) -> None:
        super().__init__(zone, parent)
        self.columns = tuple((name, lambda r, i=i: r.cells()[i])
                             for i, name in enumerate(audit_view.COLUMNS))


class AuditWindow(QWidget):
    """`viewer` gives the administrator signed in at the tray (a proven Signer); without
    one the trail opens only while the clinic has no administrator yet."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None, *,
                 viewer: Callable[[], Signer | None] | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.ctx, self._viewer = ctx, viewer or (lambda: None)
        self.rows: list[EventRow] = []  # the month as read; the table shows the filtered
        self._stale = False  # hidden since the last read: shown again, it reads again
        self.setWindowTitle("Audit trail — CCM Timer")
        self.locked = QLabel(styleSheet=ERROR_STYLE, wordWrap=True)
        self.locked.setAccessibleName("Locked sign-ins")
        self.locked.hide()
        self.heading = QLabel("Audit trail", styleSheet=BIG_STYLE)
        self.month_box = QComboBox()
        self.month_box.setAccessibleName("Month")
        for value in recent_months(ctx.now(), ctx.zone, MONTHS_BACK):
            self.month_box.addItem(month_title(value), value)
        self.person_box = QComboBox()
        self.person_box.setAccessibleName("Person")
        self.mrn_edit = QLineEdit(placeholderText="Patient MRN", clearButtonEnabled=True)
        self.mrn_edit.setAccessibleName("Patient MRN")
        refresh = QPushButton("&Refresh", toolTip="Read the latest events (F5)")
        refresh.clicked.connect(self.reload)
        QShortcut(QKeySequence.StandardKey.Refresh, self, activated=self.reload)
        self.model = EventsModel(ctx.zone, self)
        self.table = plain_table(self.model)
        self.error = QLabel(styleSheet=ERROR_STYLE, wordWrap=True)
        self.error.hide()
        self.count = QLabel()
        bar = QHBoxLayout()
        bar.addWidget(self.heading, 1)
        bar.addWidget(QLabel("Mont&h", buddy=self.month_box))
        bar.addWidget(self.month_box)
        bar.addWidget(QLabel("P&erson", buddy=self.person_box))
        bar.addWidget(self.person_box)
        bar.addWidget(QLabel("&Patient", buddy=self.mrn_edit))
        bar.addWidget(self.mrn_edit)
        bar.addWidget(refresh)
        layout = QVBoxLayout(self)
        layout.addWidget(self.locked)
        layout.addLayout(bar)
        layout.addWidget(self.error)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.count)
        self.month_box.currentIndexChanged.connect(lambda _i: self.reload())
        self.person_box.currentIndexChanged.connect(lambda _i: self.apply_filters())
        self.mrn_edit.textChanged.connect(lambda _t: self.apply_filters())
        self.reload()
        self.sizes = window_fit.prepare(self, ctx.paths.settings_dir, "audit", QSize(1100, 560))

    def closeEvent(self, event: QCloseEvent) -> None:
        self.sizes.save(self)
        super().closeEvent(event)

    def showEvent(self, event: QShowEvent) -> None:
        # Shown again (after a sign-out, or for the next administrator): the latest events,
        # under the person signed in now, and a review of its own.
        if self._stale:
            self._stale = False
            self.reload()
        super().showEvent(event)

    def hideEvent(self, event: QHideEvent) -> None:
        if not event.spontaneous():  # hidden, not merely minimised
            self._stale = True
        super().hideEvent(event)

    def month(self) -> str:
        return str(self.month_box.currentData())

    def show_month(self, month: str) -> None:
        found = self.month_box.findData(month)
        if found < 0:
            self.month_box.addItem(month_title(month), month)
            found = self.month_box.count() - 1
        if found == self.month_box.currentIndex():
            self.reload()
        else:
            self.month_box.setCurrentIndex(found)  # reloads

    def reload(self) -> None:
        """Read the chosen month again (a review, recorded) and the locked sign-ins."""
        try:
            rows = audit_view.list_events(self.ctx, self._viewer(), month=self.month(),
                                          where="audit window")
            locked = audit_view.locked_sign_ins(self.ctx)
        except UserError as exc:
            self.rows = []
            self.model.set_rows([])
            self.locked.hide()
            self.count.clear()
            self.error.setText(error_text(exc))
            self.error.show()
            return
        self.error.hide()
        self.rows = rows
        self.locked.setText("Sign-in locked: " + "; ".join(
            lock.describe(self.ctx.zone) for lock in locked))
        self.locked.setVisible(bool(locked))
        self._fill_people()
        self.apply_filters()
        self.table.resizeColumnsToContents()

    def _fill_people(self) -> None:
        chosen = self.person_box.currentText()
        self.person_box.blockSignals(True)  # one filter pass, after the list is whole
        self.person_box.clear()
        self.person_box.addItem(EVERYONE)
        self.person_box.addItems(audit_view.people(self.rows))
        self.person_box.setCurrentIndex(max(0, self.person_box.findText(chosen)))
        self.person_box.blockSignals(False)

    def apply_filters(self) -> None:
        person = self.person_box.currentText()
        mrn = self.mrn_edit.text().strip().upper()
        shown = [r for r in self.rows if (person in ("", EVERYONE) or r.actor == person)
                 and (not mrn or r.mrn.upper().startswith(mrn))]
        self.model.set_rows(shown)
        if self.error.isVisible():
            return
        of = f" of {len(self.rows)}" if len(shown) != len(self.rows) else ""
        self.count.setText(f"{len(shown)}{of} event(s) in {month_title(self.month())}, "
                           f"oldest first; times are {self.ctx.zone} time.")
