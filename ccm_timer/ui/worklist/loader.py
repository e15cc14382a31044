"""The worklist computed off the UI thread, as the overview's month is (latest_loader.py):
the month report sums the whole month, which on a large clinic would freeze a window. The
window's read carries whose minutes it counts (hub_scope); the month-end reminder's not."""

from __future__ import annotations

from dataclasses import dataclass

from ccm_timer.services.context import AppContext
from ccm_timer.services.delivery import hub_scope
from ccm_timer.services.month.worklist import Worklist, worklist
from ccm_timer.ui.latest_loader import LatestLoader


class WorklistLoader(LatestLoader):
    """request: a month "YYYY-MM", or None for this month; loaded emits the Worklist."""

    worker = "ccm-timer-worklist"

    def compute(self, ctx: AppContext, request: str | None) -> Worklist:
        return worklist(ctx, request)


@dataclass(frozen=True)
class ScopedWorklist:
    worklist: Worklist
    scope: hub_scope.Scope  # read before the worklist: never newer than what it counts


class ScopedWorklistLoader(WorklistLoader):
    """As WorklistLoader; loaded emits a ScopedWorklist (the window's line above the rows)."""

    def compute(self, ctx: AppContext, request: str | None) -> ScopedWorklist:  # type: ignore[override]
        scope = hub_scope.scope(ctx)
        return ScopedWorklist(worklist(ctx, request), scope)
