"""The export history: who exported what, when, the file's SHA-256, and whether each
delivery arrived (with the target's last answer when it did not); those with the export
duty send failed deliveries again (a file already made: no password)."""

from __future__ import annotations

from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

import ccm_timer.ui.export.export_text as export_text
from ccm_timer.errors import UserError
from ccm_timer.services.context import AppContext
from ccm_timer.services.exports import history
from ccm_timer.services.people.access import Signer
from ccm_timer.services.security.audit_reads import Read, record_read
from ccm_timer.ui.overview.month_names import month_title
from ccm_timer.ui.presenters.gui_words import error_text
from ccm_timer.ui.style import ERROR_STYLE

COLUMNS = ("When", "Who", "Month", "Patients", "Kind", "File SHA-256", "Delivery")
WIDTHS = (135, 120, 110, 120, 140, 120)
FAILED = QColor("#b91c1c")
NOTE_STYLE = "color: palette(placeholder-text);"
DONE_STYLE = "color: #15803d; font-weight: bold;"


class HistoryPanel(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.signer: Signer | None = None
        self.rows: list[history.HistoryRow] = []
        self._audited: str | None = None
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setAccessibleName("Export history")
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(True)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        for i, width in enumerate(WIDTHS):
            header.resizeSection(i, width)
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.message = QLabel(wordWrap=True)
        self.retry_button = QPushButton("Retry &failed deliveries")
        self.retry_button.clicked.connect(self.retry)
        refresh = QPushButton("Re&fresh")
        refresh.clicked.connect(self.reload)
        row = QHBoxLayout()
        row.addWidget(self.message, 1)
        row.addWidget(refresh)
        row.addWidget(self.retry_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addLayout(row)

    def set_signer(self, signer: Signer | None) -> None:
        if signer != self.signer:
            self._audited = None
        self.signer = signer
        self._buttons()

    def reload(self) -> None:
        self.rows = history.list_history(self.ctx)
        zone = self.ctx.zone
        self.table.setRowCount(len(self.rows))
        for i, r in enumerate(self.rows):
            delivery, failed = export_text.delivery_text(r.deliveries, zone)
            cells = (export_text.when_text(r.created_at, zone), r.actor, month_title(r.month),
                     export_text.scope_text(r.scope, r.approved_only),
                     export_text.kind_text(r.fmt, r.draft) + (" (amendment)" if r.amendment
                                                              else ""),
                     r.sha256[:12] + "…", delivery)
            for j, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if j == 5:
                    item.setToolTip(f"SHA-256 of the file: {r.sha256}")
                if j == 6:
                    item.setToolTip(delivery)
                    if failed:
                        item.setForeground(QBrush(FAILED))
                self.table.setItem(i, j, item)
        self.table.resizeRowsToContents()
        self._buttons()
        if self.signer is not None and self._audited != self.signer.name and self.rows:
            self._audited = self.signer.name
            record_read(self.ctx, self.signer.name, Read.REPORT, detail="export history")

    @property
    def failed_count(self) -> int:
        return sum(1 for r in self.rows for d in r.deliveries if str(d.state) == "failed")

    def _buttons(self) -> None:
        why = export_text.retry_refusal(self.signer)
        failed = self.failed_count
        self.retry_button.setEnabled(why is None and failed > 0)
        self.retry_button.setToolTip(why or "Queue the failed deliveries again, after the "
                                     "cause was fixed.")
        if why and failed:
            self.say(why, style=NOTE_STYLE)
        elif not self.rows:
            self.say("No export has been made yet.", style=NOTE_STYLE)
        elif self.message.styleSheet() == NOTE_STYLE:
            self.say("")  # a note about an earlier state (nobody may retry, no rows)

    def say(self, text: str, *, style: str = DONE_STYLE) -> None:
        self.message.setStyleSheet(style)
        self.message.setText(text)

    def retry(self) -> int:
        why = export_text.retry_refusal(self.signer)
        if why is not None or self.signer is None:
            self.say(why or "", style=ERROR_STYLE)
            return 0
        try:
            count = history.requeue_failed(self.ctx, self.signer)
        except UserError as exc:
            self.say(error_text(exc), style=ERROR_STYLE)
            return 0
        self.reload()
        self.say(f"{count} deliver{'y' if count == 1 else 'ies'} queued again; the tray "
                 f"sends {'it' if count == 1 else 'them'} in the background.")
        return count

