"""One patient's month: the figures, the entries and their history, corrections (edit or
void, with a reason), the month flags, month close (approval state, approve, copy the month
summary), and the clinical record beside the entries (record_tabs.py: conditions, care plan,
consent). Every change recomputes the patient's report at once, and tells the overview
(`changed`) so its row follows.
"""

from __future__ import annotations

import html

from PySide6.QtCore import QItemSelection, QSize, Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ccm_timer.core.access import Action
from ccm_timer.errors import UserError
from ccm_timer.services.context import AppContext
from ccm_timer.services.delivery import hub_scope
from ccm_timer.services.month import approvals, month_flags
from ccm_timer.services.month.billing_rules import rules_for_month
from ccm_timer.services.month.report import month_report
from ccm_timer.services.people import clinicians, patients
from ccm_timer.services.people.access import Signer
from ccm_timer.services.security.audit_reads import Read, record_read
from ccm_timer.services.timing import entries, local_times
from ccm_timer.services.timing.entry_values import EntryView
from ccm_timer.ui import attest_dialog, window_fit
from ccm_timer.ui.overview.daily_tab import DailyTab
from ccm_timer.ui.overview.entry_dialogs import (
    EditEntryDialog,
    VoidEntryDialog,
    describe,
    entry_choices,
)
from ccm_timer.ui.overview.entry_history import version_rows
from ccm_timer.ui.overview.entry_tables import EntriesModel, VersionsModel, plain_table
from ccm_timer.ui.overview.month_close import MonthCloseBar
from ccm_timer.ui.overview.month_names import month_title
from ccm_timer.ui.overview.month_panels import FiguresPanel, FlagsPanel
from ccm_timer.ui.overview.record_dialogs import PatientDetailsDialog
from ccm_timer.ui.overview.record_tabs import RecordTabs
from ccm_timer.ui.overview.rows import (
    APPROVED,
    NOTHING,
    REOPENED,
    approval_changes,
    approval_sentence,
    approval_text,
)
from ccm_timer.ui.presenters.gui_words import error_text
from ccm_timer.ui.scope_line import ScopeLine
from ccm_timer.ui.style import BIG_STYLE, ERROR_STYLE, TITLE_STYLE

APPROVAL_STYLES = {APPROVED: "color: #15803d; font-weight: bold;",
                   REOPENED: "color: #b45309; font-weight: bold;"}


