"""The billing office's month close without a terminal: choose the month, the patients and
the format, see what the file would carry (who is left out, what is held, which rules are
uncertain) before anything is made, then save it to a file or queue it for a delivery
target. A billing file (not a draft) asks the signed-in person's password at that moment;
the month is read and the file made on a worker thread, with progress and Cancel.

Its title names no patient (window titles are broadcast when a screen is shared).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, QTimer
from PySide6.QtGui import QBrush, QCloseEvent, QColor, QShowEvent
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

import ccm_timer.ui.export.export_text as export_text
from ccm_timer.core.access import Action
from ccm_timer.errors import UserError
from ccm_timer.services.context import AppContext
from ccm_timer.services.exports import month_export, preflight
from ccm_timer.services.people.access import Signer
from ccm_timer.services.security.audit_reads import Read, record_read
from ccm_timer.ui import attest_dialog, window_fit
from ccm_timer.ui.export.export_options import ExportOptions
from ccm_timer.ui.export.export_text import APPROVED, ONE
from ccm_timer.ui.export.export_worker import Job, Stopped
from ccm_timer.ui.export.history_panel import DONE_STYLE, NOTE_STYLE, HistoryPanel
from ccm_timer.ui.overview.month_names import month_title
from ccm_timer.ui.presenters.gui_words import error_text
from ccm_timer.ui.style import ERROR_STYLE, TITLE_STYLE

MONEY_COLOR = "#b45309"  # amber: a notice about what is (not) billed
CHECK_AFTER_MS = 150  # options changed in a burst are checked once


class ExportWindow(QWidget):
    def __init__(self, ctx: AppContext, signer: Signer | None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.signer = ctx, signer
        self.setWindowTitle("CCM Timer: export billing files")
        self.attest: attest_dialog.AttestDialog | None = None
        self.preview: preflight.Preview | None = None
        self.check_job: Job | None = None
        self.export_job: Job | None = None
        self.last_result: month_export.ExportResult | None = None
        self._check_again = False
        self._audited: tuple[str, str, str | None] | None = None
        self.replace_box: QMessageBox | None = None  # "replace the file already there?"
        self._check_soon = QTimer(self, singleShot=True, interval=CHECK_AFTER_MS,
                                  timeout=self.check)

        self.options = ExportOptions(ctx)
        o = self.options  # the choices, as the window and its tests reach them
        self.month_box, self.scope_box, self.picker = o.month_box, o.scope_box, o.picker
        self.format_box, self.draft, self.path = o.format_box, o.draft, o.path
        self.to_file, self.to_target, self.target_box = o.to_file, o.to_target, o.target_box

        self.summary = QLabel(wordWrap=True, styleSheet=TITLE_STYLE)
        self.notices = QListWidget()
        self.notices.setAccessibleName("Before you export")
        self.notices.setWordWrap(True)
        self.notices.setSpacing(3)  # one notice from the next, at a glance
        checks = QGroupBox("Before you export")
        box = QVBoxLayout(checks)
        box.addWidget(self.summary)
        box.addWidget(self.notices, 1)

        self.message = QLabel(wordWrap=True)
        self.message.setObjectName("message")
        self.progress = QProgressBar(minimum=0, maximum=100)
        self.progress.setAccessibleName("Export progress")
        self.step = QLabel()
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        self.busy = QWidget()
        busy_row = QHBoxLayout(self.busy)
        busy_row.setContentsMargins(0, 0, 0, 0)
        busy_row.addWidget(self.progress, 1)
        busy_row.addWidget(self.step, 1)
        busy_row.addWidget(self.cancel_button)
        self.busy.hide()
        self.export_button = QPushButton("&Export…")
        self.export_button.setDefault(True)
        self.export_button.clicked.connect(self.ask_export)
        buttons = QHBoxLayout()
        buttons.addWidget(self.message, 1)
        buttons.addWidget(self.export_button)

        page = QWidget()
        top = QHBoxLayout()
        top.addWidget(self.options, 3)
        top.addWidget(checks, 2)
        layout = QVBoxLayout(page)
        layout.addLayout(top, 1)
        layout.addWidget(self.busy)
        layout.addLayout(buttons)
        self.history = HistoryPanel(ctx)
        self.tabs = QTabWidget()
        self.tabs.addTab(page, "E&xport")
        self.tabs.addTab(self.history, "Export &history")
        self.tabs.currentChanged.connect(lambda i: self.history.reload() if i == 1 else None)
        outer = QVBoxLayout(self)
        outer.addWidget(self.tabs)

        self.options.changed.connect(self.options_changed)
        self.memory = window_fit.prepare(self, ctx.paths.settings_dir, "export",
                                         QSize(1040, 620))
        self.set_signer(signer)  # checks the month too

    # -- the options ------------------------------------------------------------------

    @property
    def month(self) -> str:
        return self.options.month

    @property
    def fmt(self) -> str:
        return self.options.fmt

    @property
    def scope(self) -> str:
        return self.options.scope

    @property
    def mrn(self) -> str | None:
        return self.options.mrn

    @property
    def is_draft(self) -> bool:
        return self.options.is_draft

    def set_signer(self, signer: Signer | None) -> None:
        """Another person: what they may do, and the month checked again for them."""
        self.signer = signer
        self.history.set_signer(signer)
        self.options_changed()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt's name)
        """Opened again: a check cancelled at the close, or notices grown stale since, are
        checked again (a restore from the taskbar is the same window, as it was)."""
        super().showEvent(event)
        if not event.spontaneous():
            self.options_changed()

    def options_changed(self) -> None:
        self.preview = None
        self._buttons()
        self._check_soon.start()

    def _buttons(self) -> None:
        why = export_text.refusal(self.signer, self.fmt, self.is_draft)
        busy = self.export_job is not None
        self.export_button.setEnabled(why is None and not busy and self.preview is not None
                                      and self.preview.nothing is None)
        self.export_button.setText("&Export…" if export_text.is_billing_file(
            self.fmt, self.is_draft) else "&Export")
        if why and not busy:
            self.say(why, style=NOTE_STYLE)
        elif not busy and self.message.styleSheet() == NOTE_STYLE:
            self.say("")

    def say(self, text: str, *, style: str = DONE_STYLE) -> None:
        self.message.setStyleSheet(style)
        self.message.setText(text)

    # -- the check before exporting -----------------------------------------------------

    def check(self) -> None:
        """What the export would carry, read on the worker thread."""
        if self.scope == ONE and self.mrn is None:
            self.summary.setText("Choose the patient: type a name or MRN, then pick them.")
            self.notices.clear()
            return
        if self.check_job is not None:
            self._check_again = True
            self.check_job.cancel()
            return
        month, fmt, mrn, draft = self.month, self.fmt, self.mrn, self.is_draft
        approved = self.scope == APPROVED
        self.summary.setText(f"Checking {month_title(month)}…")
        self.notices.clear()
        self.check_job = Job(lambda progress: preflight.preview(
            self.ctx, month, fmt, mrn=mrn, draft=draft, approved_only=approved,
            progress=progress), self)
        self.check_job.finished.connect(self._checked)
        self.check_job.failed.connect(self._check_failed)
        self.check_job.start()

    def _check_over(self) -> bool:
        """The check ended; True when the options changed meanwhile (checked again)."""
        self.check_job = None
        if self._check_again:
            self._check_again = False
            self.check()
            return True
        return False

    def _checked(self, found: preflight.Preview) -> None:
        if self._check_over():
            return
        self.preview = found
        self.summary.setText(found.summary)
        self.notices.clear()
        if not found.notices:
            self.notices.addItem("Nothing is held, left out or uncertain.")
        for notice in found.notices:
            item = QListWidgetItem(f"{notice.source}: {notice.text}")
            if notice.money:
                item.setForeground(QBrush(QColor(MONEY_COLOR)))
            self.notices.addItem(item)
        self._audit(found.month, self.mrn if self.scope == ONE else None)
        self._buttons()

    def _check_failed(self, exc: BaseException) -> None:
        if self._check_over() or isinstance(exc, Stopped):
            return
        if not isinstance(exc, UserError):
            raise exc  # a bug: the app's error hook logs it in full
        self.summary.setText(error_text(exc))

    def _audit(self, month: str, mrn: str | None) -> None:
        """The check names patients: a read in the audit trail, once per person, month and
        patient (a one-patient check is a read of that patient)."""
        if self.signer is not None and self._audited != (self.signer.name, month, mrn):
            self._audited = (self.signer.name, month, mrn)
            record_read(self.ctx, self.signer.name, Read.REPORT, month=month, mrn=mrn,
                        detail="export check")

    # -- exporting ----------------------------------------------------------------------

    def ask_export(self) -> attest_dialog.AttestDialog | None:
        """Check the options, then the password for a billing file, then export."""
        why = export_text.refusal(self.signer, self.fmt, self.is_draft)
        problem = why or self._option_problem()
        if problem:
            self.say(problem, style=ERROR_STYLE)
            return None
        assert self.signer is not None
        if self._ask_replace():
            return None
        if not export_text.is_billing_file(self.fmt, self.is_draft):
            self.start_export(self.signer)
            return None
        return self._ask_password()

    def _ask_password(self) -> attest_dialog.AttestDialog | None:
        assert self.signer is not None
        count = self.preview.summary if self.preview else ""
        what = (f"Export the {export_text.SHORT_NAMES[self.fmt]} billing file of "
                f"{month_title(self.month)}: {count}")
        self.attest = attest_dialog.ask(self.ctx, self.signer, Action.EXPORT, what,
                                        self.start_export, self,
                                        refused=lambda text: self.say(text, style=ERROR_STYLE))
        return self.attest

    def _ask_replace(self) -> bool:
        """True when a file is already where this one would be saved: the user is asked
        whether to replace it, and Export goes on only when they say Replace."""
        path = Path(self.path.text().strip()).expanduser()
        if self.to_target.isChecked() or not path.is_file():
            return False
        box = QMessageBox(QMessageBox.Icon.Question, "Replace the file?",
                          f"{path.name} is already there, in {path.parent}. Replace it with "
                          "this export, or cancel and choose another name (Choose…)?",
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                          self)
        replace = box.button(QMessageBox.StandardButton.Yes)
        replace.setText("&Replace")
        replace.clicked.connect(self._go_on)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        self.replace_box = box
        box.open()
        return True

    def _go_on(self) -> None:
        """Replace was chosen: the export goes on (a billing file still asks the password)."""
        self.replace_box = None
        assert self.signer is not None
        if not export_text.is_billing_file(self.fmt, self.is_draft):
            self.start_export(self.signer)
            return
        self._ask_password()

    def _option_problem(self) -> str | None:
        if self.scope == ONE and self.mrn is None:
            return "Choose the patient first: type a name or MRN, then pick them in the list."
        if self.preview is None:
            return "Wait a moment: the month is still being checked."
        if self.preview.nothing:
            return self.preview.nothing
        if self.to_target.isChecked() and self.target_box.currentData() is None:
            return "Choose a delivery target, or save to a file."
        if not self.to_target.isChecked():
            path = Path(self.path.text().strip()).expanduser()
            if not self.path.text().strip() or not path.is_absolute():
                return "Choose where to save the file (Choose…)."
            if not path.parent.is_dir():
                return f"The folder {path.parent} does not exist; choose another (Choose…)."
        return None

    def start_export(self, by: Signer) -> None:
        month, fmt, mrn, draft = self.month, self.fmt, self.mrn, self.is_draft
        approved = self.scope == APPROVED
        send = self.target_box.currentData() if self.to_target.isChecked() else None
        out = None if send else Path(self.path.text().strip()).expanduser()
        self.export_job = Job(lambda progress: month_export.export_month(
            self.ctx, month, fmt, mrn=mrn, draft=draft, send=send, out=out, by=by,
            approved_only=approved, progress=progress), self)
        self.export_job.progressed.connect(self._progressed)
        self.export_job.finished.connect(self._exported)
        self.export_job.failed.connect(self._export_failed)
        self.progress.setRange(0, 0)
        self.step.setText("Starting…")
        self.cancel_button.setEnabled(True)
        self.busy.show()
        self.say("")
        self.export_job.start()
        self._buttons()

    def _progressed(self, stage: str, done: int, total: int) -> None:
        shown = export_text.step(stage, done, total)
        if shown.percent is None:
            self.progress.setRange(0, 0)
        else:
            self.progress.setRange(0, 100)
            self.progress.setValue(shown.percent)
        self.step.setText(shown.text)
        if stage == month_export.RECORDING:
            self.cancel_button.setEnabled(False)  # one transaction from here: it completes

    def cancel(self) -> None:
        if self.export_job is not None:
            self.export_job.cancel()
            self.step.setText("Stopping…")

    def _export_over(self) -> None:
        self.export_job = None
        self.busy.hide()
        self._buttons()

    def _exported(self, result: month_export.ExportResult) -> None:
        self._export_over()
        self.last_result = result
        kind = "draft" if result.draft else "amendment" if result.amendment else "file"
        where = (f"queued for {result.queued_to}" if result.queued_to
                 else f"saved as {result.path}")
        left = (f" {result.left_out} patient{'s' if result.left_out != 1 else ''} not "
                "approved left out." if result.left_out else "")
        self.say(f"Exported the {export_text.SHORT_NAMES[result.fmt]} {kind} of "
                 f"{month_title(result.month)} ({result.patients} patient"
                 f"{'s' if result.patients != 1 else ''}), {where}.{left}")
        if self.tabs.currentIndex() == 1:
            self.history.reload()
        self.check()  # an export made now makes the next one an amendment

    def _export_failed(self, exc: BaseException) -> None:
        self._export_over()
        if isinstance(exc, Stopped):
            self.say("Export cancelled: nothing was written or recorded.", style=ERROR_STYLE)
        elif isinstance(exc, month_export.CannotWrite):
            self.say(f"Cannot save the file in {exc.folder} ({exc.reason}); free some space "
                     "or choose another folder. Nothing was recorded.", style=ERROR_STYLE)
        elif isinstance(exc, month_export.NothingToExport):
            self.say("Nothing to export: no patient of the month is approved yet (the "
                     "billing practitioner approves it in the Month overview)."
                     if exc.unapproved else "Nothing to export: no patient has time this "
                     "month.", style=ERROR_STYLE)
            self.check()
        elif isinstance(exc, UserError):
            self.say(error_text(exc), style=ERROR_STYLE)
        else:
            raise exc  # a bug: the app's error hook logs it in full

    def closeEvent(self, event: QCloseEvent) -> None:
        for job in (self.check_job, self.export_job):
            if job is not None:
                job.cancel()
        self.memory.save(self)
        super().closeEvent(event)

