"""The overview's month, computed off the UI thread (latest_loader.py): the month report,
the approvals, which compare it with the audit trail, and whose minutes it counts (the
clinic's, as of the last pull from the hub, or this workstation's only)."""

from __future__ import annotations

from dataclasses import dataclass

from ccm_timer.services.context import AppContext
from ccm_timer.services.delivery import hub_scope
from ccm_timer.services.month import approvals
from ccm_timer.services.month.billing_rules import rules_for_month
from ccm_timer.services.month.report import month_report
from ccm_timer.ui.latest_loader import LatestLoader
from ccm_timer.ui.overview.rows import OverviewRow, overview_rows


@dataclass(frozen=True)
class MonthRows:
    month: str
    rows: list[OverviewRow]
    context: str  # "Times in America/New_York · 2026 rules"
    scope: hub_scope.Scope | None = None  # read with the report: the line above the figures


def compute(ctx: AppContext, month: str) -> MonthRows:
    """The overview's rows for `month` (raises UserError with a sentence for the user)."""
    scope = hub_scope.scope(ctx)  # before the report: never newer than what it counts
    report = month_report(ctx, month)
    states = {s.mrn: s for s in approvals.states(ctx, month)}
    rows = overview_rows(report, rules_for_month(month), states, ctx.zone)
    return MonthRows(month, rows, f"Times in {report.zone} · {report.rules.get('year')} rules",
                     scope)


class MonthLoader(LatestLoader):
    """The overview's month (request: "YYYY-MM"); loaded emits MonthRows."""

    worker = "ccm-timer-month"

    def compute(self, ctx: AppContext, request: str) -> MonthRows:
        return compute(ctx, request)
