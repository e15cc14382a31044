"""The patient view's tabs: the month's entries (the window's own page) beside the clinical
record, conditions, care plan and consent, each editable by those who may change the
record (record_access.py); and the one warning line that says
what keeps the record from billing (the start dialog says the same, from the same service).
A tab whose part is incomplete carries the warning sign."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from PySide6.QtCore import Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QLabel, QStyle, QTabWidget, QWidget

from ccm_timer.core.billing import RuleSet
from ccm_timer.errors import UserError
from ccm_timer.services.context import AppContext
from ccm_timer.services.people.access import Signer
from ccm_timer.services.people.patients import PatientView
from ccm_timer.services.people.record_status import active, record_status
from ccm_timer.ui.overview.care_plan_panel import CarePlanPanel
from ccm_timer.ui.overview.conditions_panel import ConditionsPanel
from ccm_timer.ui.overview.consent_panel import ConsentPanel
from ccm_timer.ui.overview.record_access import refusal
from ccm_timer.ui.presenters import patient_record as words
from ccm_timer.ui.presenters.gui_words import error_text

BANNER_STYLE = ("color: #92400e; background: #fef3c7; border: 1px solid #f59e0b; "
                "border-radius: 4px; padding: 4px 8px; font-weight: bold;")


class RecordTabs(QTabWidget):
    changed = Signal()  # a part of the record was saved

    def __init__(self, ctx: AppContext, mrn: str, actor: Callable[[], str],
                 entries_page: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.mrn = ctx, mrn
        self.banner = QLabel(styleSheet=BANNER_STYLE, wordWrap=True)
        self.banner.setAccessibleName("Record warning")
        self.banner.hide()
        self.conditions = ConditionsPanel(ctx, mrn, actor)
        self.care_plan = CarePlanPanel(ctx, mrn, actor)
        self.consent = ConsentPanel(ctx, mrn, actor)
        self.addTab(entries_page, "&Entries this month")
        self.addTab(self.conditions, "C&onditions")
        self.addTab(self.care_plan, "Care p&lan")
        self.addTab(self.consent, "Consen&t")
        self._warn = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        for panel in (self.conditions, self.care_plan):
            panel.changed.connect(self.changed)
        self.consent.saved.connect(self.changed)

    def set_signer(self, signer: Signer | None) -> str | None:
        """Each part's changes are the signed-in person's only if their duties allow a change
        of the record (the billing office's do not); returns why not, or None."""
        why = refusal(signer)
        for panel in (self.conditions, self.care_plan, self.consent):
            panel.set_refusal(why)
        return why

    def reload(self, person: PatientView, rules: RuleSet, today: date) -> None:
        """Read the record again, judged by the month's rules (`rules`)."""
        programs = sorted(e.program.value for e in person.enrollments if active(e, today))
        need = [rules.eligibility[p] for p in programs if p in rules.eligibility]
        most = max((r.chronic_conditions for r in need), default=0)
        self.conditions.reload(most, "/".join(r.program for r in need
                                              if most and r.chronic_conditions == most))
        self.care_plan.reload(min((r.care_plan_review_months for r in need if r.care_plan),
                                  default=12))
        self.consent.set_programs(rules.programs)
        self.consent.show_enrollments(person.enrollments, rules.eligibility, today)
        try:
            status = record_status(self.ctx, self.mrn)
        except UserError as exc:
            self.banner.setText(error_text(exc))
            self.banner.show()
            return
        warning = words.record_warning(status)
        self.banner.setText(f"⚠ {warning}" if warning else "")
        self.banner.setVisible(bool(warning))
        marks = {"conditions": self.conditions, "care_plan": self.care_plan,
                 "consent": self.consent}
        for part, panel in marks.items():
            self.setTabIcon(self.indexOf(panel), self._warn if part in status.parts else QIcon())