class PatientMonthView(QWidget):
    changed = Signal()  # something of this patient-month was saved

    def __init__(self, ctx: AppContext, mrn: str, month: str,
                 parent: QWidget | None = None, *, signer: Signer | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.ctx, self.mrn, self.month = ctx, mrn, month
        self.signer = signer  # the tray's signed-in person: reads and changes are theirs
        self.attest = None  # the open password prompt, if any
        self.refused: str | None = None  # why the signed-in person may not change the record
        self.result = self.person = None
        self.dialog = None  # the open edit or void dialog, if any
        # No patient identifier in the title: a shared screen broadcasts it.
        self.setWindowTitle(f"Patient month — {month_title(month)}")
        self.name = QLabel(styleSheet=BIG_STYLE)
        self.name.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details = QLabel()
        self.details_button = QPushButton("Patient &details…")
        self.details_button.clicked.connect(self.edit_details)
        self.approval = QLabel(wordWrap=True, textFormat=Qt.TextFormat.RichText)
        self.approval.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.close_bar = MonthCloseBar(ctx, lambda: self.month,
                                       lambda: (self.mrn, self.name.text()),
                                       every_patient=False)
        self.close_bar.set_signer(signer)
        self.close_bar.changed.connect(self._saved)
        self.error = QLabel(styleSheet=ERROR_STYLE, wordWrap=True)
        self.error.hide()
        self.scope_line = ScopeLine()  # whose minutes the figures count, as of when
        self.figures = FiguresPanel()
        self.flags = FlagsPanel()
        self.entries = EntriesModel(ctx.zone, self)
        self.versions = VersionsModel(ctx.zone, self)
        self.entry_table = plain_table(self.entries)
        self.version_table = plain_table(self.versions)
        self.edit_button = QPushButton("&Correct entry…")
        self.void_button = QPushButton("&Void entry…")
        self.edit_button.clicked.connect(self.edit_selected)
        self.void_button.clicked.connect(self.void_selected)
        self.entry_table.activated.connect(lambda _i: self.edit_selected())
        self.entry_table.selectionModel().selectionChanged.connect(self._selected)
        self.flags.toggled.connect(self.set_flag)
        QShortcut(QKeySequence.StandardKey.Refresh, self, activated=self.reload)
        self._layout()
        self.reload()
        self.sizes = window_fit.prepare(self, ctx.paths.settings_dir, "patient-month",
                                        QSize(1180, 820))

    def closeEvent(self, event: QCloseEvent) -> None:
        self.sizes.save(self)
        super().closeEvent(event)

    def _layout(self) -> None:
        head = QVBoxLayout()
        head.addWidget(self.name)
        details = QHBoxLayout()
        details.addWidget(self.details, 1)
        details.addWidget(self.details_button)
        head.addLayout(details)
        head.addWidget(self.approval)
        head.addWidget(self.close_bar)
        panels = QHBoxLayout()
        panels.addWidget(self.figures, 5)
        panels.addWidget(self.flags, 3)
        entry_bar = QHBoxLayout()
        entry_bar.addWidget(QLabel("Entries this month", styleSheet=TITLE_STYLE))
        entry_bar.addStretch(1)
        entry_bar.addWidget(self.edit_button)
        entry_bar.addWidget(self.void_button)
        entry_box = QWidget()
        box = QVBoxLayout(entry_box)
        box.setContentsMargins(0, 0, 0, 0)
        box.addLayout(entry_bar)
        box.addWidget(self.entry_table)
        history_box = QWidget()
        box = QVBoxLayout(history_box)
        box.setContentsMargins(0, 0, 0, 0)
        self.history_title = QLabel("History of the selected entry", styleSheet=TITLE_STYLE)
        box.addWidget(self.history_title)
        box.addWidget(self.version_table)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(entry_box)
        split.addWidget(history_box)
        split.setSizes([300, 140])
        self.record = RecordTabs(self.ctx, self.mrn, self._actor, split)
        self.daily = DailyTab(self.ctx, self.mrn, lambda: self.month)
        self.record.insertTab(1, self.daily, "Minutes per da&y")
        self.record.changed.connect(self._saved)
        self.conditions, self.care_plan = self.record.conditions, self.record.care_plan
        self.conditions.signer = lambda: self.signer
        self.consent = self.record.consent
        self._may_change()
        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addWidget(self.record.banner)
        layout.addWidget(self.error)
        layout.addWidget(self.scope_line)
        layout.addLayout(panels)
        layout.addWidget(self.record, 1)

    # -- reading -----------------------------------------------------------------------

    def reload(self) -> None:
        """Read the patient-month again: report, entries, flags, enrollments."""
        keep = self.selected_entry()
        try:
            report = month_report(self.ctx, self.month, patient_mrn=self.mrn)
            rules = rules_for_month(self.month)  # there: the report found them
            person = patients.get(self.ctx, self.mrn)
            listed = entries.list_entries(self.ctx, month=self.month, patient_mrn=self.mrn,
                                          include_voided=True)
            flags = month_flags.get_flags(self.ctx, self.mrn, self.month)
            (state,) = approvals.states(self.ctx, self.month, self.mrn) or (None,)
            scope = hub_scope.scope(self.ctx)
        except UserError as exc:
            self.show_error(error_text(exc))
            return
        self.result, self.person = report.patients[0].result, person
        born = f" · born {person.birth_date.isoformat()}" if person.birth_date else ""
        qmb = "" if person.qmb is None else " · QMB" if person.qmb else " · not QMB"
        self.name.setText(person.display_name)
        self.details.setText(f"MRN {person.mrn}{born}{qmb} · {month_title(self.month)} · "
                             f"times in {self.ctx.zone.key}")
        self._show_approval(state)
        self.scope_line.show_scope(scope)
        self.figures.show_result(self.result, rules)
        self.flags.set_rules(rules)
        self.flags.show_flags(flags)
        self.record.reload(person, rules, self.ctx.now().astimezone(self.ctx.zone).date())
        self.entries.set_rows(listed)
        self.entry_table.resizeColumnsToContents()
        self._select(keep)
        self.daily.refresh()

    def _show_approval(self, state) -> None:
        has_time = bool(self.result.total_seconds or self.result.lines)
        text = approval_text(state, has_time)
        said = html.escape(approval_sentence(state, has_time, self.ctx.zone))
        label = "Nothing to approve" if text == NOTHING else text
        style = APPROVAL_STYLES.get(text, "font-weight: bold;")
        changes = "".join(f"<li>{html.escape(c)}</li>" for c in approval_changes(state))
        self.approval.setText(
            f"Month approval: <span style='{style}'>{label}</span> — {said}"
            + (f"<ul style='margin: 0 0 0 -20px'>{changes}</ul>" if text == REOPENED else ""))
        self.close_bar.set_has_time(text != NOTHING)

    def set_signer(self, signer: Signer | None) -> None:
        self.signer = signer
        self.close_bar.set_signer(signer)
        self._may_change()

    def _may_change(self) -> None:
        """The record's change buttons, the patient's details among them, are the signed-in
        person's only if they may change the record."""
        self.refused = why = self.record.set_signer(self.signer)
        self.details_button.setEnabled(why is None)
        self.details_button.setToolTip(why or "")

    def audit_read(self) -> bool:
        """The patient's record was opened (HIPAA 164.312(b)), by the signed-in person."""
        if self.signer is None or self.person is None:
            return False
        return record_read(self.ctx, self.signer.name, Read.PATIENT, patient_id=self.person.id,
                           month=self.month)

    def selected_entry(self) -> EntryView | None:
        rows = self.entry_table.selectionModel().selectedRows()
        return self.entries.entry_at(rows[0].row()) if rows else None

    def select_entry(self, entry_id) -> None:
        for row, view in enumerate(self.entries.rows):
            if view.origin_id == entry_id or view.id == entry_id:
                self.entry_table.selectRow(row)
                return

    def _select(self, keep: EntryView | None) -> None:
        if keep is not None:
            self.select_entry(keep.origin_id)
        if self.selected_entry() is None:
            self._selected(QItemSelection(), QItemSelection())

    def _selected(self, *_args) -> None:
        view = self.selected_entry()
        editable = view is not None and not view.voided and view.state == "stopped"
        self.edit_button.setEnabled(editable)
        self.void_button.setEnabled(view is not None and not view.voided)
        if view is None:
            self.versions.set_rows([])
            self.history_title.setText("History of the selected entry (select an entry above)")
            return
        try:
            rows = version_rows(self.ctx, str(view.id))
        except UserError as exc:
            self.show_error(error_text(exc))
            return
        self.versions.set_rows(rows)
        self.version_table.resizeColumnsToContents()
        self.history_title.setText(f"History of the selected entry ({len(rows)} version"
                                   f"{'s' if len(rows) != 1 else ''}; the originals are kept)")

    def show_error(self, text: str | None) -> None:
        self.error.setText(text or "")
        self.error.setVisible(bool(text))

    def _saved(self) -> None:
        self.show_error(None)
        self.reload()
        self.changed.emit()

    # -- changing ----------------------------------------------------------------------

    def edit_selected(self) -> EditEntryDialog | None:
        view = self.selected_entry()
        if view is None or view.voided or view.state != "stopped":
            self.show_error("Select a stopped, not voided entry to correct it.")
            return None
        try:  # the patients and activities it may move to
            choices = entry_choices(self.ctx)
        except UserError:  # the times and the note can still be corrected
            choices = None
        dialog = EditEntryDialog(view, self.ctx.zone, self, choices=choices)
        dialog.submitted.connect(lambda s, e, n, r: self._edit(dialog, s, e, n, r))
        return self._open(dialog)

    def _confirm(self, dialog, then) -> None:
        """The signed-in person's password for the correction, then `then(signer)`."""
        what = f"{dialog.windowTitle()}: {describe(dialog.view, self.ctx.zone)}"
        self.attest = attest_dialog.ask(self.ctx, self.signer, Action.CORRECT_ENTRY, what,
                                        then, dialog, refused=dialog.show_error)

    def _edit(self, dialog: EditEntryDialog, start, end, note, reason: str) -> None:
        zone = self.ctx.zone
        try:
            first = local_times.local_instant(start.date(), start.time(), zone) if start else None
            last = local_times.local_instant(end.date(), end.time(), zone) if end else None
        except UserError as exc:
            dialog.show_error(error_text(exc))
            return

        def save(signer: Signer) -> None:
            try:
                entries.edit(self.ctx, str(dialog.view.id), reason=reason, start=first,
                             end=last, note=note, by=signer, **dialog.subject_changes())
            except UserError as exc:
                dialog.show_error(error_text(exc))
                return
            dialog.accept()
            self._saved()

        self._confirm(dialog, save)

    def void_selected(self) -> VoidEntryDialog | None:
        view = self.selected_entry()
        if view is None or view.voided:
            self.show_error("Select an entry that is not voided yet to void it.")
            return None
        dialog = VoidEntryDialog(view, self.ctx.zone, self)
        dialog.submitted.connect(lambda reason: self._void(dialog, reason))
        return self._open(dialog)

    def _void(self, dialog: VoidEntryDialog, reason: str) -> None:
        def save(signer: Signer) -> None:
            try:
                entries.void(self.ctx, str(dialog.view.id), reason=reason, by=signer)
            except UserError as exc:
                dialog.show_error(error_text(exc))
                return
            dialog.accept()
            self._saved()

        self._confirm(dialog, save)

    def _open(self, dialog):
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog = dialog
        dialog.show()
        return dialog

    def edit_details(self) -> PatientDetailsDialog | None:
        if self.person is None:
            return None  # not read: the error line says why
        if self.refused is not None:
            self.show_error(self.refused)
            return None
        dialog = PatientDetailsDialog(self.person, self.ctx.now().astimezone(self.ctx.zone)
                                      .date(), self)
        dialog.submitted.connect(lambda name, born, qmb: self._details(dialog, name, born, qmb))
        return self._open(dialog)

    def _details(self, dialog: PatientDetailsDialog, name, born, qmb) -> None:
        try:
            patients.update(self.ctx, self.mrn, name=name, birth_date=born, qmb=qmb,
                            actor=self._actor())
        except UserError as exc:
            dialog.show_error(error_text(exc))
            return
        dialog.accept()
        self._saved()

    def set_flag(self, name: str, on: bool) -> None:
        try:
            month_flags.set_flags(self.ctx, self.mrn, self.month, **{name: on},
                                  by=self.signer)
        except UserError as exc:
            self.show_error(error_text(exc))
            self.reload()  # put the box back as stored
            return
        self._saved()

    def _actor(self) -> str:
        """Who is at this workstation: the person signed in at the tray (else the default
        clinician), by name, as the record and the audit trail name them."""
        if self.signer is not None:
            return self.signer.name
        found = clinicians.list_clinicians(self.ctx)
        chosen = [c.name for c in found if c.is_default]
        return chosen[0] if chosen else "admin"
