"""The comprehensive care plan: problems (linked to a condition), goals and interventions,
each dated and attributed; adding and ending items; recording a review (substantial or not)
and seeing the last one, with a warning when the plan was never reviewed or not within the
rule's months. A refused change shows the service's sentence here and writes nothing."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ccm_timer.core.access import Action
from ccm_timer.errors import UserError
from ccm_timer.services.context import AppContext
from ccm_timer.services.people import access, care_plan, clinicians, conditions
from ccm_timer.services.people.care_plan import CarePlanItemView
from ccm_timer.ui import attest_dialog
from ccm_timer.ui.overview.record_access import note_label, show_note
from ccm_timer.ui.overview.record_dialogs import EndItemDialog
from ccm_timer.ui.presenters import patient_record as words
from ccm_timer.ui.presenters.gui_words import error_text
from ccm_timer.ui.style import ERROR_STYLE

COLUMNS = ("Item", "Condition", "Added", "By")
WARN_STYLE = "color: #b45309; font-weight: bold;"
OK_STYLE = "font-weight: bold;"
NOTICE_STYLE = "color: #b45309;"
NO_CONDITION = "(no condition)"
ROLE = Qt.ItemDataRole.UserRole


class CarePlanPanel(QWidget):
    changed = Signal()  # an item was added or ended, or a review recorded

    def __init__(self, ctx: AppContext, mrn: str, actor: Callable[[], str],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.mrn, self.actor = ctx, mrn, actor
        self.review_months = 12
        self.refused: str | None = None  # why the signed-in person may not change it
        self.plan: care_plan.CarePlanView | None = None
        self.dialog: EndItemDialog | None = None
        self.attest: attest_dialog.AttestDialog | None = None  # a colleague's password asked
        self.review_line = QLabel(wordWrap=True)
        self.substantial = QCheckBox("S&ubstantial revision")
        self.substantial.setToolTip("The plan was substantially revised (complex CCM needs "
                                    "a plan established or substantially revised)")
        self.review_button = QPushButton("Record re&view")
        self.tree = QTreeWidget()
        self.tree.setAccessibleName("Care plan")
        self.tree.setHeaderLabels(list(COLUMNS))
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(True)  # a row's text and its who/when, far apart
        self.show_ended = QCheckBox("Show e&nded items")
        self.end_button = QPushButton("E&nd selected…")
        self.kind = QComboBox()
        self.kind.addItems(list(words.KINDS))
        self.kind.setAccessibleName("Kind")
        self.text = QLineEdit(placeholderText="Problem, measurable goal or intervention")
        self.text.setAccessibleName("Care-plan item")
        self.condition = QComboBox()
        # Short in the row (the text field needs the room), whole in the open list.
        self.condition.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.condition.setMinimumContentsLength(22)
        self.condition.view().setMinimumWidth(420)
        self.condition.setAccessibleName("Linked condition")
        self.by = QComboBox()
        self.by.setAccessibleName("Recorded as")
        self.add_button = QPushButton("Add to &plan")
        self.notice = QLabel(styleSheet=NOTICE_STYLE, wordWrap=True)
        self.notice.hide()
        self.error = QLabel(styleSheet=ERROR_STYLE, wordWrap=True)
        self.error.hide()
        self.note = note_label()
        self._layout()
        self.review_button.clicked.connect(self.record_review)
        self.show_ended.toggled.connect(lambda _on: self.reload())
        self.end_button.clicked.connect(self.end_selected)
        self.tree.itemSelectionChanged.connect(self._selected)
        self.text.returnPressed.connect(self.add)
        self.add_button.clicked.connect(self.add)

    def _layout(self) -> None:
        top = QHBoxLayout()
        top.addWidget(self.review_line, 1)
        top.addWidget(self.substantial)
        top.addWidget(self.review_button)
        middle = QHBoxLayout()
        middle.addStretch(1)
        middle.addWidget(self.show_ended)
        middle.addWidget(self.end_button)
        add = QHBoxLayout()
        add.addWidget(QLabel("Add:", buddy=self.kind))
        add.addWidget(self.kind)
        add.addWidget(self.text, 1)
        add.addWidget(QLabel("for", buddy=self.condition))
        add.addWidget(self.condition)
        add.addWidget(QLabel("as", buddy=self.by))
        add.addWidget(self.by)
        add.addWidget(self.add_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.tree, 1)
        layout.addLayout(middle)
        layout.addLayout(add)
        layout.addWidget(self.note)
        layout.addWidget(self.notice)
        layout.addWidget(self.error)

    # -- reading -----------------------------------------------------------------------

    def reload(self, review_months: int | None = None) -> None:
        if review_months is not None:
            self.review_months = review_months
        try:
            plan = care_plan.show(self.ctx, self.mrn)
            shown = (care_plan.history(self.ctx, self.mrn) if self.show_ended.isChecked()
                     else list(plan.items))
            codes = {c.code: c.description for c in conditions.list_for(self.ctx, self.mrn)}
            names = [c.name for c in clinicians.list_clinicians(self.ctx)]
        except UserError as exc:
            self.show_error(error_text(exc))
            return
        self.plan = plan
        today = self.ctx.now().astimezone(self.ctx.zone).date()
        said, warn = words.review_text(plan.reviewed_at, plan.reviewed_by, self.ctx.zone,
                                       today, self.review_months)
        self.review_line.setText(f"⚠ {said}" if warn else said)
        self.review_line.setStyleSheet(WARN_STYLE if warn else OK_STYLE)
        self.review_button.setEnabled(bool(plan.items) and self.refused is None)
        self.review_button.setToolTip(self.refused or ("" if plan.items else
                                      "Add the plan's problems, goals and interventions first"))
        self._fill_tree(shown, codes)
        self._conditions(codes)
        self._choices(self.by, names, default=self.actor())

    def _fill_tree(self, shown: list[CarePlanItemView], codes: dict[str, str]) -> None:
        self.tree.clear()
        for kind, items in words.grouped(shown).items():
            group = QTreeWidgetItem([f"{words.KIND_TITLES.get(kind, kind)} ({len(items)})"])
            group.setFlags(Qt.ItemFlag.ItemIsEnabled)
            font = group.font(0)
            font.setBold(True)
            group.setFont(0, font)
            self.tree.addTopLevelItem(group)
            for item in items:
                cells = list(words.item_cells(item, self.ctx.zone))
                if item.ended_at is not None:
                    cells[0] = f"{cells[0]} — {words.ended_text(item, self.ctx.zone)}"
                row = QTreeWidgetItem(cells)
                row.setData(0, ROLE, item)
                row.setToolTip(1, codes.get(item.condition_code or "", ""))
                if item.ended_at is not None:
                    for column in range(len(COLUMNS)):
                        row.setForeground(column, self.palette().placeholderText())
                group.addChild(row)
            group.setFirstColumnSpanned(True)
        self.tree.expandAll()
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in range(1, len(COLUMNS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self._selected()

    def _conditions(self, codes: dict[str, str]) -> None:
        """The current conditions to link a problem to, by code and description."""
        keep = self.condition.currentData()
        self.condition.blockSignals(True)
        self.condition.clear()
        self.condition.addItem(NO_CONDITION, None)
        for code, description in codes.items():
            self.condition.addItem(f"{code} — {description}", code)
        found = self.condition.findData(keep)
        self.condition.setCurrentIndex(max(found, 0))
        self.condition.blockSignals(False)

    @staticmethod
    def _choices(box: QComboBox, names: list[str], default: str | None = None) -> None:
        keep = box.currentText() or default
        box.blockSignals(True)
        box.clear()
        box.addItems(names)
        if keep and box.findText(keep) >= 0:
            box.setCurrentText(keep)
        box.blockSignals(False)

    def selected(self) -> CarePlanItemView | None:
        chosen = self.tree.selectedItems()
        return chosen[0].data(0, ROLE) if chosen else None

    def _selected(self) -> None:
        item = self.selected()
        self.end_button.setEnabled(item is not None and item.ended_at is None
                                   and self.refused is None)

    def set_refusal(self, why: str | None) -> None:
        """Adding, ending and reviewing are disabled, with `why` beside them, for someone
        who may not change the record (None: they may)."""
        self.refused = why
        for widget in (self.substantial, self.kind, self.text, self.condition, self.by,
                       self.add_button):
            widget.setEnabled(why is None)
        self.review_button.setEnabled(why is None and bool(self.plan and self.plan.items))
        show_note(self.note, why)
        self._selected()

    def _refuse(self) -> bool:
        if self.refused is not None:
            self.show_error(self.refused)
        return self.refused is not None

    def show_error(self, text: str | None) -> None:
        self.error.setText(text or "")
        self.error.setVisible(bool(text))

    def _show_notice(self, text: str | None) -> None:
        self.notice.setText(text or "")
        self.notice.setVisible(bool(text))

    # -- changing ----------------------------------------------------------------------

    def _as_chosen(self, then: Callable[[str], None]) -> None:
        """then(name) as the person chosen under "Recorded as": the one signed in at once;
        anyone else gives their password first, so no one records work in a colleague's
        name."""
        who = self.by.currentText() or self.actor()
        if who == self.actor():
            then(who)
            return
        self.attest = attest_dialog.ask(
            self.ctx, access.named(self.ctx, who), Action.RECORD,
            f"Record this in the care plan as {who}.", lambda signer: then(signer.name),
            self, refused=self.show_error)

    def add(self) -> None:
        self.show_error(None)
        if self._refuse():
            return
        self._as_chosen(self._add)

    def _add(self, who: str) -> None:
        try:
            added = care_plan.add(self.ctx, self.mrn, self.kind.currentText(),
                                  self.text.text(), self.condition.currentData(), actor=who)
        except UserError as exc:
            self.show_error(error_text(exc))
            return
        self.text.clear()
        self._show_notice(words.establish_notice(added.created_by) if added.notice else None)
        self.reload()
        self.changed.emit()

    def record_review(self) -> None:
        self.show_error(None)
        if self._refuse():
            return
        self._as_chosen(self._review)

    def _review(self, who: str) -> None:
        try:
            care_plan.review(self.ctx, self.mrn, as_name=who,
                             substantial=self.substantial.isChecked())
        except UserError as exc:
            self.show_error(error_text(exc))
            return
        self.substantial.setChecked(False)
        self._show_notice(None)
        self.reload()
        self.changed.emit()

    def end_selected(self) -> EndItemDialog | None:
        if self._refuse():
            return None
        item = self.selected()
        if item is None or item.ended_at is not None:
            self.show_error("Select a current item of the plan to end it.")
            return None
        dialog = EndItemDialog(str(item.id), item.kind, item.text, self)
        dialog.submitted.connect(lambda reason: self._end(dialog, reason))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog = dialog
        dialog.show()
        return dialog

    def _end(self, dialog: EndItemDialog, reason: str) -> None:
        def end(who: str) -> None:
            try:
                care_plan.end(self.ctx, dialog.item_id, reason, actor=who)
            except UserError as exc:
                dialog.show_error(error_text(exc))
                return
            dialog.accept()
            self.reload()
            self.changed.emit()

        self._as_chosen(end)
